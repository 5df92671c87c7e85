"""ACRA CSVs into registry.acra_entities: the SSIC rule, the upsert, and the synthetic registry they come from
(the cleaning of every kind of value, loaded, is in test_acra_cleaning.py)."""

import csv
from datetime import date

import psycopg
import pytest

from demo.catalog import DEMO_SSIC_TITLES, all_companies
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.domain.matching.names import normalise_name
from icp_assets.domain.registry.acra import (
    DERIVED_COLUMNS,
    LoadStats,
    clean_ssic,
    load_acra_csvs,
)
from tests.support.csv_files import write_csv


def scalar(url, query, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


# --- cleaning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("46302", "46302"),
        ("1111", "01111"),
        ("1111.0", "01111"),
        (" 62011 ", "62011"),
        ("na", None),
        ("NA", None),
        ("", None),
        ("463021", None),
        ("4630A", None),
        (None, None),
    ],
)
def test_clean_ssic(raw, expected):
    assert clean_ssic(raw) == expected


# --- ACRA load ------------------------------------------------------------------------------


def test_load_generated_registry(tmp_path, fresh_database_url):
    url = fresh_database_url
    paths = generate_acra_csvs(tmp_path, entities=3000, seed=3, extra=all_companies())
    seen_progress: list[int] = []
    stats = load_acra_csvs(url, paths, progress=seen_progress.append)
    total = 3000 + len(all_companies())
    assert stats == LoadStats(rows_read=total, inserted=total, updated=0, unchanged=0, skipped=0)
    assert seen_progress[-1] == total
    assert scalar(url, "select count(*) from registry.acra_entities") == total

    # Leading zeros survive: SSIC codes are 5-character text, postal codes 6 digits.
    brightpath = (
        "select primary_ssic_code, postal_code, entity_status_description from registry.acra_entities where uen = %s"
    )
    with psycopg.connect(url) as conn:
        assert conn.execute(brightpath, ("T17LL0456A",)).fetchone() == ("70201", "048623", "Live Company")
        assert (
            conn.execute("select count(*) from registry.acra_entities where postal_code like '0%%'").fetchone()[0] > 0
        )
        assert (
            conn.execute(
                "select count(*) from registry.acra_entities where primary_ssic_code !~ '^[0-9]{5}$'"
            ).fetchone()[0]
            == 0
        )
        # "na" placeholders are nulls, never the text 'na'.
        assert (
            conn.execute(
                "select count(*) from registry.acra_entities where building_name = 'na' or level_no = 'na'"
            ).fetchone()[0]
            == 0
        )
        assert conn.execute("select count(*) from registry.acra_entities where building_name is null").fetchone()[0] > 0
        former = conn.execute(
            "select former_entity_name1 from registry.acra_entities where uen = '199807456D'"
        ).fetchone()[0]
        assert former == "ANG FISHERY SUPPLIES PTE. LTD."
        live_per_demo_code = dict(
            conn.execute(
                "select primary_ssic_code, count(*) from registry.acra_entities"
                " where entity_status_description like 'Live%%' group by 1"
            ).fetchall()
        )
    assert all(live_per_demo_code.get(code, 0) >= 10 for code in DEMO_SSIC_TITLES)

    # A reload of the same files changes nothing.
    again = load_acra_csvs(url, paths)
    assert again == LoadStats(rows_read=total, inserted=0, updated=0, unchanged=total, skipped=0)


def test_reload_replaces_changed_rows_only(tmp_path, fresh_database_url):
    url = fresh_database_url
    header = [
        "UEN",
        "Entity_Name",
        "entity_status_description",
        "primary_ssic_code",
        "postal_code",
        "registration_incorporation_date",
        "no_of_officers",
        "some_new_column",
    ]
    first = write_csv(
        tmp_path / "a.csv",
        header,
        [
            ["201500001A", "ALPHA PTE. LTD.", "Live Company", "1111", "18956", "2015-01-02", "3", "x"],
            ["201500002B", "BETA PTE. LTD.", "Live Company", "na", "na", "not a date", "na", "y"],
            ["", "NO UEN PTE. LTD.", "Live Company", "46302", "018956", "2015-01-02", "1", "z"],
        ],
    )
    stats = load_acra_csvs(url, [first])
    assert stats == LoadStats(rows_read=3, inserted=2, updated=0, unchanged=0, skipped=1)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select primary_ssic_code, postal_code, registration_incorporation_date::text, no_of_officers,"
            " street_name from registry.acra_entities where uen = '201500001A'"
        ).fetchone()
        assert row == ("01111", "018956", "2015-01-02", 3, None)  # missing columns are null
        assert conn.execute(
            "select primary_ssic_code, postal_code, registration_incorporation_date, no_of_officers"
            " from registry.acra_entities where uen = '201500002B'"
        ).fetchone() == (None, None, None, None)

    second = write_csv(
        tmp_path / "b.csv",
        header[:5],
        [
            ["201500001A", "ALPHA PTE. LTD.", "Struck Off", "1111", "18956"],  # status changed
            ["201500002B", "BETA PTE. LTD.", "Live Company", "na", "na"],  # same as before
            ["201500003C", "GAMMA PTE. LTD.", "Live Company", "62011", "629587"],
            ["201500003C", "GAMMA HOLDINGS PTE. LTD.", "Live Company", "62011", "629587"],  # last one wins
        ],
    )
    stats = load_acra_csvs(url, [second])
    # ALPHA also loses its date and officers (absent from this release), so it is one update.
    assert stats == LoadStats(rows_read=4, inserted=1, updated=1, unchanged=1, skipped=0)
    with psycopg.connect(url) as conn:
        assert conn.execute(
            "select entity_status_description from registry.acra_entities where uen = '201500001A'"
        ).fetchone() == ("Struck Off",)
        assert conn.execute("select entity_name from registry.acra_entities where uen = '201500003C'").fetchone() == (
            "GAMMA HOLDINGS PTE. LTD.",
        )


def test_a_first_load_builds_the_same_indexes_and_spares_those_in_use(tmp_path, fresh_database_url):
    """Into an empty registry the rows go first and the indexes are built after them: the same indexes,
    and one that something else depends on (here a view grouping by the primary key) kept throughout."""
    url = fresh_database_url
    indexes = (
        "select indexname, indexdef from pg_indexes"
        " where schemaname = 'registry' and tablename = 'acra_entities' order by indexname"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute(indexes).fetchall()
        conn.execute(
            "create view public.names_by_uen as"
            " select e.uen, e.entity_name from registry.acra_entities e group by e.uen"  # needs the key
        )
    path = write_csv(tmp_path / "a.csv", ["uen", "entity_name"], [["201500001A", "ALPHA PTE. LTD."]])
    assert load_acra_csvs(url, [path]) == LoadStats(1, 1, 0, 0)
    with psycopg.connect(url) as conn:
        assert conn.execute(indexes).fetchall() == before
        assert conn.execute("select * from public.names_by_uen").fetchall() == [("201500001A", "ALPHA PTE. LTD.")]


def test_a_first_load_keeps_the_last_of_repeated_uens_with_the_primary_key_in_use(tmp_path, fresh_database_url):
    """Repeated UENs go straight into an empty registry only when its primary key was dropped: kept
    (something depends on it), it would refuse them, so they are merged as into a registry in use."""
    url = fresh_database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "create view public.names_by_uen as"
            " select e.uen, e.entity_name from registry.acra_entities e group by e.uen"  # needs the key
        )
    rows = [["201500001A", "ONE PTE. LTD."], ["201500002B", "TWO PTE. LTD."], ["201500001a", "ONE AGAIN PTE. LTD."]]
    path = write_csv(tmp_path / "a.csv", ["uen", "entity_name"], rows)
    assert load_acra_csvs(url, [path]) == LoadStats(3, 2, 0, 0)
    with psycopg.connect(url) as conn:
        assert conn.execute("select * from public.names_by_uen order by uen").fetchall() == [
            ("201500001A", "ONE AGAIN PTE. LTD."),
            ("201500002B", "TWO PTE. LTD."),
        ]
    assert load_acra_csvs(url, [path]) == LoadStats(3, 0, 0, 2)


# Values the loader must keep as they are; anything else is derived from the column's SQL type.
_CODED_VALUES = {
    "uen": "T15LL0001A",
    "primary_ssic_code": "62011",
    "secondary_ssic_code": "46302",
    "postal_code": "018956",
}


def test_every_table_column_is_loaded_from_its_csv_column(tmp_path, fresh_database_url):
    """A release carrying every column of registry.acra_entities (headers in any case or spacing)
    fills every column of the table: a column the loader does not know would stay null."""
    with psycopg.connect(fresh_database_url) as conn:
        columns = conn.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'registry'"
            " and table_name = 'acra_entities' and column_name <> all(%s) order by ordinal_position",
            (list(DERIVED_COLUMNS),),
        ).fetchall()
    csv_values, expected = [], {}
    for position, (column, data_type) in enumerate(columns, start=1):
        if column in _CODED_VALUES:
            csv_value = expected_value = _CODED_VALUES[column]
        elif data_type == "date":
            expected_value = date(2001, 1 + position % 12, position % 28 + 1)
            csv_value = expected_value.strftime("%d/%m/%Y")
        elif data_type in ("integer", "bigint", "smallint"):
            expected_value, csv_value = position, str(position)
        else:
            csv_value = expected_value = f"Value of {column}"
        csv_values.append(csv_value)
        expected[column] = expected_value
    headers = [f" {column.replace('_', ' ').title()} " for column, _ in columns]  # e.g. " Entity Name "
    path = write_csv(tmp_path / "release.csv", headers, [csv_values])

    assert load_acra_csvs(fresh_database_url, [path]) == LoadStats(1, 1, 0, 0, 0)
    with psycopg.connect(fresh_database_url) as conn:
        row = conn.execute(
            "select " + ", ".join(column for column, _ in columns) + " from registry.acra_entities"
        ).fetchone()
    assert dict(zip(expected, row, strict=True)) == expected


def test_generator_is_deterministic_and_realistic(tmp_path):
    first = generate_acra_csvs(tmp_path / "a", entities=2000, seed=5)
    second = generate_acra_csvs(tmp_path / "b", entities=2000, seed=5)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    rows = [row for path in first for row in csv.DictReader(open(path))]
    assert len(rows) == 2000 and len({r["uen"] for r in rows}) == 2000
    live = sum(r["entity_status_description"].startswith("Live") for r in rows) / len(rows)
    assert 0.2 < live < 0.4
    assert any("(S) PTE. LTD." in r["entity_name"] for r in rows)
    # Hard cases for the matcher: siblings and names that extend each other.
    names = {r["entity_name"] for r in rows}
    stems = {n.removesuffix(" (S) PTE. LTD.") for n in names if n.endswith(" (S) PTE. LTD.")}
    assert any(f"{stem} HOLDINGS PTE. LTD." in names and f"{stem} PTE. LTD." in names for stem in stems)
    bare = sorted(normalise_name(n) for n in names)
    assert any(b.startswith(a + " ") for a, b in zip(bare, bare[1:], strict=False))
    assert any(r["former_entity_name1"] != "na" for r in rows)
    assert all(len(r["postal_code"]) == 6 and len(r["primary_ssic_code"]) == 5 for r in rows)

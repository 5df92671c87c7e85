import csv
from pathlib import Path

import openpyxl
import psycopg
import pytest

from icp_assets.demo.catalog import DEMO_SSIC_TITLES, all_companies
from icp_assets.matching import Matcher, MatchIndex
from icp_assets.names import normalise_name
from icp_assets.registry import (
    ACRA_COLUMNS,
    DEMO_SSIC_PARENT_TITLES,
    LoadStats,
    clean_postal_code,
    clean_ssic,
    fetch_registry_entities,
    load_acra_csvs,
    load_demo_ssic,
    load_match_index,
    load_ssic_index,
    load_ssic_structure,
    parse_date,
    registry_version,
)
from icp_assets.synthetic_registry import generate_acra_csvs

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
STRUCTURE_XLSX = SHARED_DATA / "ssic2020-classification-structure.xlsx"
INDEX_XLSX = SHARED_DATA / "ssic2020-alphabetical-index.xlsx"


@pytest.fixture
def url(fresh_database_url):
    return fresh_database_url


@pytest.fixture
def clean_url(url):
    with psycopg.connect(url) as conn:
        conn.execute("truncate registry.acra_entities, registry.ssic_codes, registry.ssic_index")
    return url


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("018956", "018956"), ("18956", "018956"), ("629587", "629587"), ("na", None), ("1234567", None), ("S123", None)],
)
def test_clean_postal_code(raw, expected):
    assert clean_postal_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2003-03-11", "2003-03-11"),
        ("11/03/2003", "2003-03-11"),
        ("20030311", "2003-03-11"),
        ("2003-03-11T00:00:00", "2003-03-11"),
        ("2003-02-30", None),
        ("na", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_date(raw, expected):
    parsed = parse_date(raw)
    assert (parsed.isoformat() if parsed else None) == expected


# --- ACRA load ------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_load_generated_registry(tmp_path, clean_url):
    paths = generate_acra_csvs(tmp_path, entities=3000, seed=3, extra=all_companies())
    seen_progress: list[int] = []
    stats = load_acra_csvs(clean_url, paths, progress=seen_progress.append)
    total = 3000 + len(all_companies())
    assert stats == LoadStats(rows_read=total, inserted=total, updated=0, unchanged=0, skipped=0)
    assert seen_progress[-1] == total
    assert scalar(clean_url, "select count(*) from registry.acra_entities") == total

    # Leading zeros survive: SSIC codes are 5-character text, postal codes 6 digits.
    brightpath = (
        "select primary_ssic_code, postal_code, entity_status_description from registry.acra_entities where uen = %s"
    )
    with psycopg.connect(clean_url) as conn:
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
    again = load_acra_csvs(clean_url, paths)
    assert again == LoadStats(rows_read=total, inserted=0, updated=0, unchanged=total, skipped=0)


def test_reload_replaces_changed_rows_only(tmp_path, clean_url):
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
    stats = load_acra_csvs(clean_url, [first])
    assert stats == LoadStats(rows_read=3, inserted=2, updated=0, unchanged=0, skipped=1)
    with psycopg.connect(clean_url) as conn:
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
    stats = load_acra_csvs(clean_url, [second])
    # ALPHA also loses its date and officers (absent from this release), so it is one update.
    assert stats == LoadStats(rows_read=4, inserted=1, updated=1, unchanged=1, skipped=0)
    with psycopg.connect(clean_url) as conn:
        assert conn.execute(
            "select entity_status_description from registry.acra_entities where uen = '201500001A'"
        ).fetchone() == ("Struck Off",)
        assert conn.execute("select entity_name from registry.acra_entities where uen = '201500003C'").fetchone() == (
            "GAMMA HOLDINGS PTE. LTD.",
        )


def test_acra_columns_match_the_table(url):
    with psycopg.connect(url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'registry' and table_name = 'acra_entities' order by ordinal_position"
            )
        ]
    assert tuple(c for c in columns if c != "loaded_at") == ACRA_COLUMNS


def test_matcher_from_registry(tmp_path, clean_url):
    paths = generate_acra_csvs(tmp_path, entities=2000, seed=9, extra=all_companies())
    load_acra_csvs(clean_url, paths)
    entities = list(fetch_registry_entities(clean_url, batch_size=500))
    assert len(entities) == 2000 + len(all_companies())
    matcher = Matcher(MatchIndex.build(entities))
    for company in all_companies():
        result = matcher.match(company.name, company.domain)
        assert (result.status, result.uen) == ("matched", company.uen), company.name
    assert matcher.match("Ang Fishery Supplies").method == "former_name"


def test_match_index_is_saved_per_registry_version(tmp_path, clean_url):
    paths = generate_acra_csvs(tmp_path / "acra", entities=500, seed=4, extra=all_companies())
    load_acra_csvs(clean_url, paths)
    folder = tmp_path / "index"
    index, first = load_match_index(clean_url, folder)
    assert first.built and first.path.exists() and len(index) == 500 + len(all_companies())
    again, second = load_match_index(clean_url, folder)
    assert not second.built and second.version == first.version and len(again) == len(index)
    load_acra_csvs(clean_url, paths)  # nothing changes, so neither does the version
    assert registry_version(clean_url) == first.version
    renamed = write_csv(
        tmp_path / "renamed.csv",
        ["uen", "entity_name", "entity_status_description"],
        [["201430111R", "HARBOURLINE GLOBAL LOGISTICS PTE. LTD.", "Live Company"]],
    )
    load_acra_csvs(clean_url, [renamed])
    index, third = load_match_index(clean_url, folder)
    assert third.built and third.version != first.version
    assert sorted(folder.glob("*.npz")) == [third.path]  # the stale version is gone
    assert Matcher(index).match("Harbourline Global Logistics").uen == "201430111R"


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


# --- SSIC -----------------------------------------------------------------------------------


def write_ssic_workbook(path: Path, header: tuple, rows: list[tuple]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for banner in (("Singapore Standard Industrial Classification 2020",), ("Last updated",), ("DOS",), ()):
        sheet.append(banner)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_load_ssic_structure_from_small_workbook(tmp_path, clean_url):
    path = write_ssic_workbook(
        tmp_path / "structure.xlsx",
        ("SSIC 2020", "SSIC 2020 Title"),
        [
            ("A", "AGRICULTURE AND FISHING"),
            ("01", "AGRICULTURE AND RELATED SERVICE ACTIVITIES"),
            ("011", "GROWING OF CROPS"),
            (111, "Growing of Food Crops (Non-Hydroponics)"),  # a number that lost its zero
            ("01111", "Growing of leafy and fruit vegetables"),
            ("G", "WHOLESALE AND RETAIL TRADE"),
            ("46", "WHOLESALE TRADE"),
            (463, "WHOLESALE OF FOOD, BEVERAGES AND TOBACCO"),
            ("4630", "Wholesale of Food, Beverages and Tobacco"),
            (46302, "Wholesale of livestock, meat, poultry, eggs and seafood"),
            (None, None),
        ],
    )
    assert load_ssic_structure(clean_url, path) == 10
    assert load_ssic_structure(clean_url, path) == 10  # idempotent
    with psycopg.connect(clean_url) as conn:
        rows = dict(
            (r[0], r[1:]) for r in conn.execute("select code, level, parent_code, section from registry.ssic_codes")
        )
    assert rows["A"] == ("section", None, "A")
    assert rows["01"] == ("division", "A", "A")
    assert rows["0111"] == ("class", "011", "A")
    assert rows["01111"] == ("subclass", "0111", "A")
    assert rows["463"] == ("group", "46", "G")
    assert rows["46302"] == ("subclass", "4630", "G")


def test_load_ssic_index_from_small_workbook(tmp_path, clean_url):
    path = write_ssic_workbook(
        tmp_path / "index.xlsx",
        ("SSIC 2020", "SSIC 2020 Alphabetical Index Description", "Skills Framework Identifier"),
        [
            ("01111", "Tomato growing", None),
            (1111, "Spinach  growing ", "X1"),
            ("46302", "Seafood wholesale", None),
            ("46302", "Seafood wholesale", None),
            ("bad", "Ignored", None),
            ("46303", None, None),
        ],
    )
    assert load_ssic_index(clean_url, path) == 3
    assert load_ssic_index(clean_url, path) == 3
    with psycopg.connect(clean_url) as conn:
        assert sorted(conn.execute("select code, phrase from registry.ssic_index").fetchall()) == [
            ("01111", "Spinach growing"),
            ("01111", "Tomato growing"),
            ("46302", "Seafood wholesale"),
        ]


def test_load_demo_ssic(clean_url):
    load_demo_ssic(clean_url)
    load_demo_ssic(clean_url)
    with psycopg.connect(clean_url) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute("select code, level, title, parent_code, section from registry.ssic_codes")
        }
        orphans = conn.execute(
            "select count(*) from registry.ssic_codes c where parent_code is not null"
            " and not exists (select 1 from registry.ssic_codes p where p.code = c.parent_code)"
        ).fetchone()[0]
    assert orphans == 0
    for code, title in DEMO_SSIC_TITLES.items():
        assert rows[code] == ("subclass", title, code[:4], rows[code][3])
    assert rows["52292"][3] == "H" and rows["5229"][0] == "class" and rows["H"][0] == "section"


@pytest.mark.skipif(not STRUCTURE_XLSX.exists(), reason="official SSIC files not available")
def test_load_official_ssic_files(clean_url):
    codes = load_ssic_structure(clean_url, STRUCTURE_XLSX)
    phrases = load_ssic_index(clean_url, INDEX_XLSX)
    assert codes > 1500 and phrases > 5000
    with psycopg.connect(clean_url) as conn:
        levels = dict(conn.execute("select level, count(*) from registry.ssic_codes group by 1").fetchall())
        assert levels["section"] == 21 and levels["subclass"] > 1000
        assert conn.execute(
            "select title, parent_code, section from registry.ssic_codes where code = '01111'"
        ).fetchone() == ("Growing of leafy and fruit vegetables", "0111", "A")
        # The official titles agree with the demo's built-in ones and its parent table.
        for code, title in {**DEMO_SSIC_TITLES, **DEMO_SSIC_PARENT_TITLES}.items():
            assert conn.execute("select title from registry.ssic_codes where code = %s", (code,)).fetchone() == (title,)
        assert conn.execute("select count(*) from registry.ssic_index where code = '01111'").fetchone()[0] >= 5
        before = conn.execute(
            "select md5(string_agg(row(c.*)::text, ',' order by code)) from registry.ssic_codes c"
        ).fetchone()
    load_demo_ssic(clean_url)  # the built-in rows agree with the official file, levels and parents included
    with psycopg.connect(clean_url) as conn:
        after = conn.execute(
            "select md5(string_agg(row(c.*)::text, ',' order by code)) from registry.ssic_codes c"
        ).fetchone()
    assert before == after

"""SingStat's SSIC 2020 files (xlsx, or CSV in the same layout) into registry.ssic_codes and registry.ssic_index."""

import csv
import re
from pathlib import Path

import openpyxl
import psycopg
import pytest

from demo.catalog import DEMO_SSIC_DIR, DEMO_SSIC_TITLES
from icp_assets.domain.registry.acra import RegistryFileError
from icp_assets.domain.registry.ssic import (
    SsicLoadStats,
    load_ssic_files,
    load_ssic_index,
    load_ssic_structure,
    ssic_file_kind,
)

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"  # ../shared/data beside the checkout
STRUCTURE_XLSX = SHARED_DATA / "ssic2020-classification-structure.xlsx"
INDEX_XLSX = SHARED_DATA / "ssic2020-alphabetical-index.xlsx"
DEMO_STRUCTURE_CSV = DEMO_SSIC_DIR / "ssic2020-classification-structure.csv"
LEVELS = ["section", "division", "group", "class", "subclass"]


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


def ssic_rows(url: str) -> dict[str, tuple]:
    """code -> (level, title, parent_code, section)."""
    with psycopg.connect(url) as conn:
        return {
            r[0]: r[1:]
            for r in conn.execute("select code, level, title, parent_code, section from registry.ssic_codes")
        }


def test_load_ssic_structure_from_small_workbook(tmp_path, fresh_database_url):
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
    assert load_ssic_structure(fresh_database_url, path) == 10
    assert load_ssic_structure(fresh_database_url, path) == 10  # idempotent
    rows = {
        code: (level, parent, section) for code, (level, _, parent, section) in ssic_rows(fresh_database_url).items()
    }
    assert len(rows) == 10
    assert rows["A"] == ("section", None, "A")
    assert rows["01"] == ("division", "A", "A")
    assert rows["0111"] == ("class", "011", "A")
    assert rows["01111"] == ("subclass", "0111", "A")
    assert rows["463"] == ("group", "46", "G")
    assert rows["46302"] == ("subclass", "4630", "G")


def test_load_ssic_index_from_small_workbook(tmp_path, fresh_database_url):
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
    assert load_ssic_index(fresh_database_url, path) == 3
    assert load_ssic_index(fresh_database_url, path) == 3
    with psycopg.connect(fresh_database_url) as conn:
        assert sorted(conn.execute("select code, phrase from registry.ssic_index").fetchall()) == [
            ("01111", "Spinach growing"),
            ("01111", "Tomato growing"),
            ("46302", "Seafood wholesale"),
        ]


def test_load_demo_ssic_csv(fresh_database_url):
    """The demo's codes ship as a CSV in SingStat's layout, read by the same loader: every code row
    becomes a code whose parents are all loaded and whose section is the one its parents lead to."""
    with open(DEMO_STRUCTURE_CSV, newline="", encoding="utf-8") as handle:
        in_file = {row[0]: row[1] for row in csv.reader(handle) if row and re.fullmatch(r"[A-U]|[0-9]{2,5}", row[0])}
    assert load_ssic_structure(fresh_database_url, DEMO_STRUCTURE_CSV) == len(in_file)
    first = ssic_rows(fresh_database_url)
    assert load_ssic_structure(fresh_database_url, DEMO_STRUCTURE_CSV) == len(in_file)
    rows = ssic_rows(fresh_database_url)
    assert rows == first  # a reload changes nothing
    assert {code: title for code, (_, title, _, _) in rows.items()} == in_file
    for code, (_, _, parent, section) in rows.items():
        chain = [code]
        while rows[chain[-1]][2] is not None:  # up the parents: every one of them is loaded
            chain.append(rows[chain[-1]][2])
        assert [rows[c][0] for c in reversed(chain)] == LEVELS[: len(chain)], code
        assert section == chain[-1], code
        if len(code) > 2:
            assert parent == code[:-1], code
    assert {rows[code][0] for code in DEMO_SSIC_TITLES} == {"subclass"}
    assert rows["52292"][3] == "H"


@pytest.mark.skipif(not STRUCTURE_XLSX.exists(), reason="official SSIC files not available")
def test_load_official_ssic_files(fresh_database_url):
    url = fresh_database_url
    codes = load_ssic_structure(url, STRUCTURE_XLSX)
    phrases = load_ssic_index(url, INDEX_XLSX)
    assert codes > 1500 and phrases > 5000
    with psycopg.connect(url) as conn:
        levels = dict(conn.execute("select level, count(*) from registry.ssic_codes group by 1").fetchall())
        assert levels["section"] == 21 and levels["subclass"] > 1000
        assert conn.execute(
            "select title, parent_code, section from registry.ssic_codes where code = '01111'"
        ).fetchone() == ("Growing of leafy and fruit vegetables", "0111", "A")
        assert conn.execute("select count(*) from registry.ssic_index where code = '01111'").fetchone()[0] >= 5
        before = conn.execute(
            "select md5(string_agg(row(c.*)::text, ',' order by code)) from registry.ssic_codes c"
        ).fetchone()
    load_ssic_structure(url, DEMO_STRUCTURE_CSV)  # the demo's rows agree with the official file
    with psycopg.connect(url) as conn:
        after = conn.execute(
            "select md5(string_agg(row(c.*)::text, ',' order by code)) from registry.ssic_codes c"
        ).fetchone()
    assert before == after


# --- files told apart by their header, whatever their name; bad files refused before any write ---


def test_files_are_told_apart_by_header_and_loaded_together(tmp_path, fresh_database_url):
    index = write_ssic_workbook(
        tmp_path / "download (1).xlsx",
        ("SSIC 2020", "SSIC 2020 Alphabetical Index Description", "Skills Framework Identifier"),
        [("46302", "Seafood wholesale", None)],
    )
    structure = write_ssic_workbook(
        tmp_path / "download (2).xlsx",
        ("SSIC 2020", "SSIC 2020 Title"),
        [("G", "WHOLESALE AND RETAIL TRADE"), ("46", "WHOLESALE TRADE")],
    )
    assert (ssic_file_kind(index), ssic_file_kind(structure), ssic_file_kind(DEMO_STRUCTURE_CSV)) == (
        "index",
        "structure",
        "structure",
    )
    assert load_ssic_files(fresh_database_url, [index, structure]) == SsicLoadStats(codes=2, index_phrases=1)


@pytest.mark.skipif(not STRUCTURE_XLSX.exists(), reason="official SSIC files not available")
def test_official_files_are_told_apart():
    assert (ssic_file_kind(STRUCTURE_XLSX), ssic_file_kind(INDEX_XLSX)) == ("structure", "index")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("structure.xlsx", b"uen,entity_name\n1,A\n", "not a SingStat SSIC xlsx or CSV"),
        ("structure.csv", b"uen,entity_name\n1,A\n", "not in SingStat's SSIC layout"),
        ("structure.csv", b"\xff\xfe\x00binary", "not a SingStat SSIC xlsx or CSV"),
    ],
    ids=["text named xlsx", "ACRA csv", "binary csv"],
)
def test_a_file_in_neither_layout_is_refused_and_nothing_is_written(
    tmp_path, fresh_database_url, name, content, message
):
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message):
        ssic_file_kind(bad)
    with pytest.raises(RegistryFileError, match=message):
        load_ssic_files(fresh_database_url, [DEMO_STRUCTURE_CSV, bad])
    assert ssic_rows(fresh_database_url) == {}

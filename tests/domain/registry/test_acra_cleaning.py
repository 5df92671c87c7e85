"""The loader cleans values in SQL exactly as its Python cleaner (clean_acra_row, parse_date, ...) did:
the loaded rows of tricky files are the rows that cleaner loaded, recorded here as its results."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import psycopg
import pytest

from icp_assets.domain.registry import acra
from icp_assets.domain.registry.acra import WHITESPACE, LoadStats, clean_ssic, load_acra_csvs
from tests.support.csv_files import write_csv

COLUMNS = (
    "uen, entity_name, entity_status_description, primary_ssic_code, secondary_ssic_code, postal_code,"
    " registration_incorporation_date, uen_issue_date, account_due_date, annual_return_date, no_of_officers,"
    " former_entity_name1, street_name, building_name"
)
TRICKY_HEADER = [
    "\ufeffUEN",  # a byte-order mark, capitals, spaces and punctuation: the header is normalised
    " Entity Name ",
    "Entity_Status_Description",
    "Primary SSIC Code",
    "secondary_ssic_code",
    "Postal Code",
    "Registration Incorporation Date",
    "uen_issue_date",
    "account_due_date",
    "annual_return_date",
    "No. of Officers",
    "former_entity_name1",
    "street_name",
    "building_name",
    "Unused column",
]
# uen, name, status, ssic, ssic 2, postal code, 4 dates, officers, former name, street, building, unused
TRICKY_ROWS = [
    [" 201500001a ", "  ALPHA PTE. LTD. ", "Live Company", "1111", "1111.0", "18956", "11/03/2003", "20030311",
     "2003-03-11T00:00:00", "2003-03-11 00:00:00", "3", "OLD ALPHA PTE. LTD.", " na ", "N/A", "x"],
    ["201500002B", "BETA PTE. LTD.", "NULL", "463021", "4630A", "1234567", "2003-02-30", "11-Mar-2003",
     "11 mar 2003", "2003/03/11", "3.7", "-", "nil", "None", "y"],
    ["", "NO UEN PTE. LTD.", "Live Company", "62011", "018956", "2015-01-02", "", "", "", "1", "", "", "", "", ""],
    ["201500004D", "na", "Live Company", "62011", "018956", "", "", "", "", "", "", "", "", "", ""],
    ["201500005E", "EPSILON OLD PTE. LTD.", "Live Company", "62011", "", "018956", "", "", "", "", "", "", "", "", ""],
    ["201500005E", "EPSILON NEW PTE. LTD.", "Live Company", "46302", "", "018956", "", "", "", "", "", "", "", "", ""],
    ["201500006F", "\u00a0ZETA\u00a0PTE. LTD.\u3000", "Live\x00 Company", " 62011 ", "0", "S123", "1799-12-31",
     "11-03-2003", "2003-3-1", "3/1/2003", "many", "", "", "", ""],
    ["201500007G", "ETA PTE. LTD.", "Struck Off", "62011.00", "", "018956.0", "12-OCT-2003", "12-Oct-2003",
     "12 Oct \t2003", "2003111", "1e3", "", "", "", ""],
    ["201500008H", "THETA PTE. LTD.", "Live Company", "", " ", "  18956 ", "2003-03-11 12:30:00",
     "2003-03-11T12:30", "31/12/2003", "20031301", "-2.5", "", "", "", ""],
    ["201500009J", "IOTA PTE. LTD.", "Live Company", "6201", "", "", "11/3/03", "2003-13-01", "01/01/1800",
     "01/01/2201", "nan", "", "", "", ""],
    ["201500010K", "KAPPA PTE. LTD.", "Live Company", "", "", "", "2003-03- 1", "0000-01-01", "20031232",
     "2003 1 1", "+4", "", "", "", ""],
    ["201500011L", "-", "Live Company", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["201500012M", "LAMBDA PTE. LTD.", "", "", "", "", "200311 1", "2003121", "20030230", "2004-02-29", "1,000",
     "", "", "", ""],
    ["201500014P", "NU PTE. LTD.", "Live Company", "62011", "", "629587", "2003-03-11", "1800-01-01", "2200-12-31",
     "2201-01-01", "3", "", "", "", ""],
    ["201500015Q", "XI PTE. LTD.", "Live Company", "62011", "", "", "2003-04-31", "2003-02-28", "soon", "2003-12-31",
     "", "", "", "", ""],
]  # fmt: skip
D = date
# What the Python cleaner loaded from TRICKY_ROWS: rows without a UEN or a usable name skipped, the
# last of a repeated UEN kept, values stripped (of any Unicode whitespace), placeholders null.
TRICKY_LOADED = [
    ("201500001A", "ALPHA PTE. LTD.", "Live Company", "01111", "01111", "018956",
     D(2003, 3, 11), D(2003, 3, 11), D(2003, 3, 11), D(2003, 3, 11), 3, "OLD ALPHA PTE. LTD.", None, None),
    ("201500002B", "BETA PTE. LTD.", None, None, None, None,
     None, D(2003, 3, 11), D(2003, 3, 11), D(2003, 3, 11), 3, None, None, None),
    ("201500005E", "EPSILON NEW PTE. LTD.", "Live Company", "46302", None, "018956",
     None, None, None, None, None, None, None, None),
    ("201500006F", "ZETA\xa0PTE. LTD.", "Live Company", "62011", "00000", None,
     None, D(2003, 3, 11), D(2003, 3, 1), D(2003, 1, 3), None, None, None, None),
    ("201500007G", "ETA PTE. LTD.", "Struck Off", "62011", None, "018956",
     None, D(2003, 10, 12), D(2003, 10, 12), D(2003, 11, 1), 1000, None, None, None),
    ("201500008H", "THETA PTE. LTD.", "Live Company", None, None, "018956",
     None, D(2003, 3, 11), D(2003, 12, 31), None, -2, None, None, None),
    ("201500009J", "IOTA PTE. LTD.", "Live Company", "06201", None, None,
     None, None, D(1800, 1, 1), None, None, None, None, None),
    ("201500010K", "KAPPA PTE. LTD.", "Live Company", None, None, None,
     D(2003, 3, 1), None, None, None, 4, None, None, None),
    ("201500012M", "LAMBDA PTE. LTD.", None, None, None, None,
     D(2003, 11, 1), D(2003, 12, 1), None, D(2004, 2, 29), None, None, None, None),
    ("201500013N", "MU PTE.\ufffd LTD.", "Live Company\ufffd", *[None] * 11),  # the line the test adds
    ("201500014P", "NU PTE. LTD.", "Live Company", "62011", None, "629587",
     D(2003, 3, 11), D(1800, 1, 1), D(2200, 12, 31), None, 3, None, None, None),
    ("201500015Q", "XI PTE. LTD.", "Live Company", "62011", None, None,
     None, D(2003, 2, 28), None, D(2003, 12, 31), None, None, None, None),
]  # fmt: skip


def loaded_rows(url: str, columns: str = COLUMNS) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select {columns} from registry.acra_entities order by uen").fetchall()


def test_tricky_values_load_as_the_python_cleaner_loaded_them(
    tmp_path: Path, fresh_database_url: str, caplog: pytest.LogCaptureFixture
):
    path = write_csv(tmp_path / "tricky.csv", TRICKY_HEADER, TRICKY_ROWS)
    # NUL bytes and bytes that are not UTF-8, in a file COPY takes as it is.
    path.write_bytes(path.read_bytes() + b"201500013N,MU\x00 PTE.\xff LTD.,Live Company\xe2\x82,,,,,,,,,,,,\r\n")

    with caplog.at_level(logging.INFO, logger=acra.__name__):
        stats = load_acra_csvs(fresh_database_url, [path], full_release=True)

    assert not any("row by row" in message for message in caplog.messages)  # COPY took it
    assert stats == LoadStats(rows_read=16, inserted=12, updated=0, unchanged=0, skipped=3, delisted=0)
    assert loaded_rows(fresh_database_url) == TRICKY_LOADED
    assert load_acra_csvs(fresh_database_url, [path], full_release=True) == LoadStats(16, 0, 0, 12, 3, 0)


def test_a_file_copy_refuses_is_read_as_the_csv_module_reads_it(
    tmp_path: Path, fresh_database_url: str, caplog: pytest.LogCaptureFixture
):
    """Blank and ragged lines, mixed line ends and a lone \\. (COPY's end-of-data marker) make a file
    COPY does not take; such a file still loads as leniently as Python's csv module reads it."""
    path = tmp_path / "malformed.csv"
    path.write_bytes(
        b"\xef\xbb\xbfuen,entity_name,primary_ssic_code\r\n"
        b"201600001A,ALPHA \xff PTE. LTD.,62011\r\n"
        b"\r\n"
        b"201600002B,BETA PTE. LTD.\n"  # short: the missing value is null
        b"201600003C,GAMMA PTE. LTD.,46302,extra,fields\n"  # long: the extra values are dropped
        b"\\.\n"  # a row whose UEN is "\." and which has no name: skipped
        b'201600004D,"DELTA\nPTE. LTD.",62011\n'
        b"201600005E,EP\x00SILON \xe2\x82 PTE. LTD.,na"
    )

    with caplog.at_level(logging.INFO, logger=acra.__name__):
        stats = load_acra_csvs(fresh_database_url, [path])

    assert any("malformed.csv: reading it row by row" in message for message in caplog.messages)
    assert stats == LoadStats(rows_read=6, inserted=5, updated=0, unchanged=0, skipped=1)
    assert loaded_rows(fresh_database_url, "uen, entity_name, primary_ssic_code") == [
        ("201600001A", "ALPHA \ufffd PTE. LTD.", "62011"),
        ("201600002B", "BETA PTE. LTD.", None),
        ("201600003C", "GAMMA PTE. LTD.", "46302"),
        ("201600004D", "DELTA\nPTE. LTD.", "62011"),
        ("201600005E", "EPSILON \ufffd PTE. LTD.", None),
    ]


def test_a_file_pyarrow_refuses_halfway_is_read_again_whole_by_the_csv_module(
    tmp_path: Path, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """pyarrow parses a file a block at a time: the blocks it took before the one it refuses were sent
    already, and are taken back (the file's COPY is in a savepoint) before the csv module reads it."""
    monkeypatch.setattr(acra, "_BATCH_BYTES", 1024)
    rows = [[f"2016{i:05d}A", f"COMPANY {i} PTE. LTD."] for i in range(200)]
    path = write_csv(tmp_path / "a.csv", ["uen", "entity_name"], rows)
    with open(path, "a") as handle:
        handle.write("201700001A,LAST PTE. LTD.,ragged\n")  # a long row, in the last block
    with caplog.at_level(logging.INFO, logger=acra.__name__):
        assert load_acra_csvs(fresh_database_url, [path]) == LoadStats(201, 201, 0, 0)
    assert any("a.csv: reading it row by row" in message for message in caplog.messages)
    assert loaded_rows(fresh_database_url, "uen, entity_name") == [*map(tuple, rows), ("201700001A", "LAST PTE. LTD.")]


def test_a_line_copy_would_take_for_the_end_of_its_data_is_a_row_like_any_other(
    tmp_path: Path, fresh_database_url: str
):
    """COPY ends its data at a line holding only \\. and would silently drop the rows after it."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"uen,entity_name\n201600001A,ALPHA PTE. LTD.\n\\.\n201600002B,BETA PTE. LTD.\n")
    assert load_acra_csvs(fresh_database_url, [path]) == LoadStats(3, 2, 0, 0, 1)
    assert loaded_rows(fresh_database_url, "uen") == [("201600001A",), ("201600002B",)]


def test_a_repeated_uen_keeps_its_last_row_across_files(tmp_path: Path, fresh_database_url: str):
    header = ["uen", "entity_name", "postal_code", "uen"]  # a repeated column: its last one counts
    first = write_csv(tmp_path / "a.csv", header, [["x", "ONE PTE. LTD.", "1", "201700001A"]])
    second = write_csv(
        tmp_path / "b.csv",
        header,
        [["x", "TWO PTE. LTD.", "2", "201700001a"], ["x", "NA", "3", "201700001A"]],  # no usable name: skipped
    )
    assert load_acra_csvs(fresh_database_url, [first, second]) == LoadStats(3, 1, 0, 0, 1)
    assert loaded_rows(fresh_database_url, "uen, entity_name, postal_code") == [
        ("201700001A", "TWO PTE. LTD.", "000002")
    ]


def test_ssic_codes_load_as_clean_ssic_cleans_them(tmp_path: Path, fresh_database_url: str):
    """The SSIC reference files are cleaned in Python (clean_ssic), the ACRA files in SQL: one rule."""
    codes = ["46302", "1111", "1111.0", " 62011 ", "na", "NA", "", "463021", "4630A", "0", ".0", "11.0.0", "\xa01111"]
    rows = [[f"2018{i:05d}A", "A PTE. LTD.", code] for i, code in enumerate(codes)]
    load_acra_csvs(
        fresh_database_url, [write_csv(tmp_path / "a.csv", ["uen", "entity_name", "primary_ssic_code"], rows)]
    )
    assert loaded_rows(fresh_database_url, "primary_ssic_code") == [(clean_ssic(code),) for code in codes]


def test_whitespace_is_what_str_strip_strips():
    assert WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def test_a_slow_load_logs_its_progress_with_context(
    tmp_path: Path, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(acra, "PROGRESS_SECONDS", 0.0)  # every load is a slow one
    rows = [[f"2019{i:05d}A", f"COMPANY {i} PTE. LTD."] for i in range(3)]
    path = write_csv(tmp_path / "ACRAInformationonCorporateEntitiesC.csv", ["uen", "entity_name"], rows)
    with caplog.at_level(logging.INFO, logger=acra.__name__):
        load_acra_csvs(fresh_database_url, [path])
    copying = [r for r in caplog.records if hasattr(r, "percent")]
    assert copying and all(r.stage == "registry" and r.file == path.name for r in copying)
    assert copying[-1].percent == 100 and copying[-1].rows == 3
    assert "stage=registry rows=3: building the indexes" in caplog.messages  # into an empty registry

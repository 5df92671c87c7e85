"""A full ACRA release delists the entities it no longer lists (keeping their rows); a partial load
never does; a release leaving out an implausible share is refused; bad files are refused whole."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from demo.catalog import DEMO_SSIC_DIR
from icp_assets.domain.audience import size_audience
from icp_assets.domain.matching.index_store import fetch_registry_entities, registry_version
from icp_assets.domain.registry.acra import (
    DelistingRefused,
    RegistryFileError,
    check_acra_csv,
    files_fingerprint,
    load_acra_csvs,
)
from tests.support.csv_files import write_csv

HEADER = ["uen", "entity_name", "entity_status_description", "primary_ssic_code", "postal_code"]


def uen(i: int) -> str:
    return f"2015{i:05d}A"


def release(folder: Path, numbers: range | list[int], struck_off: frozenset[int] = frozenset()) -> list[Path]:
    """One release split in two files, as data.gov.sg splits its release by first letter."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        [uen(i), f"COMPANY {i} PTE. LTD.", "Struck Off" if i in struck_off else "Live Company", "62011", "018956"]
        for i in numbers
    ]
    half = len(rows) // 2
    return [
        write_csv(folder / "ACRAInformationonCorporateEntitiesA.csv", HEADER, rows[:half]),
        write_csv(folder / "ACRAInformationonCorporateEntitiesB.csv", HEADER, rows[half:]),
    ]


def entity(url: str, i: int) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select entity_status_description, current_status, delisted_at is not null"
            " from registry.acra_entities where uen = %s",
            (uen(i),),
        ).fetchone()


def audience_total(url: str, expression: str) -> int:
    with psycopg.connect(url) as conn:
        return size_audience(conn, "nobody", expression, 0).total


def all_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select * from registry.acra_entities order by uen").fetchall()


def test_a_full_release_delists_what_it_no_longer_lists_and_keeps_the_row(tmp_path: Path, fresh_database_url: str):
    url = fresh_database_url
    load_acra_csvs(url, release(tmp_path / "jan", range(100)), full_release=True)
    version_before = registry_version(url)

    # February: entity 7 is gone (1 of 100, a plausible share), entity 8 is struck off.
    stats = load_acra_csvs(
        url, release(tmp_path / "feb", [i for i in range(100) if i != 7], struck_off=frozenset({8})), full_release=True
    )
    assert (stats.rows_read, stats.updated, stats.unchanged, stats.delisted) == (99, 1, 98, 1)
    assert entity(url, 7) == ("Live Company", "Delisted", True)  # its last published status stays
    assert entity(url, 8) == ("Struck Off", "Struck Off", False)
    assert audience_total(url, "status:live") == 98
    assert audience_total(url, "status:delisted") == 1
    assert {e.uen: e.is_live for e in fetch_registry_entities(url)}[uen(7)] is False
    assert registry_version(url) != version_before  # the match index is rebuilt for the new statuses

    # March lists entity 7 again: it is listed, and live, once more.
    stats = load_acra_csvs(url, release(tmp_path / "mar", range(100), struck_off=frozenset({8})), full_release=True)
    assert (stats.updated, stats.delisted) == (1, 0)
    assert entity(url, 7) == ("Live Company", "Live Company", False)
    assert audience_total(url, "status:live") == 99


def test_a_load_not_declared_a_full_release_delists_nothing(tmp_path: Path, fresh_database_url: str):
    url = fresh_database_url
    first_file, _ = release(tmp_path / "jan", range(100))
    load_acra_csvs(url, release(tmp_path / "jan", range(100)), full_release=True)
    stats = load_acra_csvs(url, [first_file])  # one letter's file of the release
    assert (stats.rows_read, stats.delisted) == (50, 0)
    assert audience_total(url, "status:delisted") == 0
    assert audience_total(url, "status:live") == 100


def test_a_release_leaving_out_too_many_is_refused_and_changes_nothing(tmp_path: Path, fresh_database_url: str):
    url = fresh_database_url
    load_acra_csvs(url, release(tmp_path / "jan", range(100)), full_release=True)
    before = all_rows(url)
    first_file, _ = release(tmp_path / "feb", range(100), struck_off=frozenset({1}))  # a change in the file loaded
    with pytest.raises(DelistingRefused, match=r"does not list 50 of the 100 listed entities \(50%"):
        load_acra_csvs(url, [first_file], full_release=True)
    assert all_rows(url) == before  # not even the struck-off row of the file that was read

    stats = load_acra_csvs(url, [first_file], full_release=True, max_delisted_share=None)
    assert stats.delisted == 50
    assert audience_total(url, "status:live") == 49


def test_a_release_missing_one_small_letter_file_is_refused(tmp_path: Path, fresh_database_url: str):
    """25 entities named Q... of 1,000 (2.5%, under the overall limit): their file is missing."""
    url = fresh_database_url
    rows = [
        [uen(i), f"{'Q' if i < 25 else 'A'}{i} TRADING PTE. LTD.", "Live Company", "62011", "018956"]
        for i in range(1000)
    ]
    q_file = write_csv(tmp_path / "ACRAInformationonCorporateEntitiesQ.csv", HEADER, rows[:25])
    a_file = write_csv(tmp_path / "ACRAInformationonCorporateEntitiesA.csv", HEADER, rows[25:])
    load_acra_csvs(url, [a_file, q_file], full_release=True)
    with pytest.raises(
        DelistingRefused, match=r"does not list 25 of the 25 listed entities whose names start with 'Q'"
    ):
        load_acra_csvs(url, [a_file], full_release=True)
    assert audience_total(url, "status:live") == 1000


def test_a_row_skipped_for_its_name_is_still_listed(tmp_path: Path, fresh_database_url: str):
    url = fresh_database_url
    load_acra_csvs(url, release(tmp_path / "jan", range(100)), full_release=True)
    rows = [
        [uen(i), f"COMPANY {i} PTE. LTD." if i != 5 else "NA", "Live Company", "62011", "018956"] for i in range(100)
    ]
    stats = load_acra_csvs(url, [write_csv(tmp_path / "feb.csv", HEADER, rows)], full_release=True)
    assert (stats.skipped, stats.delisted) == (1, 0)  # a name it cannot use does not make it delisted
    assert entity(url, 5) == ("Live Company", "Live Company", False)


def test_a_bad_file_among_good_ones_leaves_the_table_as_it_was(tmp_path: Path, fresh_database_url: str):
    good = release(tmp_path / "jan", range(10))
    bad = DEMO_SSIC_DIR / "ssic2020-classification-structure.csv"  # the SSIC file given as an ACRA file
    with pytest.raises(RegistryFileError, match="not an ACRA entities CSV: its header lacks uen and entity_name"):
        load_acra_csvs(fresh_database_url, [*good, bad], full_release=True)
    assert all_rows(fresh_database_url) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"name,website\nAcme,acme.sg\n", "its header lacks uen and entity_name"),
        (b"uen,name\n201500001A,Acme\n", "its header lacks entity_name"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "not an ACRA entities CSV"),  # an xlsx
    ],
    ids=["empty", "other csv", "no entity_name", "binary"],
)
def test_files_that_are_not_acra_csvs_are_named_as_such(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "download.csv"
    path.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message):
        check_acra_csv(path)


def test_nul_characters_are_dropped_not_refused(tmp_path: Path, fresh_database_url: str):
    path = write_csv(tmp_path / "a.csv", HEADER, [[uen(1), "ACME\x00 PTE. LTD.", "Live\x00 Company", "62011", "na"]])
    load_acra_csvs(fresh_database_url, [path])
    assert entity(fresh_database_url, 1) == ("Live Company", "Live Company", False)


def test_the_fingerprint_changes_with_any_file_and_only_then(tmp_path: Path):
    first, second = release(tmp_path, range(10))
    fingerprint = files_fingerprint([first, second])
    assert files_fingerprint([second, first]) == fingerprint
    assert files_fingerprint([first]) != fingerprint
    stat = second.stat()
    os.utime(second, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # rewritten, same size
    assert files_fingerprint([first, second]) != fingerprint

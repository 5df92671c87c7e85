"""`icp registry load`: bad files refused before anything is written; a load leaves the registry ready
(models rebuilt); a full release delists what it no longer lists, and one implausible release is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from demo.catalog import DEMO_SSIC_DIR
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.platform.database import dagster_database_url, database_name, drop_database, with_database
from tests.support.csv_files import write_csv

ICP = str(Path(sys.executable).with_name("icp"))
SSIC_CSV = DEMO_SSIC_DIR / "ssic2020-classification-structure.csv"
HEADER = ["uen", "entity_name", "entity_status_description", "primary_ssic_code", "postal_code"]


def uen(i: int) -> str:
    return f"2015{i:05d}A"


def release(folder: Path, numbers: list[int]) -> list[Path]:
    """A release of live software companies in two files, as data.gov.sg splits its release."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[uen(i), f"COMPANY {i} PTE. LTD.", "Live Company", "62011", "018956"] for i in numbers]
    return [
        write_csv(folder / "ACRAInformationonCorporateEntitiesA.csv", HEADER, rows[: len(rows) // 2]),
        write_csv(folder / "ACRAInformationonCorporateEntitiesB.csv", HEADER, rows[len(rows) // 2 :]),
    ]


def registry_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return (
            conn.execute("select * from registry.acra_entities order by uen").fetchall()
            + conn.execute("select * from registry.ssic_codes order by code").fetchall()
        )


def dagster_database_exists(url: str) -> bool:
    with psycopg.connect(with_database(url, "postgres")) as conn:
        return conn.execute(
            "select exists (select 1 from pg_database where datname = %s)", (database_name(url) + "_dagster",)
        ).fetchone()[0]


def test_help_names_the_delisting_guard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "load", "--help"]) == EXIT_OK
    shown = " ".join(capsys.readouterr().out.split())
    assert "more than 5% of the listed entities, or more than 50% of those under one first letter, is refused" in shown


# --- bad input: exit 2, one line a problem, nothing written and no run started ----------------------


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ([], ["registry load: give --acra CSV... and/or --ssic FILE..."]),
        (
            ["--full-release", "--ssic", str(SSIC_CSV)],
            ["registry load: --full-release needs the release's --acra files"],
        ),
        (
            ["--allow-mass-delisting", "--acra", "{good}"],
            ["registry load: --allow-mass-delisting only applies with --full-release"],
        ),
        (
            ["--full-release", "--acra", "{good}", str(SSIC_CSV), "{missing}", "--ssic", "{good}"],
            [
                f"registry load: {SSIC_CSV}: not an ACRA entities CSV: its header lacks uen and entity_name"
                " (data.gov.sg's files start with uen, issuance_agency_id, entity_name, ...)",
                "registry load: no such file: {missing}",
                "registry load: {good}: not in SingStat's SSIC layout (no header row starting with 'SSIC 2020')",
            ],
        ),
    ],
    ids=["no files", "full release without acra", "mass delisting without full release", "wrong files"],
)
def test_bad_input_exits_2_before_anything_is_written(
    arguments: list[str],
    errors: list[str],
    fresh_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    good = release(tmp_path, [1, 2])[0]
    names = {"good": str(good), "missing": str(tmp_path / "missing.csv")}
    assert main(["registry", "load", *(a.format(**names) for a in arguments)]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [e.format(**names) for e in errors]
    assert registry_rows(fresh_database_url) == []
    assert not dagster_database_exists(fresh_database_url)  # no run was started


# --- loads through the registry_refresh job ----------------------------------------------------------


@pytest.fixture(scope="module")
def loads(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """January's release, February's without entity 7, then one file of March's declared a full release."""
    url = make_database()
    folder = tmp_path_factory.mktemp("releases")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ICP_DAGSTER_DATABASE_URL")},
        "ICP_DATABASE_URL": url,
        "ICP_HOME": str(tmp_path_factory.mktemp("icp_home")),
    }

    def load(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ICP, "registry", "load", *arguments], env=env, capture_output=True, text=True, timeout=600
        )

    def snapshot() -> dict:
        with psycopg.connect(url) as conn:
            return {
                "live": {r[0] for r in conn.execute("select uen from intermediate.int_registry_live_entities")},
                "segment_total": conn.execute(
                    "select sum(live_entities) from intermediate.int_registry_segments"
                ).fetchone()[0],
                "status_7": conn.execute(
                    "select entity_status, current_status, delisted_at is not null"
                    " from staging.stg_registry__acra_entities where uen = %s",
                    (uen(7),),
                ).fetchone(),
                "rows": registry_rows(url),
            }

    january = load(
        "--full-release", "--acra", *map(str, release(folder / "jan", list(range(40)))), "--ssic", str(SSIC_CSV)
    )
    after_january = snapshot()
    february = load("--full-release", "--acra", *map(str, release(folder / "feb", [i for i in range(40) if i != 7])))
    after_february = snapshot()
    # March: one letter's file declared a full release, with an SSIC file that retitles a code.
    retitled = folder / "ssic-mar" / SSIC_CSV.name
    retitled.parent.mkdir()
    retitled.write_text(SSIC_CSV.read_text().replace("General warehousing", "Retitled warehousing"))
    march_one_file = load(
        "--full-release", "--acra", str(release(folder / "mar", list(range(40)))[0]), "--ssic", str(retitled)
    )
    after_march = snapshot()
    try:
        yield {
            "runs": [january, february, march_one_file],
            "after": [after_january, after_february, after_march],
        }
    finally:
        drop_database(dagster_database_url(url))


@pytest.mark.slow
def test_a_load_leaves_the_registry_models_built(loads: dict) -> None:
    january, after = loads["runs"][0], loads["after"][0]
    assert january.returncode == EXIT_OK, january.stderr[-3000:]
    assert january.stdout.splitlines()[0] == (
        "acra_entities: 40 rows read: 40 inserted, 0 updated, 0 unchanged, 0 skipped, 0 delisted (full release)"
    )
    assert "ssic_codes: " in january.stdout and "match_index: 40 entities" in january.stdout
    assert after["live"] == {uen(i) for i in range(40)} and after["segment_total"] == 40


@pytest.mark.slow
def test_a_full_release_without_an_entity_delists_it_and_the_models_follow(loads: dict) -> None:
    february, after = loads["runs"][1], loads["after"][1]
    assert february.returncode == EXIT_OK, february.stderr[-3000:]
    assert "39 rows read: 0 inserted, 0 updated, 39 unchanged, 0 skipped, 1 delisted (full release)" in february.stdout
    assert after["status_7"] == ("Live Company", "Delisted", True)
    assert uen(7) not in after["live"] and after["segment_total"] == 39


@pytest.mark.slow
def test_one_file_declared_a_full_release_is_refused_and_changes_nothing(loads: dict) -> None:
    march, before, after = loads["runs"][2], loads["after"][1], loads["after"][2]
    assert march.returncode == EXIT_BAD_INPUT, march.stderr[-3000:]
    # Entities 20-39 are missing (entity 7, in the file, would have been listed again).
    assert "does not list 20 of the 39 listed entities (51%" in march.stderr
    assert "--allow-mass-delisting" in march.stderr and "Traceback" not in march.stderr
    assert march.stdout == ""
    assert after == before  # the SSIC file of the same command not loaded either

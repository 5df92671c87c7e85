"""The acra_entities asset: the ICP_ACRA_DIR folder is one full release; a bad file fails the run as
bad input (what `icp registry load` turns into exit 2), with the table left as it was."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg

from icp_assets.defs.registry import acra_entities
from icp_assets.domain.registry.acra import files_fingerprint
from icp_assets.runs import run_failure
from resources.postgres import PostgresResource
from resources.registry_files import RegistryFilesResource
from tests.support.csv_files import write_csv

HEADER = ["uen", "entity_name", "entity_status_description", "primary_ssic_code"]


def _release(folder: Path, numbers: list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[f"2015{i:05d}A", f"COMPANY {i} PTE. LTD.", "Live Company", "62011"] for i in numbers]
    return [
        write_csv(folder / "ACRAInformationonCorporateEntitiesA.csv", HEADER, rows[: len(rows) // 2]),
        write_csv(folder / "ACRAInformationonCorporateEntitiesB.csv", HEADER, rows[len(rows) // 2 :]),
    ]


def _materialize(url: str, folder: Path, config: dict | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [acra_entities],
        resources={
            "postgres": PostgresResource(database_url=url),
            "registry_files": RegistryFilesResource(acra_dir=str(folder)),
        },
        run_config={"ops": {"acra_entities": {"config": config or {}}}},
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("acra_entities")[0].metadata.items()}


def test_the_folder_is_a_full_release(tmp_path: Path, fresh_database_url: str) -> None:
    folder = tmp_path / "acra"
    _release(folder, list(range(40)))
    assert _metadata(_materialize(fresh_database_url, folder))["inserted"] == 40

    files = _release(folder, [i for i in range(40) if i != 3])  # the next release, without entity 3
    metadata = _metadata(_materialize(fresh_database_url, folder))
    assert (metadata["full_release"], metadata["delisted"], metadata["files"]) == (True, 1, 2)
    assert metadata["fingerprint"] == files_fingerprint(files)  # what the sensor compares with


def test_files_named_in_the_config_load_instead_of_the_folder(tmp_path: Path, fresh_database_url: str) -> None:
    folder = tmp_path / "acra"
    _release(folder, list(range(40)))
    named = _release(tmp_path / "elsewhere", [100, 101])[:1]
    metadata = _metadata(_materialize(fresh_database_url, folder, {"files": [str(named[0])], "full_release": False}))
    assert (metadata["rows_read"], metadata["full_release"]) == (1, False)
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("select array_agg(uen) from registry.acra_entities").fetchone()[0] == ["201500100A"]


def test_a_bad_file_fails_the_run_as_bad_input(tmp_path: Path, fresh_database_url: str) -> None:
    folder = tmp_path / "acra"
    _release(folder, list(range(40)))
    write_csv(folder / "notes.csv", ["name", "website"], [["Acme", "acme.sg"]])  # not an ACRA file
    result = _materialize(fresh_database_url, folder)
    failure = run_failure(result)
    assert not result.success and failure.bad_input
    assert "notes.csv: not an ACRA entities CSV" in failure.message
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("select count(*) from registry.acra_entities").fetchone()[0] == 0

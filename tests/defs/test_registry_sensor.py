"""registry_files_sensor: one registry_refresh run per settled state of the ICP_ACRA_DIR folder."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.test_utils import create_run_for_test

from icp_assets.definitions import defs
from icp_assets.domain.registry.acra import files_fingerprint
from resources.registry_files import RegistryFilesResource
from sensors.registry_files import registry_files_sensor
from tests.support.csv_files import write_csv

HEADER = ["uen", "entity_name", "entity_status_description"]


def _tick(instance: dg.DagsterInstance, folder: Path, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"registry_files": RegistryFilesResource(acra_dir=str(folder))}
    ) as context:
        return registry_files_sensor(context)


def _requests(result: dg.SensorResult) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


def _cursor(result: dg.SensorResult, previous: str | None) -> str | None:
    """The cursor after the tick: the result's, or the previous one when the result leaves it alone."""
    return result.cursor if result.cursor is not None else previous


def _release(folder: Path, rows: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(folder / f"ACRAInformationonCorporateEntities{letter}.csv", HEADER, [[f"{letter}{i}", "X", "Live"]])
        for letter in "AB"
        for i in range(rows)
    ]


def _launch(instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """What the daemon does with the sensor's requests: a run carrying each request's run key."""
    for request in _requests(result):
        create_run_for_test(instance, job_name="registry_refresh", tags={"dagster/run_key": request.run_key})


def test_settled_files_get_one_run_then_none(tmp_path: Path) -> None:
    folder = tmp_path / "acra"
    with dg.instance_for_test() as instance:
        assert not _requests(nothing := _tick(instance, folder, None))  # no folder yet
        assert "no ACRA CSV files" in str(nothing.skip_reason)

        files = _release(folder, 1)
        seen = _tick(instance, folder, None)
        assert not _requests(seen)  # just appeared: maybe still being copied
        settled = _tick(instance, folder, _cursor(seen, None))
        [request] = _requests(settled)
        assert request.run_key == f"registry-{files_fingerprint(files)}"
        _launch(instance, settled)
        again = _tick(instance, folder, _cursor(settled, None))
        assert not _requests(again) and "was requested" in str(again.skip_reason)


def test_a_changed_file_runs_again_once_it_stops_changing(tmp_path: Path) -> None:
    folder = tmp_path / "acra"
    files = _release(folder, 1)
    with dg.instance_for_test() as instance:
        cursor = _cursor(_tick(instance, folder, None), None)
        first = _tick(instance, folder, cursor)
        _launch(instance, first)
        cursor = _cursor(first, cursor)

        write_csv(files[0], HEADER, [["A0", "X", "Struck Off"], ["A1", "Y", "Live"]])  # a new release arrives
        changing = _tick(instance, folder, cursor)
        assert not _requests(changing)
        settled = _tick(instance, folder, _cursor(changing, cursor))
        assert [r.run_key for r in _requests(settled)] == [f"registry-{files_fingerprint(files)}"]
        assert _requests(first)[0].run_key != _requests(settled)[0].run_key


def test_files_already_loaded_as_a_full_release_get_no_run(tmp_path: Path) -> None:
    """`icp registry load --full-release` of the folder's files (or the demo's run) already loaded them."""
    folder = tmp_path / "acra"
    files = _release(folder, 1)
    fingerprint = files_fingerprint(files)
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization("acra_entities", metadata={"fingerprint": fingerprint, "full_release": False})
        )
        assert _requests(_tick(instance, folder, fingerprint))  # loaded, but not as the whole release

        instance.report_runless_asset_event(
            dg.AssetMaterialization("acra_entities", metadata={"fingerprint": fingerprint, "full_release": True})
        )
        loaded = _tick(instance, folder, fingerprint)
        assert not _requests(loaded) and "are loaded" in str(loaded.skip_reason)


def test_the_sensor_starts_the_registry_job_and_runs_by_default() -> None:
    sensor = defs().resolve_sensor_def(registry_files_sensor.name)
    assert sensor.job_name == "registry_refresh"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_a_rewritten_file_of_the_same_size_counts_as_changed(tmp_path: Path) -> None:
    folder = tmp_path / "acra"
    files = _release(folder, 1)
    with dg.instance_for_test() as instance:
        cursor = _cursor(_tick(instance, folder, None), None)
        stat = files[1].stat()
        os.utime(files[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        assert not _requests(_tick(instance, folder, cursor))  # changed since the last tick: wait again

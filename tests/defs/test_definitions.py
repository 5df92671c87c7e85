"""The code location loads as one closed asset graph: every asset materializable, every job
rebuilding exactly the assets of its partitioning, every sensor of the sensors package loaded."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
from importlib.metadata import version

import dagster as dg
import pytest

import sensors
from icp_assets.definitions import defs
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import nightly_refresh, tenant_refresh_job


def test_every_asset_and_every_parent_is_materializable_here() -> None:
    """No dependency points outside the code location (a dbt source mapped to a missing asset,
    a dep on a renamed asset would show up as a key nothing here materializes)."""
    graph = defs().resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert keys
    parents = {parent for key in keys for parent in graph.get(key).parent_keys}
    assert parents <= keys
    assert [k.to_user_string() for k in keys if not graph.get(k).is_materializable] == []


def test_each_job_rebuilds_exactly_the_assets_of_its_partitioning() -> None:
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    partitioned = {k for k in keys if graph.get(k).is_partitioned}
    tenant_job = definitions.resolve_job_def(tenant_refresh_job.name)
    assert tenant_job.asset_layer.selected_asset_keys == partitioned
    assert {graph.get(k).partitions_def for k in partitioned} == {tenant_partitions}
    assert tenant_job.partitions_def == tenant_partitions
    registry_job = definitions.resolve_job_def("registry_refresh")
    assert registry_job.asset_layer.selected_asset_keys == keys - partitioned
    assert registry_job.partitions_def is None


def test_lineage_runs_from_intake_to_cards() -> None:
    graph = defs().resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("suggestion_cards")).parent_keys
    seen, frontier = set(), set(upstream)
    while frontier:
        key = frontier.pop()
        seen.add(key.to_user_string())
        frontier |= set(graph.get(key).parent_keys)
    assert {"icp_suggestions", "intake_seeds", "seed_matches", "crawl_evidence", "acra_entities"} <= seen


def test_every_sensor_of_the_sensors_package_is_loaded() -> None:
    found = {
        value.name
        for module in pkgutil.iter_modules(sensors.__path__)
        for value in vars(importlib.import_module(f"sensors.{module.name}")).values()
        if isinstance(value, dg.SensorDefinition)
    }
    assert len(found) >= 2
    definitions = defs()
    assert {definitions.resolve_sensor_def(name).name for name in found} == found


def test_the_intake_sensor_and_the_nightly_schedule_start_the_tenant_job() -> None:
    """Both request runs by tenant partition key: their job must be the one partitioned by tenant."""
    definitions = defs()
    for job_name in (
        definitions.resolve_sensor_def("new_intake_sensor").job_name,
        definitions.resolve_schedule_def(nightly_refresh.name).job_name,
    ):
        job = definitions.resolve_job_def(job_name)
        assert job.partitions_def == tenant_partitions
        assert dg.AssetKey("suggestion_cards") in job.asset_layer.selected_asset_keys


def test_the_dbt_resource_knows_its_version_without_starting_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    """dagster-dbt would run `dbt --version` (a dbt start, and requests to pypi.org) once per run."""

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "check_output", no_process)
    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_process)
    dbt = defs().resources["dbt"]
    assert str(dbt._cli_version) == version("dbt-core")

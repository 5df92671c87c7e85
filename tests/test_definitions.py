"""The code location loads with every asset, check, sensor, schedule and job, wired as one graph."""

from __future__ import annotations

import dagster as dg

from icp_assets.dbt import SOURCE_ASSETS, dbt_build_args
from icp_assets.dbt_cli import DBT_PROJECT_DIR
from icp_assets.definitions import defs

PYTHON_ASSETS = {
    "acra_entities",
    "match_index",
    "ssic_codes",
    "intake_seeds",
    "seed_matches",
    "crawl_evidence",
    "llm_evidence",
    "suggestion_cards",
}
MARTS = {path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql")}


def _keys() -> set[str]:
    return {key.to_user_string() for key in defs.resolve_all_asset_keys()}


def test_every_stage_is_an_asset() -> None:
    keys = _keys()
    assert PYTHON_ASSETS <= keys
    assert {"icp_patterns", "icp_suggestions", "icp_negative_icp", "icp_audience"} <= MARTS <= keys
    assert any(k.startswith("stg_") for k in keys)
    assert any(k.startswith("int_") for k in keys)


def test_lineage_runs_from_intake_to_cards() -> None:
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("suggestion_cards")).parent_keys
    seen, frontier = set(), set(upstream)
    while frontier:
        key = frontier.pop()
        seen.add(key.to_user_string())
        frontier |= set(graph.get(key).parent_keys)
    assert {"icp_suggestions", "intake_seeds", "seed_matches", "crawl_evidence", "acra_entities"} <= seen


def test_dbt_sources_map_onto_python_assets() -> None:
    assert set(SOURCE_ASSETS.values()) <= PYTHON_ASSETS
    graph = defs.resolve_asset_graph()
    for source_backed in ("stg_icp__customer_seeds", "stg_icp__seed_matches", "stg_icp__evidence"):
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(source_backed)).parent_keys}
        assert parents & PYTHON_ASSETS, source_backed


def test_checks_sensors_schedules_jobs() -> None:
    check_keys = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"match_rate_sla", "mapping_time_sla", "cards_cite_evidence"} <= check_keys
    assert any(name.startswith(("not_null", "unique", "accepted_values")) for name in check_keys), "dbt tests as checks"
    assert defs.resolve_sensor_def("new_intake_sensor").job_name == "tenant_refresh"
    assert defs.resolve_sensor_def("run_failure_alert")
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Singapore")
    assert defs.resolve_job_def("tenant_refresh").partitions_def.name == "tenants"
    assert defs.resolve_job_def("registry_refresh").partitions_def is None


def test_dbt_build_args_scope_a_tenant() -> None:
    assert dbt_build_args(None) == ["build"]
    assert dbt_build_args("acme") == ["build", "--vars", '{"tenant_id": "acme"}']

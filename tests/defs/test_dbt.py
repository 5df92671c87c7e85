"""dbt in the code location: every model and seed an asset, every source the Python asset that
writes its table, every model test a check, partitioned by tenant unless tagged `registry` or
`shared` (built by the registry job, read by every tenant)."""

from __future__ import annotations

import json
from functools import cache

import dagster as dg
import pytest

from icp_assets.definitions import defs
from icp_assets.defs.dbt import dbt_build_args, dbt_project, model_relations, translator
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.platform.dbt_runner import TENANT_SCOPE_ENV, tenant_scope_env


@cache
def manifest() -> dict:
    """The manifest the dbt assets are built from."""
    return json.loads(dbt_project.manifest_path.read_text())


def _nodes(*resource_types: str) -> list[dict]:
    return [n for n in manifest()["nodes"].values() if n["resource_type"] in resource_types]


def _dbt_keys() -> set[dg.AssetKey]:
    return {dg.AssetKey(n["name"]) for n in _nodes("model", "seed")}


def test_every_dbt_model_and_seed_is_an_asset_partitioned_by_its_tag() -> None:
    graph = defs().resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    nodes = _nodes("model", "seed")
    assert len(nodes) > 10 and any(n["name"].startswith("icp_") for n in nodes)
    for node in nodes:
        key = dg.AssetKey(node["name"])
        assert key in keys, node["name"]
        expected = None if {"registry", "shared"} & set(node["tags"]) else tenant_partitions
        assert graph.get(key).partitions_def == expected, node["name"]


def test_every_dbt_source_is_the_python_asset_that_writes_its_table() -> None:
    graph = defs().resolve_asset_graph()
    sources = list(manifest()["sources"].values())
    assert sources
    for source in sources:
        key = translator.get_asset_key(source)
        assert key in set(graph.get_all_asset_keys()) and key not in _dbt_keys(), source["unique_id"]
        readers = [n["name"] for n in _nodes("model") if source["unique_id"] in n["depends_on"]["nodes"]]
        for reader in readers:  # the model that reads the table runs after the asset that writes it
            assert key in graph.get(dg.AssetKey(reader)).parent_keys, (reader, source["unique_id"])


def test_every_test_of_a_single_model_is_a_check_on_its_asset() -> None:
    checks = {(key.asset_key, key.name) for key in defs().resolve_asset_graph().asset_check_keys}
    model_tests = 0
    for test in _nodes("test"):
        models = [n for n in test["depends_on"]["nodes"] if n.startswith("model.")]
        target = test.get("attached_node") or (models[0] if len(models) == 1 else None)
        if target and target.startswith("model."):
            model_tests += 1
            assert (dg.AssetKey(target.split(".")[-1]), test["name"]) in checks, test["unique_id"]
    assert model_tests > 10


def test_dbt_build_args() -> None:
    assert dbt_build_args(tenant_scoped=False) == ["build", "--indirect-selection", "cautious"]
    assert dbt_build_args(tenant_scoped=True)[:3] == ["build", "--exclude-resource-type", "unit_test"]
    assert not any(arg == "--vars" for arg in dbt_build_args(tenant_scoped=True))  # vars would force a re-parse


def test_tenant_scope_env_names_the_tenants_as_json() -> None:
    assert tenant_scope_env(None) == {}
    assert json.loads(tenant_scope_env(["b", "a'; drop"])[TENANT_SCOPE_ENV]) == ["a'; drop", "b"]
    with pytest.raises(ValueError):
        tenant_scope_env([])


def test_model_relations_lists_the_tagged_models() -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    tenant = model_relations(manifest, "tenant")
    assert "marts.icp_suggestions" in tenant and "intermediate.int_seed_attributes" in tenant
    assert not any(relation.startswith("staging.") for relation in tenant)
    assert "marts.icp_account_scores" in model_relations(manifest, "scoring")


def test_tenant_runs_do_not_rebuild_the_shared_views() -> None:
    graph = defs().resolve_asset_graph()
    tenant_job = {key for key in defs().resolve_job_def("tenant_refresh").asset_layer.selected_asset_keys}
    shared = [dg.AssetKey(n["name"]) for n in _nodes("model") if "shared" in n["tags"]]
    assert shared and not set(shared) & tenant_job
    assert all(graph.get(key).group_name == "registry" for key in shared)


def test_tenant_models_run_after_the_assets_behind_the_shared_views() -> None:
    graph = defs().resolve_asset_graph()
    assert dg.AssetKey("intake_seeds") in graph.get(dg.AssetKey("int_current_seeds")).parent_keys
    evidence_readers = [n for n in _nodes("model") if "model.icp_finder.stg_icp__evidence" in n["depends_on"]["nodes"]]
    for node in evidence_readers:
        if "shared" not in node["tags"]:
            assert dg.AssetKey("llm_evidence") in graph.get(dg.AssetKey(node["name"])).parent_keys, node["name"]
    assert evidence_readers

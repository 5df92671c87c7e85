"""dbt in the code location: every model and seed an asset, every source the Python asset that
writes its table, every model test a check, partitioned by tenant unless tagged `registry`."""

from __future__ import annotations

import json
from functools import cache

import dagster as dg

from icp_assets.definitions import defs
from icp_assets.defs.dbt import dbt_build_args, dbt_project, translator
from icp_assets.defs.partitions import tenant_partitions


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
        expected = None if "registry" in node["tags"] else tenant_partitions
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


def test_dbt_build_args_scope_a_tenant() -> None:
    def dbt_vars(args: list[str]) -> dict | None:
        return json.loads(args[args.index("--vars") + 1]) if "--vars" in args else None

    assert dbt_build_args(None)[0] == "build" and dbt_vars(dbt_build_args(None)) is None  # every tenant's rows
    tenant_args = dbt_build_args("acme-2")
    assert tenant_args[0] == "build" and dbt_vars(tenant_args) == {"tenant_id": "acme-2"}

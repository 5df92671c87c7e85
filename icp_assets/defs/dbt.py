"""dbt models as Dagster assets, split by dbt tag: the `tenant` models are partitioned by tenant (a
run rebuilds its tenants' rows); the `registry` models and the `shared` staging views and seeds,
which every tenant reads and no tenant changes, are built by the registry job, not by tenant runs.

A tenant build reuses the parsed project (the tenants travel in an environment variable, not in
`--vars`, which would make dbt parse again), so builds of different tenants can run side by side.
A run over a range of tenants (the nightly refresh) builds only the tenants whose inputs changed,
in one dbt invocation.

The translator maps every dbt source onto the Python asset that writes the table, so the asset
graph runs unbroken from the intake to the suggestion cards; dbt tests load as asset checks.
"""

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from icp_assets.defs.partitions import REGISTRY_GROUP, TENANT_MODELS_GROUP, tenant_partitions
from icp_assets.domain import builds
from icp_assets.platform.database import export_connection_env
from icp_assets.platform.dbt_runner import (
    DBT_PROJECT_DIR,
    TENANT_SCOPE_ENV,
    reusing_parsed_project,
    tenant_scope_env,
)
from resources.postgres import PostgresResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

TENANT_SELECTION = "tag:tenant"
SHARED_SELECTION = "tag:registry tag:shared"

# (source name, table) -> the Python asset that writes that table.
SOURCE_ASSETS: dict[tuple[str, str], str] = {
    ("icp", "tenants"): "intake_seeds",
    ("icp", "icp_intake_responses"): "intake_seeds",
    ("icp", "customer_seeds"): "intake_seeds",
    ("icp", "companies"): "intake_seeds",
    ("icp", "seed_matches"): "seed_matches",
    ("icp", "icp_evidence"): "llm_evidence",  # the last writer: registry, crawl, then LLM evidence
    ("icp", "crawl_outcomes"): "crawl_evidence",
    # Written after the cards: read only by the `scoring` models, a dbt asset of their own
    # (icp_assets/defs/scoring.py) that runs after it.
    ("icp", "account_scores"): "account_scores",
    ("registry", "acra_entities"): "acra_entities",
    ("registry", "ssic_codes"): "ssic_codes",
    ("registry", "ssic_index"): "ssic_codes",
}


class IcpDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(SOURCE_ASSETS[(dbt_resource_props["source_name"], dbt_resource_props["name"])])
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        tags = dbt_resource_props.get("tags", [])
        return REGISTRY_GROUP if "registry" in tags or "shared" in tags else TENANT_MODELS_GROUP

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        """A tenant model reads the collection tables through the shared staging views, which tenant
        runs do not rebuild: it also depends on the Python assets writing those tables, so a run
        builds it after them."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        writers = collection_assets_read_through_shared_views(manifest, unique_id)
        return spec.merge_attributes(deps=sorted(writers)) if writers else spec


def collection_assets_read_through_shared_views(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """The Python assets behind the `shared` staging views a model (not itself shared) selects from."""
    node = manifest["nodes"].get(unique_id)
    if node is None or {"shared", "registry"} & set(node.get("tags", [])):
        return set()
    writers = set()
    for parent_id in node.get("depends_on", {}).get("nodes", []):
        parent = manifest["nodes"].get(parent_id)
        if parent is None or "shared" not in parent.get("tags", []):
            continue
        for source_id in parent.get("depends_on", {}).get("nodes", []):
            source = manifest["sources"].get(source_id)
            if source is not None:
                writers.add(SOURCE_ASSETS[(source["source_name"], source["name"])])
    return writers


translator = IcpDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))


def dbt_build_args(tenant_scoped: bool) -> list[str]:
    """`dbt build` arguments. Selection comes from the @dbt_assets definition (dagster-dbt adds it
    to the invocation). Tenant builds skip dbt's unit tests (they check model logic, not a tenant's
    data; `dbt build` in CI runs them). The shared build runs only the tests of the relations it
    builds (cautious): a test that also reads a tenant table belongs to the tenant builds, and on a
    new database that table does not exist yet.

    A tenant build also skips what only costs it time: the JSON artifacts (the manifest, written
    twice, and the run results; dagster-dbt reads dbt's structured log instead) and the debug log
    file, both in a target folder removed after the build; with 4 threads, sibling models and the
    tests of each run side by side, one in Python while others wait on PostgreSQL."""
    if tenant_scoped:
        return [
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--no-write-json",
            "--log-level-file",
            "none",
            "--threads",
            "4",
        ]
    return ["build", "--indirect-selection", "cautious"]


@cache
def parsed_manifest() -> dict[str, Any]:
    """The manifest the dbt assets were defined from, read once per process."""
    return json.loads(dbt_project.manifest_path.read_text())


def model_relations(manifest: Mapping[str, Any], tag: str) -> list[str]:
    """`schema.table` of every model carrying ``tag``, from a dbt manifest."""
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and tag in node.get("tags", [])
    )


@contextmanager
def environment(values: Mapping[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    """os.environ with ``values`` set and ``unset`` removed, for starting a dbt process; restored after."""
    saved = {name: os.environ.get(name) for name in (*values, *unset)}
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def first_build_lock(url: str, relations: list[str]) -> Iterator[None]:
    """While any of the tables a build writes does not exist yet, builds take turns: two builds
    creating one table at once would fail. Once they exist, builds run side by side."""
    with psycopg.connect(url, autocommit=True) as conn:
        missing = conn.execute(
            "select count(*) from unnest(%s::text[]) as r where to_regclass(r) is null", (relations,)
        ).fetchone()[0]
        if missing:
            conn.execute("select pg_advisory_lock(hashtextextended('icp-dbt-first-build', 0))")
        yield


def build_dbt_assets(name: str, select: str, models: str | None = None, partitions_def=None) -> dg.AssetsDefinition:
    """The dbt models of one selection as assets. Partitioned (``models`` names the model set in
    icp.tenant_builds), a run builds its tenants: all of them in a one-tenant run, the changed
    ones in a run over a range of tenants."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=select,
        partitions_def=partitions_def,
        dagster_dbt_translator=translator,
        name=name,
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource, postgres: PostgresResource):
        url = postgres.url()
        export_connection_env(url)
        if partitions_def is None:
            with environment({}, unset=(TENANT_SCOPE_ENV,)):
                invocation = dbt.cli(dbt_build_args(tenant_scoped=False), context=context)
            yield from invocation.stream()
            return
        project = builds.project_version(parsed_manifest())
        with psycopg.connect(url) as conn:
            if context.has_partition_key_range:
                digests = builds.tenants_to_build(conn, context.partition_keys, models, project)
            else:
                digests = builds.input_digests(conn, context.partition_keys, models, project)
        if not digests:
            context.log.info(f"{models} models: no tenant's inputs changed, nothing to build")
            return
        context.log.info(f"{models} models: building {len(digests)} tenant(s)")
        target_path = (
            Path(dbt_project.project_dir) / "target" / f"{name}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:6]}"
        )
        relations = model_relations(parsed_manifest(), models)
        try:
            with reusing_parsed_project(url, target_path), first_build_lock(url, relations):
                with environment(tenant_scope_env(digests)):
                    invocation = dbt.cli(dbt_build_args(tenant_scoped=True), context=context, target_path=target_path)
                yield from invocation.stream()
        finally:
            shutil.rmtree(target_path, ignore_errors=True)
        with psycopg.connect(url) as conn:
            builds.record_builds(conn, digests, models)

    return _models


dbt_tenant_models = build_dbt_assets(
    "dbt_tenant_models", TENANT_SELECTION, models=builds.TENANT_MODELS, partitions_def=tenant_partitions
)
# The relations every tenant reads: registry models, staging views and seeds.
dbt_registry_models = build_dbt_assets("dbt_registry_models", SHARED_SELECTION)


defs = dg.Definitions(assets=[dbt_tenant_models, dbt_registry_models])

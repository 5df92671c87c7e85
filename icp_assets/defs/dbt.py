"""dbt models as Dagster assets, split by dbt tag: the `tenant` models and the `shared` staging views
they read are partitioned by tenant (a run rebuilds one tenant's rows); `registry` models are not.

The translator maps every dbt source onto the Python asset that writes the table, so the asset
graph runs unbroken from the intake to the suggestion cards; dbt tests load as asset checks.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from icp_assets.defs.partitions import REGISTRY_GROUP, TENANT_MODELS_GROUP, tenant_partitions
from icp_assets.platform.database import export_connection_env
from icp_assets.platform.dbt_runner import DBT_PROJECT_DIR
from resources.postgres import PostgresResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

TENANT_SELECTION = "tag:tenant tag:shared"
REGISTRY_SELECTION = "tag:registry"
# dbt builds share the staging views and the seed: one build at a time per instance (dagster.yaml).
DBT_POOL = "dbt_build"

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
        return REGISTRY_GROUP if "registry" in dbt_resource_props.get("tags", []) else TENANT_MODELS_GROUP


translator = IcpDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))


def dbt_build_args(tenant_id: str | None) -> list[str]:
    """`dbt build` arguments; with a tenant, the incremental models rebuild only that tenant's rows.

    Selection comes from the @dbt_assets definition (dagster-dbt adds it to the invocation). dbt's
    unit tests check model logic, not a tenant's data: full builds (CI, the registry job) run them,
    tenant runs skip them.
    """
    if tenant_id is None:
        return ["build"]
    return ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps({"tenant_id": tenant_id})]


def build_dbt_assets(name: str, select: str, exclude: str | None = None, partitions_def=None) -> dg.AssetsDefinition:
    """The dbt models of one selection as assets; a partitioned selection builds one tenant per run."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=select,
        exclude=exclude,
        partitions_def=partitions_def,
        dagster_dbt_translator=translator,
        name=name,
        pool=DBT_POOL,
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource, postgres: PostgresResource):
        export_connection_env(postgres.url())
        tenant_id = context.partition_key if context.has_partition_key else None
        yield from dbt.cli(dbt_build_args(tenant_id), context=context).stream()

    return _models


dbt_tenant_models = build_dbt_assets(
    "dbt_tenant_models", TENANT_SELECTION, exclude=REGISTRY_SELECTION, partitions_def=tenant_partitions
)
dbt_registry_models = build_dbt_assets("dbt_registry_models", REGISTRY_SELECTION)


defs = dg.Definitions(assets=[dbt_tenant_models, dbt_registry_models])

"""The one Definitions object of the ICP Finder code location."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from icp_assets.assets.crawl import crawl_evidence
from icp_assets.assets.llm import llm_evidence
from icp_assets.assets.registry import acra_entities, match_index, ssic_codes
from icp_assets.assets.seeds import intake_seeds, seed_matches
from icp_assets.assets.suggestions import suggestion_cards
from icp_assets.dbt import dbt_project, dbt_registry_models, dbt_tenant_models
from icp_assets.jobs import nightly_refresh, registry_refresh_job, tenant_refresh_job
from resources.crawler import CrawlerResource
from resources.llm import LlmResource
from resources.postgres import PostgresResource
from resources.registry_files import RegistryFilesResource
from sensors.new_intake import new_intake_sensor
from sensors.run_failure import run_failure_alert

defs = dg.Definitions(
    assets=[
        acra_entities,
        match_index,
        ssic_codes,
        intake_seeds,
        seed_matches,
        crawl_evidence,
        llm_evidence,
        dbt_tenant_models,
        dbt_registry_models,
        suggestion_cards,
    ],
    jobs=[tenant_refresh_job, registry_refresh_job],
    schedules=[nightly_refresh],
    sensors=[new_intake_sensor, run_failure_alert],
    resources={
        "postgres": PostgresResource(),
        "crawler": CrawlerResource(),
        "llm_client": LlmResource(),
        "registry_files": RegistryFilesResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    },
)

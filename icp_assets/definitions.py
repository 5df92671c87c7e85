"""The one Definitions object of the ICP Finder code location: the areas merged, resources wired.

Environment settings are read here, where resources are wired, and nowhere else in the wiring.
Definitions load lazily (``@dg.definitions``), so a process that changes its environment (the
demo, tests) gets resources that reflect it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

from icp_assets.defs import dbt, registry, scoring, tenant
from icp_assets.defs.dbt import dbt_project
from resources.crawler import CrawlerResource
from resources.dbt_cli import IcpDbtCliResource
from resources.llm import LlmResource
from resources.postgres import PostgresResource
from resources.registry_files import RegistryFilesResource
from sensors.new_intake import new_intake_sensor
from sensors.registry_files import registry_files_sensor
from sensors.run_failure import run_failure_alert


def _env(name: str) -> dg.EnvVar | None:
    """The variable as a Dagster EnvVar (its value never shows in the UI) when set, else None."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def _evidence_max_age() -> dict[str, dg.EnvVar]:
    """ICP_EVIDENCE_MAX_AGE (days evidence is kept without a successful refresh) when set; else
    the resources keep their default (90)."""
    return (
        {"evidence_max_age_days": dg.EnvVar.int("ICP_EVIDENCE_MAX_AGE")}
        if os.environ.get("ICP_EVIDENCE_MAX_AGE")
        else {}
    )


def resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "postgres": PostgresResource(database_url=_env("ICP_DATABASE_URL")),
        "crawler": CrawlerResource(
            database_url=_env("ICP_DATABASE_URL"),
            **({"processes": dg.EnvVar.int("ICP_CRAWL_PROCESSES")} if os.environ.get("ICP_CRAWL_PROCESSES") else {}),
            **_evidence_max_age(),
        ),
        "llm_client": LlmResource(
            api_key=_env("OPENAI_API_KEY"), base_url=_env("OPENAI_BASE_URL"), **_evidence_max_age()
        ),
        "registry_files": RegistryFilesResource(acra_dir=_env("ICP_ACRA_DIR"), ssic_dir=_env("ICP_SSIC_DIR")),
        "dbt": IcpDbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        registry.defs,
        tenant.defs,
        scoring.defs,
        dbt.defs,
        dg.Definitions(sensors=[new_intake_sensor, run_failure_alert, registry_files_sensor], resources=resources()),
    )

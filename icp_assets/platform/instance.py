"""The Dagster instance every `icp` command and `make ui` share, stored in PostgreSQL."""

from __future__ import annotations

import logging
import os

import psycopg
from dagster import DagsterInstance

from icp_assets.platform.database import (
    dagster_database_url,
    ensure_database,
    export_connection_env,
    product_database_url,
)
from icp_assets.platform.db import migrate
from icp_assets.platform.paths import dagster_home

log = logging.getLogger(__name__)

DAGSTER_YAML = """\
# Written by `icp`: run, event and schedule storage in PostgreSQL (database ${ICP_DAGSTER_DATABASE_URL}).
storage:
  postgres:
    postgres_url:
      env: ICP_DAGSTER_DATABASE_URL
concurrency:
  runs:
    max_concurrent_runs: 4  # intake runs of different tenants (and their dbt builds) run side by side
    tag_concurrency_limits:  # one run per tenant at a time (`icp run` waits for them too)
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
telemetry:
  enabled: false
nux:
  enabled: false
"""

# How Dagster writes a run's events (read by whichever process executes the run). A run over every
# tenant partition would otherwise write one "materialization planned" event per asset and tenant
# before its first step, then each materialization in a transaction of its own: about 30 ms an
# event, minutes for a fleet. With these, one planned event per asset names the partitions, and a
# step's materializations go in batches. The price: if such a run crashes, its partitions are not
# marked failed (a fleet run records each failed tenant in its steps' metadata instead).
DAGSTER_EVENT_SETTINGS = {
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
    "DAGSTER_EVENT_BATCH_SIZE": "1000",
}


def prepare_environment() -> str:
    """Start or reach the database, migrate it, and export the settings child processes read.

    Returns the product database URL. Sets ICP_DATABASE_URL, the dbt ICP_PG_* variables,
    ICP_DAGSTER_DATABASE_URL and DAGSTER_HOME, so dbt, the Dagster daemon, webserver and run
    workers started from here all reach the same server, and the event settings above (unless
    already set).
    """
    url = product_database_url()
    migrate(url)
    ensure_database(dagster_database_url(url))
    with psycopg.connect(url, autocommit=True) as conn:  # the Dagster database may be new: close it to analysts
        conn.execute("select icp.harden_product_databases()")
    export_connection_env(url)
    os.environ["ICP_DATABASE_URL"] = url
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        # Whole or not at all: another `icp` process may be reading it right now.
        partial = config.with_name(f".dagster.yaml.{os.getpid()}")
        partial.write_text(DAGSTER_YAML)
        partial.replace(config)
    os.environ["DAGSTER_HOME"] = str(home)
    for name, value in DAGSTER_EVENT_SETTINGS.items():
        os.environ.setdefault(name, value)
    return url


def dagster_instance() -> DagsterInstance:
    prepare_environment()
    return DagsterInstance.get()

"""Running Dagster jobs in this process, recorded in the shared Dagster instance: a tenant's
partition (`icp run`), every tenant at once (`icp run --all`, what the nightly schedule starts) and
a registry load (`icp registry load`).

Runs of one tenant never overlap: the daemon's queue holds one run per tenant partition (the tag
limit in dagster.yaml) and counts this process's run among them, while this process waits for a
run the daemon already started and, through a PostgreSQL advisory lock, for another `icp run`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from dagster import DagsterInstance, DagsterRunStatus, ExecuteInProcessResult, RunsFilter

from icp_assets.definitions import defs
from icp_assets.defs.dbt import dbt_registry_models
from icp_assets.defs.partitions import RESPONSE_ID_TAG, tenant_partitions
from icp_assets.defs.registry import BAD_REGISTRY_FILE, acra_entities, match_index, registry_refresh_job, ssic_codes
from icp_assets.defs.tenant import fleet_run_tags, tenant_refresh_job
from icp_assets.domain.intake import current_response_id

log = logging.getLogger(__name__)

RUNNING = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
POLL_S = 2.0


def console_log_config(level: str) -> dict:
    """Run config setting how much of a run's event log goes to the terminal (all of it is stored)."""
    return {"loggers": {"console": {"config": {"log_level": level}}}}


@contextmanager
def tenant_run_lock(url: str, tenant_id: str) -> Iterator[None]:
    """Hold the tenant's run lock (a session advisory lock) until the block ends."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(hashtextextended('icp-tenant-run:' || %s, 0))", (tenant_id,))
        yield


def wait_for_running(instance: DagsterInstance, tenant_id: str) -> None:
    """Return once no run of the tenant's partition is starting or running."""
    running = RunsFilter(statuses=RUNNING, tags={"dagster/partition": tenant_id}, job_name=tenant_refresh_job.name)
    while run_ids := instance.get_run_ids(filters=running, limit=1):
        log.info("tenant=%s stage=run waiting for run %s to finish", tenant_id, run_ids[0])
        time.sleep(POLL_S)


def run_tenant(
    instance: DagsterInstance,
    url: str,
    tenant_id: str,
    tags: dict[str, str] | None = None,
    console_level: str = "INFO",
) -> ExecuteInProcessResult:
    """Materialize the tenant_refresh job for the tenant's current intake, once no other run of the
    tenant is under way; adds the tenant's partition if it is new. Raises NoIntakeError (and adds
    nothing) for a tenant without an intake."""
    with tenant_run_lock(url, tenant_id):
        wait_for_running(instance, tenant_id)
        with psycopg.connect(url) as conn:
            response_id = current_response_id(conn, tenant_id)
        if not instance.has_dynamic_partition(tenant_partitions.name, tenant_id):
            instance.add_dynamic_partitions(tenant_partitions.name, [tenant_id])
        job = defs().resolve_job_def(tenant_refresh_job.name)
        log.info("tenant=%s stage=run starting %s for intake %s", tenant_id, job.name, response_id)
        result = job.execute_in_process(
            instance=instance,
            partition_key=tenant_id,
            tags={"icp/trigger": "cli", RESPONSE_ID_TAG: str(response_id), **(tags or {})},
            run_config=console_log_config(console_level),
            raise_on_error=False,
        )
    log.info("tenant=%s stage=run run_id=%s success=%s", tenant_id, result.run_id, result.success)
    return result


def run_fleet(instance: DagsterInstance, console_level: str = "INFO") -> ExecuteInProcessResult | None:
    """One tenant_refresh run over every tenant partition, as the nightly schedule starts it: each
    tenant's collection, then one dbt build of the tenants whose inputs changed, then their cards.
    None when there is no tenant."""
    tenants = instance.get_dynamic_partitions(tenant_partitions.name)
    if not tenants:
        return None
    job = defs().resolve_job_def(tenant_refresh_job.name)
    log.info("stage=run starting %s over %d tenants", job.name, len(tenants))
    result = job.execute_in_process(
        instance=instance,
        tags={**fleet_run_tags(list(tenants)), "icp/trigger": "cli"},
        run_config=console_log_config(console_level),
        raise_on_error=False,
    )
    log.info("stage=run run_id=%s tenants=%d success=%s", result.run_id, len(tenants), result.success)
    return result


def run_registry(
    instance: DagsterInstance,
    acra_files: Sequence[Path] = (),
    ssic_files: Sequence[Path] = (),
    full_release: bool = False,
    allow_mass_delisting: bool = False,
    console_level: str = "INFO",
) -> ExecuteInProcessResult:
    """Load the named files through the registry_refresh job: the ACRA files (then the match index)
    and/or the SSIC files, then every registry dbt model, so the registry is ready for tenant runs.
    The files travel as the run's config, so the run in the Dagster UI shows what it loaded."""
    selection = set(dbt_registry_models.keys)
    ops: dict[str, dict] = {}
    if acra_files:
        selection |= {acra_entities.key, match_index.key}
        ops[acra_entities.op.name] = {
            "config": {
                "files": [str(Path(f).resolve()) for f in acra_files],
                "full_release": full_release,
                "allow_mass_delisting": allow_mass_delisting,
            }
        }
    if ssic_files:
        selection.add(ssic_codes.key)
        ops[ssic_codes.op.name] = {"config": {"files": [str(Path(f).resolve()) for f in ssic_files]}}
    job = defs().resolve_job_def(registry_refresh_job.name)
    log.info("stage=registry starting %s: %d ACRA and %d SSIC files", job.name, len(acra_files), len(ssic_files))
    result = job.execute_in_process(
        instance=instance,
        asset_selection=sorted(selection, key=lambda key: key.to_user_string()),
        run_config={"ops": ops, **console_log_config(console_level)},
        tags={"icp/trigger": "cli"},
        raise_on_error=False,
    )
    log.info("stage=registry run_id=%s success=%s", result.run_id, result.success)
    return result


@dataclass(frozen=True)
class RunFailure:
    message: str
    bad_input: bool  # the run's input was refused (a bad registry file), not the run itself broken


def run_failure(result: ExecuteInProcessResult) -> RunFailure | None:
    """Why a run failed: its first failed step's message, and whether the input was to blame."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        failure = event.step_failure_data
        user = failure.user_failure_data
        if user is not None and user.description:
            bad_input = BAD_REGISTRY_FILE in user.metadata and bool(user.metadata[BAD_REGISTRY_FILE].value)
            return RunFailure(user.description, bad_input)
        return RunFailure(f"{event.step_key}: {failure.error.message.strip() if failure.error else 'failed'}", False)
    return None if result.success else RunFailure("the run failed", False)

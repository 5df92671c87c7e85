"""Running a tenant's partition in this process, recorded in the shared Dagster instance."""

from __future__ import annotations

import logging

from dagster import DagsterInstance, ExecuteInProcessResult

from icp_assets.definitions import defs
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import tenant_refresh_job

log = logging.getLogger(__name__)


def console_log_config(level: str) -> dict:
    """Run config setting how much of a run's event log goes to the terminal (all of it is stored)."""
    return {"loggers": {"console": {"config": {"log_level": level}}}}


def run_tenant(
    instance: DagsterInstance, tenant_id: str, tags: dict[str, str] | None = None, console_level: str = "INFO"
) -> ExecuteInProcessResult:
    """Materialize the tenant_refresh job for one tenant, adding its partition if it is new."""
    if not instance.has_dynamic_partition(tenant_partitions.name, tenant_id):
        instance.add_dynamic_partitions(tenant_partitions.name, [tenant_id])
    job = defs().resolve_job_def(tenant_refresh_job.name)
    log.info("tenant=%s stage=run starting %s", tenant_id, job.name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=tenant_id,
        tags={"icp/trigger": "cli", **(tags or {})},
        run_config=console_log_config(console_level),
        raise_on_error=False,
    )
    log.info("tenant=%s stage=run run_id=%s success=%s", tenant_id, result.run_id, result.success)
    return result

"""Jobs and the nightly schedule."""

import dagster as dg

from icp_assets.partitions import tenant_partitions

tenant_refresh_job = dg.define_asset_job(
    "tenant_refresh",
    selection=dg.AssetSelection.groups("tenant", "tenant_models"),
    description="Rebuild one tenant: seeds, matches, crawl, dbt models, suggestion cards.",
)

registry_refresh_job = dg.define_asset_job(
    "registry_refresh",
    selection=dg.AssetSelection.groups("registry"),
    description="Reload the ACRA registry and SSIC reference, then rebuild the registry models.",
)


@dg.schedule(
    job=tenant_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Singapore",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    """Every night, re-crawl (stale pages refetch past the cache TTL) and rebuild every tenant."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for tenant_id in context.instance.get_dynamic_partitions(tenant_partitions.name):
        yield dg.RunRequest(run_key=f"nightly-{day}-{tenant_id}", partition_key=tenant_id)

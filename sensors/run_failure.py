"""Record failed runs in the audit log, so operators see failures next to the tenant's history."""

import dagster as dg
from psycopg.types.json import Jsonb

from resources.postgres import PostgresResource


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, description="Audit-log every failed run.")
def run_failure_alert(context: dg.RunFailureSensorContext, postgres: PostgresResource) -> None:
    run = context.dagster_run
    tenant_id = run.tags.get("dagster/partition")
    message = context.failure_event.message or "run failed"
    context.log.error(f"run {run.run_id} ({run.job_name}) failed for tenant={tenant_id}: {message}")
    with postgres.connection() as conn:
        conn.execute(
            "insert into icp.audit_log (tenant_id, actor, action, details) values (%s, 'dagster', 'run_failed', %s)",
            (tenant_id, Jsonb({"run_id": run.run_id, "job": run.job_name, "message": message})),
        )

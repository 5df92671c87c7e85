"""run_failure_alert: a failed run leaves an audit-log row naming the tenant and the run."""

from __future__ import annotations

import dagster as dg
import psycopg

from resources.postgres import PostgresResource
from sensors.run_failure import run_failure_alert


@dg.op
def broken_stage() -> None:
    raise RuntimeError("crawler process exited with 1")


@dg.job
def broken_job() -> None:
    broken_stage()


def _alert(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, url: str) -> None:
    """What the daemon does when the run fails: evaluate the sensor on its failure event."""
    context = dg.build_run_status_sensor_context(
        sensor_name=run_failure_alert.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"postgres": PostgresResource(database_url=url)},
    ).for_run_failure()
    run_failure_alert(context)


def test_failed_run_is_audited(fresh_database_url: str) -> None:
    instance = dg.DagsterInstance.ephemeral()
    result = broken_job.execute_in_process(instance=instance, raise_on_error=False, tags={"dagster/partition": "acme"})
    assert not result.success
    _alert(instance, result, fresh_database_url)

    with psycopg.connect(fresh_database_url) as conn:
        rows = conn.execute("select tenant_id, actor, action, details from icp.audit_log").fetchall()
    assert len(rows) == 1
    tenant_id, actor, action, details = rows[0]
    assert (tenant_id, actor, action) == ("acme", "dagster", "run_failed")
    assert details["run_id"] == result.run_id and details["job"] == "broken_job"
    assert "broken_stage" in details["message"]  # which step failed


def test_a_failed_run_without_a_tenant_is_audited_without_one(fresh_database_url: str) -> None:
    instance = dg.DagsterInstance.ephemeral()
    result = broken_job.execute_in_process(instance=instance, raise_on_error=False)
    _alert(instance, result, fresh_database_url)

    with psycopg.connect(fresh_database_url) as conn:
        rows = conn.execute("select tenant_id, action, details ->> 'run_id' from icp.audit_log").fetchall()
    assert rows == [(None, "run_failed", result.run_id)]

"""new_intake_sensor: one run request per new intake, idempotent across ticks."""

from __future__ import annotations

import dagster as dg
import psycopg

from demo.catalog import demo_intake
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.domain.intake import Intake, submit_intake
from resources.postgres import PostgresResource
from sensors.new_intake import new_intake_sensor


def _tick(instance: dg.DagsterInstance, url: str, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"postgres": PostgresResource(database_url=url)}
    ) as context:
        return new_intake_sensor(context)


def _submit(url: str, tenant: str) -> int:
    with psycopg.connect(url) as conn:
        return submit_intake(conn, tenant, Intake.model_validate(demo_intake()), None)


def test_new_intake_gives_exactly_one_run_request_then_none(fresh_database_url: str) -> None:
    instance = dg.DagsterInstance.ephemeral()
    response_id = _submit(fresh_database_url, "sensor-a")

    first = _tick(instance, fresh_database_url, cursor=None)
    assert [(r.partition_key, r.run_key) for r in first.run_requests] == [("sensor-a", f"intake-{response_id}")]
    assert first.run_requests[0].tags["icp/response_id"] == str(response_id)  # the run names its intake
    assert [list(r.partition_keys) for r in first.dynamic_partitions_requests] == [["sensor-a"]]
    assert first.cursor == str(response_id)

    second = _tick(instance, fresh_database_url, cursor=first.cursor)
    assert not second.run_requests and not second.dynamic_partitions_requests
    assert f"no intake after id {response_id}" in str(second.skip_reason)


def test_refined_intake_runs_again_without_adding_the_partition_twice(fresh_database_url: str) -> None:
    instance = dg.DagsterInstance.ephemeral()
    first_id = _submit(fresh_database_url, "sensor-b")
    instance.add_dynamic_partitions(tenant_partitions.name, ["sensor-b"])
    second_id = _submit(fresh_database_url, "sensor-b")
    other_id = _submit(fresh_database_url, "sensor-c")

    result = _tick(instance, fresh_database_url, cursor=str(first_id))
    assert [(r.partition_key, r.run_key) for r in result.run_requests] == [
        ("sensor-b", f"intake-{second_id}"),
        ("sensor-c", f"intake-{other_id}"),
    ]
    assert [list(r.partition_keys) for r in result.dynamic_partitions_requests] == [["sensor-c"]]

"""new_intake_sensor: one run per intake, idempotent across ticks, whoever started the run."""

from __future__ import annotations

import dagster as dg
import psycopg
import pytest
from dagster._core.test_utils import create_run_for_test

from demo.catalog import demo_intake
from icp_assets.defs.partitions import RESPONSE_ID_TAG, tenant_partitions
from icp_assets.domain.intake import Intake, submit_intake
from resources.postgres import PostgresResource
from sensors import new_intake
from sensors.new_intake import new_intake_sensor


def _tick(instance: dg.DagsterInstance, url: str, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"postgres": PostgresResource(database_url=url)}
    ) as context:
        return new_intake_sensor(context)


def _submit(url: str, tenant: str) -> int:
    with psycopg.connect(url) as conn:
        return submit_intake(conn, tenant, Intake.model_validate(demo_intake()), None)


def _launch(instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """What the daemon does with the sensor's requests: a run carrying each request's tags."""
    for request in result.run_requests:
        create_run_for_test(instance, job_name="tenant_refresh", tags=request.tags)


def test_new_intake_gives_exactly_one_run_request_then_none(fresh_database_url: str) -> None:
    with dg.instance_for_test() as instance:
        response_id = _submit(fresh_database_url, "sensor-a")

        first = _tick(instance, fresh_database_url, cursor=None)
        assert [(r.partition_key, r.run_key) for r in first.run_requests] == [("sensor-a", f"intake-{response_id}")]
        assert first.run_requests[0].tags[RESPONSE_ID_TAG] == str(response_id)  # the run names its intake
        assert [list(r.partition_keys) for r in first.dynamic_partitions_requests] == [["sensor-a"]]
        assert first.cursor == str(response_id)
        _launch(instance, first)

        second = _tick(instance, fresh_database_url, cursor=first.cursor)
        assert not second.run_requests and not second.dynamic_partitions_requests
        assert "no intake without a run" in str(second.skip_reason)


def test_refined_intake_runs_again_without_adding_the_partition_twice(fresh_database_url: str) -> None:
    with dg.instance_for_test() as instance:
        first_id = _submit(fresh_database_url, "sensor-b")
        _launch(instance, _tick(instance, fresh_database_url, cursor=None))
        instance.add_dynamic_partitions(tenant_partitions.name, ["sensor-b"])
        second_id = _submit(fresh_database_url, "sensor-b")
        other_id = _submit(fresh_database_url, "sensor-c")

        result = _tick(instance, fresh_database_url, cursor=str(first_id))
        assert [(r.partition_key, r.run_key) for r in result.run_requests] == [
            ("sensor-b", f"intake-{second_id}"),
            ("sensor-c", f"intake-{other_id}"),
        ]
        assert [list(r.partition_keys) for r in result.dynamic_partitions_requests] == [["sensor-c"]]


def test_an_intake_committed_after_a_higher_id_was_seen_still_runs(fresh_database_url: str) -> None:
    """Ids are taken when a transaction starts: a slow submission can commit after a later one."""
    with dg.instance_for_test() as instance, psycopg.connect(fresh_database_url) as slow:
        slow.execute("select 1")  # an open transaction: the submission below stays uncommitted
        slow_id = submit_intake(slow, "sensor-slow", Intake.model_validate(demo_intake()), None)
        fast_id = _submit(fresh_database_url, "sensor-fast")
        assert slow_id < fast_id
        first = _tick(instance, fresh_database_url, cursor=None)
        assert [r.run_key for r in first.run_requests] == [f"intake-{fast_id}"]
        _launch(instance, first)
        slow.commit()

        late = _tick(instance, fresh_database_url, cursor=first.cursor)
        assert [(r.partition_key, r.run_key) for r in late.run_requests] == [("sensor-slow", f"intake-{slow_id}")]


def test_an_intake_that_icp_run_already_ran_gets_no_second_run(fresh_database_url: str) -> None:
    """The daemon started after `icp run`: that run carries the intake's tag, so the sensor leaves it."""
    with dg.instance_for_test() as instance:
        response_id = _submit(fresh_database_url, "sensor-cli")
        create_run_for_test(
            instance,
            job_name="tenant_refresh",
            tags={RESPONSE_ID_TAG: str(response_id), "icp/trigger": "cli"},
            status=dg.DagsterRunStatus.SUCCESS,
        )
        result = _tick(instance, fresh_database_url, cursor=None)
        assert not result.run_requests
        assert result.cursor == str(response_id)


def test_a_busy_hour_of_intakes_does_not_crowd_out_new_ones(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(new_intake, "BATCH", 2)
    with dg.instance_for_test() as instance:
        ids = [_submit(fresh_database_url, f"busy-{i}") for i in range(3)]
        first = _tick(instance, fresh_database_url, cursor=None)
        assert [r.run_key for r in first.run_requests] == [f"intake-{i}" for i in ids[:2]]
        _launch(instance, first)
        second = _tick(instance, fresh_database_url, cursor=first.cursor)
        assert [r.run_key for r in second.run_requests] == [f"intake-{ids[2]}"]

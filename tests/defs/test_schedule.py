"""nightly_refresh: at 02:00 Singapore time, one run per tenant partition, keyed by the Singapore
day so a re-evaluation adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import dagster as dg
import psycopg

# The iterator Dagster's scheduler itself uses to turn a schedule into tick times.
from dagster._utils.schedules import cron_string_iterator

from demo.catalog import demo_intake
from icp_assets.defs.partitions import RESPONSE_ID_TAG, tenant_partitions
from icp_assets.defs.tenant import nightly_refresh
from icp_assets.domain.intake import Intake, submit_intake
from resources.postgres import PostgresResource

SINGAPORE = ZoneInfo("Asia/Singapore")
NIGHT = datetime(2026, 11, 22, 2, 0, tzinfo=SINGAPORE)


def _evaluate(instance: dg.DagsterInstance, tick: datetime, url: str) -> list[dg.RunRequest]:
    # Used as a context manager, the context lets go of the instance here rather than whenever it is
    # garbage-collected (which can leave a later test's Definitions load a dead instance).
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick, resources={"postgres": PostgresResource(database_url=url)}
    ) as context:
        return list(nightly_refresh(context))


def _submit(url: str, tenant: str) -> int:
    with psycopg.connect(url) as conn:
        return submit_intake(conn, tenant, Intake.model_validate(demo_intake()), None)


def test_ticks_fall_at_two_in_the_morning_in_singapore_every_day() -> None:
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 20:00 in Singapore
    ticks = list(
        islice(
            cron_string_iterator(start.timestamp(), nightly_refresh.cron_schedule, nightly_refresh.execution_timezone),
            3,
        )
    )
    assert [t.astimezone(UTC) for t in ticks] == [
        datetime(2026, 11, 21, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 18, 0, tzinfo=UTC),
    ]


def test_nightly_refresh_requests_every_tenant_keyed_by_the_singapore_day(fresh_database_url: str) -> None:
    _submit(fresh_database_url, "acme")
    refined = _submit(fresh_database_url, "acme")
    globex = _submit(fresh_database_url, "globex")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "globex", "no-intake-yet"])
        # 18:00 UTC on the 21st is 02:00 on the 22nd in Singapore: the run keys name the 22nd.
        tick = datetime(2026, 11, 21, 18, 0, tzinfo=UTC).astimezone(SINGAPORE)
        requests = _evaluate(instance, tick, fresh_database_url)
        again = _evaluate(instance, tick, fresh_database_url)

    assert sorted((r.partition_key, r.run_key) for r in requests) == [
        ("acme", "nightly-2026-11-22-acme"),
        ("globex", "nightly-2026-11-22-globex"),
    ]
    # Each run is pinned to its tenant's current intake, the refined one for acme.
    assert {r.partition_key: r.tags[RESPONSE_ID_TAG] for r in requests} == {"acme": str(refined), "globex": str(globex)}
    assert [r.run_key for r in again] == [r.run_key for r in requests]  # same tick, same keys: no new runs


def test_nightly_refresh_without_tenants_requests_nothing(fresh_database_url: str) -> None:
    with dg.instance_for_test() as instance:
        assert _evaluate(instance, NIGHT, fresh_database_url) == []

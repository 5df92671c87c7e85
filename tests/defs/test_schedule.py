"""nightly_refresh: at 02:00 Singapore time, one run over every tenant partition, keyed by the
Singapore day so a re-evaluation adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import dagster as dg

# The iterator Dagster's scheduler itself uses to turn a schedule into tick times.
from dagster._utils.schedules import cron_string_iterator

from icp_assets.defs.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, tenant_partitions
from icp_assets.defs.tenant import nightly_refresh

SINGAPORE = ZoneInfo("Asia/Singapore")
NIGHT = datetime(2026, 11, 22, 2, 0, tzinfo=SINGAPORE)


def _evaluate(instance: dg.DagsterInstance, tick: datetime) -> dg.RunRequest | dg.SkipReason:
    # Used as a context manager, the context lets go of the instance here rather than whenever it is
    # garbage-collected (which can leave a later test's Definitions load a dead instance).
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
        return nightly_refresh(context)


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


def test_nightly_refresh_requests_one_run_over_every_tenant_keyed_by_the_singapore_day() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "globex", "no-intake-yet"])
        # 18:00 UTC on the 21st is 02:00 on the 22nd in Singapore: the run key names the 22nd.
        tick = datetime(2026, 11, 21, 18, 0, tzinfo=UTC).astimezone(SINGAPORE)
        request = _evaluate(instance, tick)
        again = _evaluate(instance, tick)

    assert request.run_key == "nightly-2026-11-22"
    # One run over the range of every tenant partition (the assets skip tenants without an intake).
    assert request.partition_key is None
    assert (request.tags[PARTITION_RANGE_START_TAG], request.tags[PARTITION_RANGE_END_TAG]) == ("acme", "no-intake-yet")
    assert again.run_key == request.run_key  # same tick, same key: no new run


def test_nightly_refresh_without_tenants_requests_nothing() -> None:
    with dg.instance_for_test() as instance:
        assert isinstance(_evaluate(instance, NIGHT), dg.SkipReason)

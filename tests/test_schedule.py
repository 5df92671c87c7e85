"""nightly_refresh: one run per tenant partition, keyed by day so a re-evaluation adds nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from icp_assets.jobs import nightly_refresh
from icp_assets.partitions import tenant_partitions

NIGHT = datetime(2026, 11, 22, 2, 0, tzinfo=ZoneInfo("Asia/Singapore"))


def test_nightly_refresh_requests_every_tenant() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "globex"])
        requests = list(nightly_refresh(dg.build_schedule_context(instance=instance, scheduled_execution_time=NIGHT)))

    assert sorted((r.partition_key, r.run_key) for r in requests) == [
        ("acme", "nightly-2026-11-22-acme"),
        ("globex", "nightly-2026-11-22-globex"),
    ]


def test_nightly_refresh_without_tenants_requests_nothing() -> None:
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=NIGHT)
        assert list(nightly_refresh(context)) == []

"""each_tenant: in a run over a range of tenants one tenant's failure is recorded and the others go
on, each in its own transaction; in a one-tenant run the failure is the run's."""

from __future__ import annotations

import psycopg
import pytest
from dagster import PartitionKeyRange, build_asset_context

from icp_assets.defs.tenant import each_tenant
from resources.postgres import PostgresResource


def _work(conn: psycopg.Connection, tenant_id: str, response_id: int) -> int:
    conn.execute("insert into marks (tenant_id) values (%s)", (tenant_id,))
    if tenant_id == "broken":
        raise RuntimeError("this tenant's stage failed")
    return response_id


@pytest.fixture
def postgres(fresh_database_url: str) -> PostgresResource:
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("create table marks (tenant_id text)")
    return PostgresResource(database_url=fresh_database_url)


def _marks(postgres: PostgresResource) -> list[str]:
    with postgres.connection() as conn:
        return sorted(row[0] for row in conn.execute("select tenant_id from marks"))


def test_a_fleet_run_goes_on_past_a_failed_tenant_and_keeps_none_of_its_writes(postgres: PostgresResource) -> None:
    context = build_asset_context(partition_key_range=PartitionKeyRange("alpha", "omega"))
    results, failures = each_tenant(context, postgres, {"alpha": 1, "broken": 2, "omega": 3}, _work)
    assert results == {"alpha": 1, "omega": 3}
    assert list(failures) == ["broken"] and "failed" in failures["broken"]
    assert _marks(postgres) == ["alpha", "omega"]  # the failed tenant's transaction rolled back


def test_a_one_tenant_run_fails_with_its_tenant(postgres: PostgresResource) -> None:
    context = build_asset_context(partition_key="broken")
    with pytest.raises(RuntimeError, match="failed"):
        each_tenant(context, postgres, {"broken": 2}, _work)
    assert _marks(postgres) == []

"""A tenant run works on the intake it was started for: a newer intake supersedes it, so stages
never mix two intakes."""

from __future__ import annotations

import dagster as dg
import psycopg

from demo.catalog import demo_intake
from icp_assets.defs.partitions import RESPONSE_ID_TAG, tenant_partitions
from icp_assets.defs.tenant import intake_seeds
from icp_assets.domain.intake import Intake, submit_intake
from resources.postgres import PostgresResource

TENANT = "pinned"


def _materialize(url: str, response_id: int | None) -> dg.ExecuteInProcessResult:
    tags = {RESPONSE_ID_TAG: str(response_id)} if response_id is not None else {}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
        return dg.materialize(
            [intake_seeds],
            partition_key=TENANT,
            instance=instance,
            resources={"postgres": PostgresResource(database_url=url)},
            tags=tags,
        )


def _linked(url: str, response_id: int) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(company_id) from icp.customer_seeds where response_id = %s", (response_id,)
        ).fetchone()[0]


def test_a_run_for_a_superseded_intake_changes_nothing(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        older = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        newer = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)

    stale = _materialize(fresh_database_url, older)
    metadata = stale.asset_materializations_for_node("intake_seeds")[0].metadata
    assert metadata["superseded"].value is True
    assert _linked(fresh_database_url, older) == _linked(fresh_database_url, newer) == 0

    current = _materialize(fresh_database_url, newer)
    metadata = current.asset_materializations_for_node("intake_seeds")[0].metadata
    assert metadata["response_id"].value == newer and _linked(fresh_database_url, newer) > 0
    assert _linked(fresh_database_url, older) == 0


def test_a_run_without_a_pin_works_on_the_current_intake(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        newer = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
    result = _materialize(fresh_database_url, None)
    assert result.asset_materializations_for_node("intake_seeds")[0].metadata["response_id"].value == newer

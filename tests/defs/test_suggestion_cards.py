"""suggestion_cards: publishes the tenant's current cards, previews them, and checks each cites evidence."""

from __future__ import annotations

import dagster as dg
import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import suggestion_cards
from icp_assets.domain.intake import Intake, submit_intake
from resources.postgres import PostgresResource
from tests.support.marts import add_mart_card, create_marts

TENANT = "cards"


@pytest.mark.parametrize(("evidence_counts", "unsupported"), [((4, 1), []), ((4, 0), ["second"])])
def test_cards_cite_evidence_check_names_each_card_without_evidence(
    fresh_database_url: str, evidence_counts: tuple[int, int], unsupported: list[str]
) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        create_marts(conn)
        response = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        for rank, (card, evidence) in enumerate(zip(("first", "second"), evidence_counts, strict=True), start=1):
            add_mart_card(conn, TENANT, response, card, rank=rank, evidence_count=evidence)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])

    result = dg.materialize(
        [suggestion_cards],
        partition_key=TENANT,
        instance=instance,
        resources={"postgres": PostgresResource(database_url=fresh_database_url)},
    )

    assert result.success  # the check reports; publishing still happened
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "cards_cite_evidence"
    assert (check.passed, check.metadata["without_evidence"].value) == (not unsupported, unsupported)
    metadata = result.asset_materializations_for_node("suggestion_cards")[0].metadata
    assert metadata["cards"].value == 2
    preview = metadata["preview"].value
    assert preview.index("### 1. Card first") < preview.index("### 2. Card second")
    with psycopg.connect(fresh_database_url) as conn:
        published = conn.execute(
            "select suggestion_id, evidence_count from icp.icp_suggestions where tenant_id = %s order by rank",
            (TENANT,),
        ).fetchall()
    assert published == list(zip(("first", "second"), evidence_counts, strict=True))

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


def _materialize(url: str) -> dict:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
    result = dg.materialize(
        [suggestion_cards],
        partition_key=TENANT,
        instance=instance,
        resources={"postgres": PostgresResource(database_url=url)},
    )
    assert result.success
    return {k: v.value for k, v in result.asset_materializations_for_node("suggestion_cards")[0].metadata.items()}


def _mart_cards(conn: psycopg.Connection, response: int, cards: dict[str, int]) -> None:
    """Cards of the intake in the mart, {id: audience size}, in place of the tenant's earlier ones (as
    dbt replaces them); each card's cluster is its id's."""
    for mart in ("icp_suggestions", "icp_audience", "icp_targeting_pack"):
        conn.execute(f"delete from marts.{mart} where tenant_id = %s", (TENANT,))
    for rank, (card, audience) in enumerate(cards.items(), start=1):
        add_mart_card(conn, TENANT, response, card, rank=rank, audience=audience)
    conn.execute("alter table marts.icp_suggestions add column if not exists cluster text[]")
    conn.execute("update marts.icp_suggestions set cluster = array['segment:' || suggestion_id]")


def test_metadata_shows_what_changed_since_the_previous_intake(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        create_marts(conn)
        first = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        _mart_cards(conn, first, {"kept": 120, "resized": 120, "dropped": 40})
    metadata = _materialize(fresh_database_url)
    assert (metadata["cards_appeared"], metadata["cards_disappeared"], metadata["cards_changed"]) == (3, 0, 0)
    assert "compared_with_intake" not in metadata
    assert metadata["changes"].startswith("_No earlier intake with cards")

    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        second = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        _mart_cards(conn, second, {"resized": 480, "kept": 120, "new": 15})
    metadata = _materialize(fresh_database_url)
    assert (metadata["cards_appeared"], metadata["cards_disappeared"], metadata["cards_changed"]) == (1, 1, 1)
    assert metadata["compared_with_intake"] == first
    changes = metadata["changes"]
    assert changes.startswith(
        f"**intake {second} (3 cards) against intake {first} (3 cards): 1 appeared, 1 disappeared, 1 changed,"
        " 1 unchanged**"
    )
    assert "| changed | #1 (was #2) Card resized | 3/8 | 7.1x | 480 | audience size 120 -> 480 |" in changes
    assert "| appeared | #3 Card new |" in changes and "| disappeared | was #3 Card dropped |" in changes
    assert "| unchanged | #2 (was #1) Card kept |" in changes

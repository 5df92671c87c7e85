"""The tenant's suggestion cards, published from the dbt mart and shown in the Dagster UI."""

import dagster as dg

from icp_assets import stages
from icp_assets.assets.seeds import GROUP
from icp_assets.cards import cards_markdown
from icp_assets.partitions import tenant_partitions
from resources.postgres import PostgresResource


@dg.asset(
    group_name=GROUP,
    partitions_def=tenant_partitions,
    deps=[dg.AssetKey("icp_suggestions"), dg.AssetKey("icp_targeting_pack"), dg.AssetKey("icp_audience")],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec("cards_cite_evidence", asset="suggestion_cards", description="every card has evidence rows")
    ],
)
def suggestion_cards(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The tenant's micro-ICP cards, published for its current intake and shown here as markdown."""
    with postgres.connection() as conn:
        cards = stages.publish_cards(conn, context.partition_key)
    unsupported = [c["suggestion_id"] for c in cards if not c["evidence_count"]]
    return dg.MaterializeResult(
        metadata={"cards": len(cards), "preview": dg.MetadataValue.md(cards_markdown(cards))},
        check_results=[
            dg.AssetCheckResult(
                check_name="cards_cite_evidence", passed=not unsupported, metadata={"without_evidence": unsupported}
            )
        ],
    )

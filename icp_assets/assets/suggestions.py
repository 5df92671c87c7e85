"""The tenant's suggestion cards, published from the dbt mart and shown in the Dagster UI."""

import dagster as dg

from icp_assets import stages
from icp_assets.assets.seeds import GROUP
from icp_assets.cards import audience_text
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


def cards_markdown(cards: list[dict]) -> str:
    if not cards:
        return "_No card: nothing in the evidence stands out yet._"
    blocks = []
    for card in cards:
        ssic = ", ".join(
            f"{c} {t}" for c, t in zip(card.get("ssic_codes") or [], card.get("ssic_titles") or [], strict=False)
        )
        badge = " _(reduced evidence)_" if card.get("reduced_evidence") else ""
        flags = "; ".join(card.get("negative_flags") or []) or "-"
        blocks.append(
            f"### {card['rank']}. {card['title']}{badge}\n"
            f"- **SSIC:** {ssic or '-'}\n"
            f"- **Headcount:** {card.get('headcount_band') or '-'}\n"
            f"- **Integrations:** {', '.join(card.get('integrations') or []) or '-'}\n"
            f"- **Champions:** {', '.join(card.get('champion_titles') or []) or '-'}\n"
            f"- **Audience:** {audience_text(card)}\n"
            f"- **Evidence:** {card['evidence_count']} rows, {card.get('seeds_covered')}/{card.get('seeds_total')} seeds\n"
            f"- **Why:** {card.get('rationale') or '-'}\n"
            f"- **Watch out:** {flags}\n"
        )
    return "\n".join(blocks)

"""Cards for people: the terminal table and the Dagster markdown, from one list of fields."""

from __future__ import annotations

import textwrap


def audience_text(card: dict) -> str:
    """The card's lookalike audience in words: live ACRA companies, precision and reach."""
    if card.get("audience_size") is None:
        return "not sized: none of these customers matched the ACRA registry"
    return (
        f"{card['audience_size']:,} live ACRA companies match ({card.get('audience_expression')}),"
        f" {card.get('audience_reach', 0):,} match any filter; your own customers left out"
    )


def card_fields(card: dict) -> list[tuple[str, str]]:
    """A card as (label, text) pairs: what the terminal table and the Dagster markdown both show."""
    ssic = "; ".join(
        f"{c} {t}" for c, t in zip(card.get("ssic_codes") or [], card.get("ssic_titles") or [], strict=False)
    )
    coverage = f"{card.get('seeds_covered')}/{card.get('seeds_total')} best customers"
    lift = f", lift {card['lift']:.1f}x vs chance" if card.get("lift") is not None else ""
    return [
        ("SSIC", ssic or "-"),
        ("Headcount", card.get("headcount_band") or "-"),
        ("Integrations", ", ".join(card.get("integrations") or []) or "-"),
        ("Champions", ", ".join(card.get("champion_titles") or []) or "-"),
        ("Audience", audience_text(card)),
        ("Evidence", f"{card['evidence_count']} evidence rows, {coverage}{lift}"),
        ("Watch out", "; ".join(card.get("negative_flags") or []) or "-"),
        ("Why", card.get("rationale") or "-"),
        *([("Stale", stale_text(card))] if card.get("stale_evidence") else []),
    ]


def stale_text(card: dict) -> str:
    """Why a card's evidence is not current: whose evidence is kept from an earlier success."""
    who = ", ".join(card.get("stale_customers") or []) or "some customers"
    return f"evidence of {who} is kept from {evidence_date(card)}: their site or the LLM failed since"


def evidence_date(card: dict) -> str:
    """The date (YYYY-MM-DD) of the oldest last success a stale card's evidence is from."""
    return (card.get("evidence_as_of") or "unknown date")[:10]


def badges(card: dict, table: bool) -> str:
    """The card's badges after its title: reduced evidence, stale evidence."""
    found = (["reduced evidence"] if card.get("reduced_evidence") else []) + (
        [f"stale evidence from {evidence_date(card)}"] if card.get("stale_evidence") else []
    )
    if table:
        return "".join(f"  [{b}]" for b in found)
    return "".join(f" _({b})_" for b in found)


def format_cards(tenant_id: str, cards: list[dict]) -> str:
    if not cards:
        return f"{tenant_id}: no suggestion cards yet (has `icp run --tenant {tenant_id}` finished?)"
    lines = [f"{tenant_id}: {len(cards)} micro-ICP suggestion(s)", ""]
    for card in cards:
        lines.append(f"#{card['rank']} {card['title']}{badges(card, table=True)}   (id {card['suggestion_id']})")
        for label, value in card_fields(card):
            wrapped = textwrap.wrap(value, width=88) or ["-"]
            lines.append(f"    {label:<13}{wrapped[0]}")
            lines.extend(f"    {'':<13}{more}" for more in wrapped[1:])
        lines.append("")
    return "\n".join(lines).rstrip()


def cards_markdown(cards: list[dict]) -> str:
    """The cards as markdown, for the suggestion_cards asset's metadata in the Dagster UI."""
    if not cards:
        return "_No card: nothing in the evidence stands out yet._"
    blocks = []
    for card in cards:
        fields = "".join(f"- **{label}:** {value}\n" for label, value in card_fields(card))
        blocks.append(f"### {card['rank']}. {card['title']}{badges(card, table=False)}\n{fields}")
    return "\n".join(blocks)

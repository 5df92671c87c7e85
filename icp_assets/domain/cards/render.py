"""Cards for people: the terminal table and the Dagster markdown, from one list of fields; the same
for a comparison of two intakes' cards."""

from __future__ import annotations

import textwrap

from icp_assets.domain.cards.compare import (
    APPEARED,
    CHANGED,
    DISAPPEARED,
    FIELDS,
    UNCHANGED,
    CardChange,
    Comparison,
    FieldChange,
)


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


# How each compared field is named and shown (icp_assets.domain.cards.compare.FIELDS).
FIELD_LABELS = {
    "coverage": "coverage",
    "lift": "lift",
    "audience_size": "audience size",
    "ssic_codes": "SSIC",
    "headcount_band": "headcount",
    "integrations": "integrations",
    "champion_titles": "champions",
}


def field_value_text(field: str, value: object) -> str:
    """One compared value in words: coverage as k/n, lift as 2.5x, lists comma-separated."""
    if field == "coverage":
        covered, total = value
        return f"{covered}/{total}"
    if value is None or value == []:
        return "not sized" if field == "audience_size" else "-"
    if field == "lift":
        return f"{value:.1f}x"
    if field == "audience_size":
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_change_text(change: FieldChange) -> str:
    """e.g. "coverage 3/8 -> 4/9"."""
    before, after = (field_value_text(change.field, v) for v in (change.before, change.after))
    return f"{FIELD_LABELS[change.field]} {before} -> {after}"


def _card_summary(card: dict) -> str:
    """Coverage, lift and audience size of one card, e.g. for a card that appeared."""
    return ", ".join(
        f"{FIELD_LABELS[name]} {field_value_text(name, FIELDS[name](card))}"
        for name in ("coverage", "lift", "audience_size")
    )


def _rank_text(change: CardChange) -> str:
    """#2, #2 (was #1), or was #1 for a card that disappeared."""
    if change.after is None:
        return f"was #{change.before['rank']}"
    moved = (
        f" (was #{change.before['rank']})" if change.before and change.before["rank"] != change.after["rank"] else ""
    )
    return f"#{change.after['rank']}{moved}"


def comparison_headline(comparison: Comparison) -> str:
    counts = ", ".join(f"{comparison.count(kind)} {kind}" for kind in (APPEARED, DISAPPEARED, CHANGED, UNCHANGED))
    return (
        f"intake {comparison.response_id} ({comparison.cards_now} cards) against intake"
        f" {comparison.previous_response_id} ({comparison.cards_before} cards): {counts}"
    )


def format_comparison(comparison: Comparison) -> str:
    """The comparison for the terminal: one block per card, what changed under it."""
    lines = [f"{comparison.tenant_id}: {comparison_headline(comparison)}"]
    if not comparison.cards_now:
        lines.append(f"  (no card published for intake {comparison.response_id}: has its run finished?)")
    for change in comparison.changes:
        card = change.card
        lines.append("")
        lines.append(f"  {change.change:<12} {_rank_text(change)} {card['title']}   (id {card['suggestion_id']})")
        details = [field_change_text(f) for f in change.fields] if change.change == CHANGED else [_card_summary(card)]
        lines.extend(f"  {'':<12} {detail}" for detail in details)
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell: pipes escaped, one line."""
    return " ".join(text.split()).replace("|", "\\|")


def comparison_markdown(comparison: Comparison | None) -> str:
    """The comparison as a markdown table, for the suggestion_cards asset's metadata."""
    if comparison is None:
        return "_No earlier intake with cards: nothing to compare with._"
    rows = [
        f"**{comparison_headline(comparison)}**",
        "",
        "| change | card | coverage | lift | audience size | what changed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for change in comparison.changes:
        card = change.card
        values = [field_value_text(name, FIELDS[name](card)) for name in ("coverage", "lift", "audience_size")]
        what = "; ".join(field_change_text(f) for f in change.fields)
        cells = [change.change, f"{_rank_text(change)} {card['title']}", *values, what]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def format_rules(tenant_id: str, rules: list[dict]) -> str:
    """The tenant's accepted rules for the terminal: id and title, the card and intake they came
    from, their attributes, who accepted them and when."""
    if not rules:
        return (
            f"{tenant_id}: no accepted rule yet (accept a card with `icp accept --tenant {tenant_id} --suggestion ID`)"
        )
    lines = [f"{tenant_id}: {len(rules)} accepted rule(s)", ""]
    for found in rules:
        rule = found["rule"]
        intake = f"intake {found['response_id']}{' (current)' if found['from_current_intake'] else ''}"
        fields = [
            ("From", f"card {found['suggestion_id']} of {intake}"),
            ("SSIC", ", ".join(rule.get("ssic_codes") or []) or "-"),
            ("Headcount", rule.get("headcount_band") or "-"),
            ("Integrations", ", ".join(rule.get("integrations") or []) or "-"),
            ("Champions", ", ".join(rule.get("champion_titles") or []) or "-"),
            ("Audience", rule.get("audience_expression") or "-"),
            (
                "Accepted",
                f"by {found['accepted_by'] or 'unknown'} at {found['accepted_at'].isoformat(timespec='seconds')}",
            ),
        ]
        lines.append(f"rule {found['rule_id']}: {rule.get('title')}")
        lines.extend(f"    {label:<13}{value}" for label, value in fields)
        lines.append("")
    return "\n".join(lines).rstrip()

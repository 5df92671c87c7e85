"""The two renderings of a card (terminal and Dagster markdown) show the same fields."""

from __future__ import annotations

import re

from icp_assets.domain.cards.render import card_fields, cards_markdown, format_cards

CARD = {
    "rank": 1,
    "suggestion_id": "abc",
    "title": "Warehousing companies (50-249 staff) on NetSuite + Salesforce",
    "ssic_codes": ["52101", "52102"],
    "ssic_titles": ["General warehousing", "Refrigerated warehousing and storage"],
    "headcount_band": "50-249",
    "integrations": ["NetSuite", "Salesforce"],
    "champion_titles": ["Supply Chain Manager"],
    "audience_size": 477,
    "audience_reach": 2874,
    "audience_expression": "status:live AND ssic3:521",
    "evidence_count": 26,
    "seeds_covered": 3,
    "seeds_total": 8,
    "lift": 7.1,
    "negative_flags": [],
    "rationale": "3 of 8 best customers are in SSIC 521, and most of them run NetSuite with Salesforce for their"
    " warehouse teams, which is long enough to wrap in the terminal table",
    "reduced_evidence": True,
}
THIN_CARD = {
    "rank": 2,
    "suggestion_id": "def",
    "title": "Food wholesalers",
    "ssic_codes": ["46302"],
    "ssic_titles": ["Wholesale of seafood"],
    "audience_size": None,
    "evidence_count": 4,
    "seeds_covered": 2,
    "seeds_total": 8,
    "lift": None,
    "negative_flags": ["churned over price"],
}


def _table_fields(table: str, suggestion_id: str) -> dict[str, str]:
    """The card's fields as the terminal table shows them, wrapped lines joined again."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if f"(id {suggestion_id})" in line) + 1
    fields: dict[str, str] = {}
    label = ""
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        name, text = line[4:17].strip(), line[17:]
        if name:
            label, fields[name] = name, text
        else:
            fields[label] += " " + text
    return fields


def _markdown_fields(markdown: str, title: str) -> dict[str, str]:
    block = markdown.split(f". {title}", 1)[1].split("\n### ", 1)[0]
    return dict(re.findall(r"^- \*\*(.+?):\*\* (.*)$", block, flags=re.MULTILINE))


def test_card_fields_describe_the_card() -> None:
    assert card_fields(CARD) == [
        ("SSIC", "52101 General warehousing; 52102 Refrigerated warehousing and storage"),
        ("Headcount", "50-249"),
        ("Integrations", "NetSuite, Salesforce"),
        ("Champions", "Supply Chain Manager"),
        (
            "Audience",
            "477 live ACRA companies match (status:live AND ssic3:521), 2,874 match any filter;"
            " your own customers left out",
        ),
        ("Evidence", "26 evidence rows, 3/8 best customers, lift 7.1x vs chance"),
        ("Watch out", "-"),
        ("Why", CARD["rationale"]),
    ]


def test_missing_values_show_as_dashes_and_an_unmatched_card_is_not_sized() -> None:
    fields = dict(card_fields(THIN_CARD))
    assert (fields["Headcount"], fields["Integrations"], fields["Champions"], fields["Why"]) == ("-", "-", "-", "-")
    assert fields["Audience"].startswith("not sized")
    assert fields["Evidence"] == "4 evidence rows, 2/8 best customers"  # no lift without one
    assert fields["Watch out"] == "churned over price"


def test_both_renderings_carry_every_field_of_every_card() -> None:
    table, markdown = format_cards("acme", [CARD, THIN_CARD]), cards_markdown([CARD, THIN_CARD])
    assert table.startswith("acme: 2 micro-ICP suggestion(s)")
    for card in (CARD, THIN_CARD):
        expected = dict(card_fields(card))
        assert _table_fields(table, card["suggestion_id"]) == expected
        assert _markdown_fields(markdown, card["title"]) == expected
    assert max(len(line) for line in table.splitlines()) <= 4 + 13 + 88  # long values wrap
    # Best card first in both; only the card with reduced evidence carries the badge.
    assert table.index("#1 " + CARD["title"]) < table.index("#2 " + THIN_CARD["title"])
    assert markdown.index("### 1. " + CARD["title"]) < markdown.index("### 2. " + THIN_CARD["title"])
    assert table.count("[reduced evidence]") == 1 and f"{CARD['title']}  [reduced evidence]" in table
    assert markdown.count("_(reduced evidence)_") == 1 and f"{CARD['title']} _(reduced evidence)_" in markdown


def test_no_cards() -> None:
    assert format_cards("acme", []) == "acme: no suggestion cards yet (has `icp run --tenant acme` finished?)"
    assert cards_markdown([]).startswith("_No card")


def test_a_card_on_stale_evidence_says_so_and_from_when() -> None:
    stale = THIN_CARD | {
        "stale_evidence": True,
        "stale_customers": ["Ang Seafood", "Limbros Food"],
        "evidence_as_of": "2025-03-04T02:00:11+08:00",
    }
    table, markdown = format_cards("acme", [CARD, stale]), cards_markdown([CARD, stale])
    assert f"{THIN_CARD['title']}  [stale evidence from 2025-03-04]" in table
    assert f"{THIN_CARD['title']} _(stale evidence from 2025-03-04)_" in markdown
    assert table.count("[stale evidence") == 1 and markdown.count("_(stale evidence") == 1
    fields = dict(card_fields(stale))
    assert fields["Stale"].startswith("evidence of Ang Seafood, Limbros Food is kept from 2025-03-04")
    assert _table_fields(table, "def") == fields and _markdown_fields(markdown, THIN_CARD["title"]) == fields
    assert "Stale" not in dict(card_fields(CARD))

"""The two renderings of a card (terminal and Dagster markdown) show the same fields."""

from __future__ import annotations

from icp_assets.cards import card_fields, cards_markdown, format_cards

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
    "rationale": "3 of 8 best customers are in SSIC 521",
    "reduced_evidence": True,
}


def test_both_renderings_carry_every_field() -> None:
    fields = dict(card_fields(CARD))
    assert fields["SSIC"] == "52101 General warehousing; 52102 Refrigerated warehousing and storage"
    assert fields["Audience"].startswith("477 live ACRA companies match (status:live AND ssic3:521), 2,874")
    assert fields["Evidence"] == "26 evidence rows, 3/8 best customers, lift 7.1x vs chance"
    table, markdown = format_cards("acme", [CARD]), cards_markdown([CARD])
    assert "[reduced evidence]" in table and "_(reduced evidence)_" in markdown
    for label, value in fields.items():
        assert f"- **{label}:** {value}" in markdown
        assert label in table


def test_a_card_without_registry_match_is_not_sized() -> None:
    assert dict(card_fields({**CARD, "audience_size": None}))["Audience"].startswith("not sized")


def test_no_cards() -> None:
    assert "no suggestion cards yet" in format_cards("acme", [])
    assert cards_markdown([]).startswith("_No card")

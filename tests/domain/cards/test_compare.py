"""Comparing two intakes' cards: matched by their defining attributes, changes in the fields people read."""

from __future__ import annotations

import psycopg
import pytest

from icp_assets.domain.cards.compare import (
    APPEARED,
    CHANGED,
    DISAPPEARED,
    UNCHANGED,
    FieldChange,
    NothingToCompare,
    UnknownIntake,
    compare_intakes,
    compare_with_previous,
    diff_cards,
)
from icp_assets.domain.cards.render import comparison_markdown, format_comparison
from tests.support.cards import make_card, store_cards, submit

WAREHOUSING = ("integration:netsuite", "ssic3:521")
FREIGHT = ("integration:sap", "ssic3:522")
FOOD = ("integration:xero", "ssic3:463")
TRADING = ("integration:quickbooks", "ssic3:469")


def _changes(before: list[dict], after: list[dict]) -> list[tuple[str, str, tuple[FieldChange, ...]]]:
    return [(c.change, c.card["title"], c.fields) for c in diff_cards(before, after)]


def test_cards_are_matched_by_their_cluster_not_by_rank_title_or_id() -> None:
    before = [make_card(*WAREHOUSING, rank=1, title="Old title", suggestion_id="id-of-intake-1")]
    # The same cluster listed in another order, at another rank, under another title and id.
    after = [
        make_card(*FOOD, rank=1),
        make_card(*reversed(WAREHOUSING), rank=2, title="New title", suggestion_id="id-of-intake-2"),
    ]
    assert _changes(before, after) == [
        (APPEARED, "Card integration:xero + ssic3:463", ()),
        (UNCHANGED, "New title", ()),
    ]


def test_each_compared_field_is_reported_with_its_values_before_and_after() -> None:
    before = [make_card(*WAREHOUSING), make_card(*FOOD, rank=2)]
    after = [
        make_card(
            *WAREHOUSING,
            seeds_covered=4,
            seeds_total=12,
            lift=4.04,
            audience_size=None,
            ssic_codes=["52102", "52101"],
            headcount_band=None,
            integrations=["Salesforce", "NetSuite", "SAP"],
            champion_titles=[],
        ),
        make_card(*FOOD, rank=2),
    ]
    (warehousing, food) = diff_cards(before, after)
    assert food.change == UNCHANGED
    assert warehousing.change == CHANGED
    assert warehousing.fields == (
        FieldChange("coverage", [3, 8], [4, 12]),
        FieldChange("lift", 3.0, 4.0),
        FieldChange("audience_size", 120, None),
        FieldChange("ssic_codes", ["52101"], ["52101", "52102"]),
        FieldChange("headcount_band", "50-249", None),
        FieldChange("integrations", ["NetSuite", "Salesforce"], ["NetSuite", "SAP", "Salesforce"]),
        FieldChange("champion_titles", ["Supply Chain Manager"], []),
    )


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        ({"lift": 2.41}, {"lift": 2.44}, False),  # both show as 2.4x
        ({"lift": 2.44}, {"lift": 2.45}, True),  # 2.4x -> 2.5x (half up, as PostgreSQL rounds numerics)
        ({"integrations": ["A", "B"]}, {"integrations": ["B", "A", "A"]}, False),  # lists are sets
        ({"seeds_total": 8}, {"seeds_total": 9}, True),  # same customers, out of more: coverage changed
        ({"title": "Old"}, {"title": "New", "rank": 2}, False),  # title and rank are not compared
        ({"audience_size": None}, {"audience_size": 0}, True),
    ],
)
def test_what_counts_as_a_change(before: dict, after: dict, changed: bool) -> None:
    (change,) = diff_cards([make_card(*WAREHOUSING, **before)], [make_card(*WAREHOUSING, **after)])
    assert change.change == (CHANGED if changed else UNCHANGED)


def test_later_cards_come_in_rank_order_then_the_ones_that_disappeared() -> None:
    before = [make_card(*FOOD, rank=1), make_card(*FREIGHT, rank=2), make_card(*WAREHOUSING, rank=3)]
    after = [make_card(*TRADING, rank=2), make_card(*WAREHOUSING, rank=1, seeds_covered=4)]
    assert [(c.change, c.card["cluster"]) for c in diff_cards(before, after)] == [
        (CHANGED, list(WAREHOUSING)),
        (APPEARED, list(TRADING)),
        (DISAPPEARED, list(FOOD)),
        (DISAPPEARED, list(FREIGHT)),
    ]


TENANT, OTHER = "comparer", "someone-else"


@pytest.fixture
def conn(fresh_database_url: str):
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        yield conn


def test_previous_is_the_latest_earlier_intake_with_cards(conn: psycopg.Connection) -> None:
    first = submit(conn, TENANT)
    store_cards(conn, TENANT, first, [make_card(*FOOD), make_card(*WAREHOUSING, rank=2)])
    second = submit(conn, TENANT)
    store_cards(conn, TENANT, second, [make_card(*WAREHOUSING, seeds_covered=4)])
    submit(conn, TENANT)  # superseded before its run published anything
    current = submit(conn, TENANT)
    store_cards(conn, TENANT, current, [make_card(*WAREHOUSING, seeds_covered=4), make_card(*TRADING, rank=2)])

    comparison = compare_intakes(conn, TENANT)
    assert (comparison.response_id, comparison.previous_response_id) == (current, second)
    assert [(c.change, c.card["cluster"]) for c in comparison.changes] == [
        (UNCHANGED, list(WAREHOUSING)),
        (APPEARED, list(TRADING)),
    ]
    against_first = compare_intakes(conn, TENANT, against=first)
    assert [c.change for c in against_first.changes] == [CHANGED, APPEARED, DISAPPEARED]
    assert against_first.as_json()["changes"][0]["changed_fields"] == {"coverage": {"before": [3, 8], "after": [4, 8]}}
    assert (against_first.cards_now, against_first.cards_before) == (2, 2)


def test_nothing_to_compare_before_the_first_intake_with_cards(conn: psycopg.Connection) -> None:
    submit(conn, TENANT)  # never published
    current = submit(conn, TENANT)
    store_cards(conn, TENANT, current, [make_card(*FOOD)])
    with pytest.raises(NothingToCompare, match="no intake with cards before intake"):
        compare_intakes(conn, TENANT)
    assert compare_with_previous(conn, TENANT, current) is None
    with pytest.raises(NothingToCompare, match="is the one being compared"):
        compare_intakes(conn, TENANT, against=current)  # an intake with itself


def test_another_tenants_intake_is_refused_exactly_like_an_unknown_one(conn: psycopg.Connection) -> None:
    theirs = submit(conn, OTHER)
    store_cards(conn, OTHER, theirs, [make_card(*FOOD, title="Their secret segment")])
    mine = submit(conn, TENANT)
    store_cards(conn, TENANT, mine, [make_card(*WAREHOUSING)])
    unknown = theirs + mine + 100
    messages = []
    for response_id in (theirs, unknown):
        with pytest.raises(UnknownIntake) as refused:
            compare_intakes(conn, TENANT, against=response_id)
        messages.append(str(refused.value).replace(str(response_id), "N"))
    assert messages == [f"tenant {TENANT!r} has no intake N"] * 2


def test_comparison_renders_for_the_terminal_and_as_markdown(conn: psycopg.Connection) -> None:
    first = submit(conn, TENANT)
    store_cards(conn, TENANT, first, [make_card(*FOOD), make_card(*WAREHOUSING, rank=2)])
    current = submit(conn, TENANT)
    store_cards(
        conn,
        TENANT,
        current,
        [make_card(*WAREHOUSING, seeds_covered=4, seeds_total=9, audience_size=1500), make_card(*TRADING, rank=2)],
    )
    text = format_comparison(compare_intakes(conn, TENANT))
    assert text.splitlines()[0] == (
        f"{TENANT}: intake {current} (2 cards) against intake {first} (2 cards):"
        " 1 appeared, 1 disappeared, 1 changed, 0 unchanged"
    )
    assert "coverage 3/8 -> 4/9" in text and "audience size 120 -> 1,500" in text
    assert "#1 (was #2) Card integration:netsuite + ssic3:521" in text
    assert "was #1 Card integration:xero + ssic3:463" in text

    store_cards(conn, TENANT, current, [make_card("industry:a|b", rank=3, title="Pipes | in | title")])
    markdown = comparison_markdown(compare_intakes(conn, TENANT))
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert table[0] == "| change | card | coverage | lift | audience size | what changed |"
    assert all(line.count(" | ") == 5 for line in table)  # a pipe in a title cannot add a column
    assert (
        "| changed | #1 (was #2) Card" in markdown and "coverage 3/8 -> 4/9; audience size 120 -> 1,500 |" in markdown
    )
    assert comparison_markdown(None).startswith("_No earlier intake with cards")

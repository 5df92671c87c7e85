"""Publishing: the dbt mart's cards for the tenant's current intake copied into icp.icp_suggestions."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.domain.cards.publish import latest_cards, mark_stale_evidence, publish_cards
from icp_assets.domain.intake import Intake, NoIntakeError, submit_intake
from tests.support.marts import add_mart_card, create_marts

TENANT = "publisher"


def _submit(conn: psycopg.Connection, tenant: str = TENANT) -> int:
    return submit_intake(conn, tenant, Intake.model_validate(demo_intake()), None)


def _published(conn: psycopg.Connection) -> list[tuple[int, str, int]]:
    return conn.execute(
        "select response_id, suggestion_id, rank from icp.icp_suggestions where tenant_id = %s order by 1, 3",
        (TENANT,),
    ).fetchall()


def test_only_the_current_intakes_cards_are_published_and_earlier_sets_are_kept(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        create_marts(conn)
        first = _submit(conn)
        add_mart_card(conn, TENANT, first, "old")
        assert [c["suggestion_id"] for c in publish_cards(conn, TENANT)] == ["old"]

        second = _submit(conn)
        add_mart_card(conn, TENANT, second, "b", rank=2)
        add_mart_card(conn, TENANT, second, "a", rank=1)
        add_mart_card(conn, "someone-else", second, "theirs")  # another tenant's row never leaks in
        cards = publish_cards(conn, TENANT)
        assert [c["suggestion_id"] for c in cards] == ["a", "b"]
        assert _published(conn) == [(first, "old", 1), (second, "a", 1), (second, "b", 2)]
        assert [c["suggestion_id"] for c in latest_cards(conn, TENANT)] == ["a", "b"]

        # A re-publish replaces the current set: a card dbt no longer builds disappears.
        conn.execute("delete from marts.icp_suggestions where suggestion_id = 'b'")
        publish_cards(conn, TENANT)
        assert _published(conn) == [(first, "old", 1), (second, "a", 1)]


def test_a_published_card_carries_its_audience_and_pitch_as_plain_json(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        create_marts(conn)
        response = _submit(conn)
        add_mart_card(conn, TENANT, response, "sized", audience=120)
        add_mart_card(conn, TENANT, response, "unsized", rank=2, audience=None)
        publish_cards(conn, TENANT)
        sized, unsized = latest_cards(conn, TENANT)
    assert (sized["audience_size"], sized["audience_reach"], sized["pitch"]) == (120, 480, "Pitch sized")
    assert sized["audience_expression"] == "status:live AND ssic:52101"
    assert sized["lift"] == 7.1 and sized["evidence_count"] == 5  # numerics stay numbers in the JSON
    assert unsized["audience_size"] is None and unsized["pitch"] == "Pitch unsized"


def test_a_tenant_without_an_intake_has_nothing_to_publish(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        create_marts(conn)
        with pytest.raises(NoIntakeError):
            publish_cards(conn, "nobody")
        with pytest.raises(NoIntakeError):
            latest_cards(conn, "nobody")


def test_cards_resting_on_stale_customers_are_marked_with_the_oldest_last_success() -> None:
    old, older = datetime(2025, 3, 4, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    cards = [{"seed_names": ["A", "B", "C"]}, {"seed_names": ["C"]}, {"title": "no seed names"}]
    marked = mark_stale_evidence(cards, {"A": old, "B": older, "Z": older})
    assert [(c["stale_evidence"], c["stale_customers"], c["evidence_as_of"]) for c in marked] == [
        (True, ["A", "B"], older.isoformat()),
        (False, [], None),
        (False, [], None),
    ]

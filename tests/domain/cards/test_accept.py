"""Accepting a card: one of the tenant's current cards becomes a targeting rule, audited."""

from __future__ import annotations

import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.domain.cards.accept import accept_card
from icp_assets.domain.cards.publish import publish_cards
from icp_assets.domain.intake import Intake, submit_intake
from tests.support.marts import add_mart_card, create_marts

TENANT = "acceptor"


@pytest.fixture
def conn(fresh_database_url: str):
    """A tenant with two intakes, each with its published cards (`old` for the first, `new` for the second)."""
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        create_marts(conn)
        for card in ("old", "new"):
            response = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
            add_mart_card(conn, TENANT, response, card)
            publish_cards(conn, TENANT)
        yield conn


def _rules(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select rule_id, suggestion_id, rule, accepted_by from icp.icp_rules").fetchall()


def _audit(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select tenant_id, actor, action, details from icp.audit_log order by audit_id").fetchall()


def test_accepting_a_current_card_stores_its_rule_and_audits_it(conn: psycopg.Connection) -> None:
    rule_id = accept_card(conn, TENANT, "new", "lead@vendor")
    current = conn.execute("select max(response_id) from icp.icp_intake_responses").fetchone()[0]
    assert _rules(conn) == [
        (
            rule_id,
            "new",
            {
                "title": "Card new",
                "ssic_codes": ["52101"],
                "headcount_band": "50-249",
                "integrations": ["NetSuite"],
                "champion_titles": ["Supply Chain Manager"],
                "cluster": None,  # the hand-made mart has no cluster column; dbt's always fills it
                "audience_expression": "status:live AND ssic:52101",
            },
            "lead@vendor",
        )
    ]
    assert _audit(conn) == [
        (
            TENANT,
            "lead@vendor",
            "accept_suggestion",
            {"rule_id": rule_id, "suggestion_id": "new", "response_id": current},
        )
    ]


def test_accepting_again_updates_the_rule_and_audits_each_time(conn: psycopg.Connection) -> None:
    first = accept_card(conn, TENANT, "new", "lead@vendor")
    second = accept_card(conn, TENANT, "new", "boss@vendor")
    assert second == first
    assert [(r[0], r[3]) for r in _rules(conn)] == [(first, "boss@vendor")]
    assert [row[1] for row in _audit(conn)] == ["lead@vendor", "boss@vendor"]


@pytest.mark.parametrize("suggestion_id", ["old", "no-such-card"])
def test_only_a_card_of_the_current_intake_can_be_accepted(conn: psycopg.Connection, suggestion_id: str) -> None:
    with pytest.raises(LookupError, match=suggestion_id):
        accept_card(conn, TENANT, suggestion_id, "lead@vendor")
    assert _rules(conn) == [] and _audit(conn) == []

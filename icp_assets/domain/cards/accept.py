"""Accepting a card: one of the current cards becomes a targeting rule, with an audit row; the
tenant's accepted rules listed."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id

# A rule is these keys of the card (readers, such as account scoring, rely on them): its title, its
# attributes (SSIC subclasses, size band, integrations, champion titles), the cluster of defining
# attributes ('namespace:key') and the `icp audience` expression of its lookalike audience.
RULE_KEYS = (
    "title",
    "ssic_codes",
    "headcount_band",
    "integrations",
    "champion_titles",
    "cluster",
    "audience_expression",
)


def accept_card(conn: psycopg.Connection, tenant_id: str, suggestion_id: str, accepted_by: str | None) -> int:
    """Turn one of the current cards into an icp_rules row and audit it; returns the rule id."""
    response_id = current_response_id(conn, tenant_id)
    with conn.transaction():
        row = conn.execute(
            "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s and suggestion_id = %s",
            (tenant_id, response_id, suggestion_id),
        ).fetchone()
        if row is None:
            raise LookupError(f"tenant {tenant_id!r} has no current card {suggestion_id!r}")
        card = row[0]
        rule = {k: card.get(k) for k in RULE_KEYS}
        rule_id = conn.execute(
            "insert into icp.icp_rules (tenant_id, response_id, suggestion_id, rule, accepted_by)"
            " values (%s, %s, %s, %s, %s) on conflict (tenant_id, response_id, suggestion_id)"
            " do update set accepted_by = excluded.accepted_by, accepted_at = now() returning rule_id",
            (tenant_id, response_id, suggestion_id, Jsonb(rule), accepted_by),
        ).fetchone()[0]
        conn.execute(
            "insert into icp.audit_log (tenant_id, actor, action, details) values (%s, %s, 'accept_suggestion', %s)",
            (
                tenant_id,
                accepted_by,
                Jsonb({"rule_id": rule_id, "suggestion_id": suggestion_id, "response_id": response_id}),
            ),
        )
    return rule_id


def list_rules(conn: psycopg.Connection, tenant_id: str) -> list[dict]:
    """The tenant's accepted rules, newest first: rule_id, the intake and card they came from
    (response_id, suggestion_id, from_current_intake), the rule, accepted_by and accepted_at."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select r.rule_id, r.response_id, r.suggestion_id, r.rule, r.accepted_by, r.accepted_at,"
            " r.response_id = (select max(i.response_id) from icp.icp_intake_responses i"
            "                  where i.tenant_id = r.tenant_id) as from_current_intake"
            " from icp.icp_rules r where r.tenant_id = %s order by r.accepted_at desc, r.rule_id desc",
            (tenant_id,),
        ).fetchall()

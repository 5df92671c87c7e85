"""Accepting a card: one of the current cards becomes a targeting rule, with an audit row."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id


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
        rule = {k: card.get(k) for k in ("title", "ssic_codes", "headcount_band", "integrations", "champion_titles")}
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

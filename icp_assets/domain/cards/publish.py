"""Publishing cards: the dbt mart's cards copied into the product table, one set per intake."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id, lock_tenant_writes

log = logging.getLogger(__name__)


def publish_cards(conn: psycopg.Connection, tenant_id: str, response_id: int | None = None) -> list[dict]:
    """Copy the tenant's cards from the dbt mart into the product table, keyed by intake response.

    Only cards the mart built from this intake (default: the current one) are published: should a
    newer intake arrive between the dbt build and this step, its own run publishes its cards.
    """
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        lock_tenant_writes(conn, tenant_id)
        # The card as dbt built it, with its audience size (icp_audience) and pitch (icp_targeting_pack).
        cards = cur.execute(
            "select s.*, a.precision_total as audience_size, a.reach_total as audience_reach,"
            " a.audience_expression, a.sample as audience_sample, t.pitch"
            " from marts.icp_suggestions s"
            " left join marts.icp_audience a on a.suggestion_id = s.suggestion_id"
            " left join marts.icp_targeting_pack t on t.suggestion_id = s.suggestion_id"
            " where s.tenant_id = %s and s.response_id = %s order by s.rank",
            (tenant_id, response_id),
        ).fetchall()
        cards = mark_stale_evidence(cards, _stale_customers(cur, tenant_id, response_id))
        cur.execute(
            "delete from icp.icp_suggestions where tenant_id = %s and response_id = %s", (tenant_id, response_id)
        )
        cur.executemany(
            "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card, evidence_count)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    tenant_id,
                    response_id,
                    c["suggestion_id"],
                    c["rank"],
                    c["title"],
                    Jsonb(_jsonable(c)),
                    c["evidence_count"],
                )
                for c in cards
            ],
        )
    log.info("tenant=%s stage=suggestion_cards response_id=%s cards=%d", tenant_id, response_id, len(cards))
    return [_jsonable(c) for c in cards]


def _stale_customers(cur: psycopg.Cursor, tenant_id: str, response_id: int) -> dict[str, datetime]:
    """Best customers of the intake whose evidence is kept from an earlier success (their site's
    crawl or the LLM failed since): name -> the oldest last success their evidence is from."""
    rows = cur.execute(
        "select s.name, min(kept.last_success_at) as since from icp.customer_seeds s"
        " join (select company_id, last_success_at from icp.crawl_outcomes where tenant_id = %(t)s and stale"
        "       union all"
        "       select company_id, last_success_at from icp.llm_outcomes where tenant_id = %(t)s and stale) as kept"
        "   on kept.company_id = s.company_id"
        " where s.response_id = %(r)s and s.tenant_id = %(t)s and s.kind = 'best' group by s.name",
        {"t": tenant_id, "r": response_id},
    ).fetchall()
    return {row["name"]: row["since"] for row in rows}


def mark_stale_evidence(cards: list[dict], stale: dict[str, datetime]) -> list[dict]:
    """Each card with ``stale_evidence`` (some customer it rests on has evidence kept from an
    earlier crawl or LLM answer), ``stale_customers`` and ``evidence_as_of`` (the oldest of their
    last successes, ISO 8601; None when nothing is stale)."""
    marked = []
    for card in cards:
        names = [name for name in card.get("seed_names") or [] if name in stale]
        since = min((stale[name] for name in names), default=None)
        marked.append(
            card
            | {
                "stale_evidence": bool(names),
                "stale_customers": names,
                "evidence_as_of": since.isoformat() if since else None,
            }
        )
    return marked


def _jsonable(card: dict) -> dict:
    """A mart row as plain JSON: numerics as numbers, timestamps as ISO text."""
    return json.loads(json.dumps(card, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)))


def latest_cards(conn: psycopg.Connection, tenant_id: str) -> list[dict]:
    """The cards published for the tenant's current intake, best first."""
    return published_cards(conn, tenant_id, current_response_id(conn, tenant_id))


def published_cards(conn: psycopg.Connection, tenant_id: str, response_id: int) -> list[dict]:
    """The cards published for one of the tenant's intakes, best first (every intake's are kept)."""
    rows = conn.execute(
        "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s order by rank",
        (tenant_id, response_id),
    ).fetchall()
    return [r[0] for r in rows]

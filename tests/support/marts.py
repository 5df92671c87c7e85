"""The three dbt marts the card stages read, as plain tables a test fills by hand.

dbt builds them for real in tests/test_dbt_models.py and tests/e2e; here they only need the
columns publishing reads, so card publishing and acceptance are tested without a dbt build.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
from psycopg.types.json import Jsonb

_DDL = """
create schema if not exists marts;
create table if not exists marts.icp_suggestions (
    tenant_id text not null, response_id bigint not null, suggestion_id text not null, rank integer not null,
    title text not null, ssic_codes text[], headcount_band text, integrations text[], champion_titles text[],
    evidence_count bigint not null, seeds_covered integer, seeds_total integer, lift numeric,
    rationale text, reduced_evidence boolean not null default false
);
create table if not exists marts.icp_audience (
    tenant_id text, suggestion_id text, precision_total bigint, reach_total bigint,
    audience_expression text, sample jsonb
);
create table if not exists marts.icp_targeting_pack (tenant_id text, suggestion_id text, pitch text);
"""


def create_marts(conn: psycopg.Connection) -> None:
    conn.execute(_DDL)


def add_mart_card(
    conn: psycopg.Connection,
    tenant_id: str,
    response_id: int,
    suggestion_id: str,
    *,
    rank: int = 1,
    evidence_count: int = 5,
    audience: int | None = 120,
) -> None:
    """One card as dbt would leave it in marts.icp_suggestions, with its audience and pitch."""
    conn.execute(
        "insert into marts.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, ssic_codes,"
        " headcount_band, integrations, champion_titles, evidence_count, seeds_covered, seeds_total, lift, rationale)"
        " values (%s, %s, %s, %s, %s, %s, '50-249', %s, %s, %s, 3, 8, %s, 'three of eight')",
        (
            tenant_id,
            response_id,
            suggestion_id,
            rank,
            f"Card {suggestion_id}",
            ["52101"],
            ["NetSuite"],
            ["Supply Chain Manager"],
            evidence_count,
            Decimal("7.10"),
        ),
    )
    if audience is not None:
        conn.execute(
            "insert into marts.icp_audience values (%s, %s, %s, %s, 'status:live AND ssic:52101', %s)",
            (tenant_id, suggestion_id, audience, audience * 4, Jsonb([{"uen": "E1"}])),
        )
    conn.execute(
        "insert into marts.icp_targeting_pack values (%s, %s, %s)", (tenant_id, suggestion_id, f"Pitch {suggestion_id}")
    )

"""Published cards (icp.icp_suggestions) as a test writes them by hand, for comparison, rules and export."""

from __future__ import annotations

import hashlib

import psycopg
from psycopg.types.json import Jsonb

from demo.catalog import demo_intake
from icp_assets.domain.intake import Intake, submit_intake


def make_card(*cluster: str, rank: int = 1, **fields) -> dict:
    """A card as publish_cards stores it; its id is derived from its cluster, as dbt's is."""
    return {
        "suggestion_id": hashlib.md5(",".join(sorted(cluster)).encode()).hexdigest(),
        "rank": rank,
        "title": f"Card {' + '.join(cluster)}",
        "cluster": list(cluster),
        "ssic_codes": ["52101"],
        "headcount_band": "50-249",
        "integrations": ["NetSuite", "Salesforce"],
        "champion_titles": ["Supply Chain Manager"],
        "seeds_covered": 3,
        "seeds_total": 8,
        "lift": 3.0,
        "evidence_count": 5,
        "audience_size": 120,
        "audience_expression": "status:live AND ssic:52101",
    } | fields


def submit(conn: psycopg.Connection, tenant_id: str) -> int:
    """A new (demo) intake for the tenant; returns its response id."""
    return submit_intake(conn, tenant_id, Intake.model_validate(demo_intake()), None)


def store_cards(conn: psycopg.Connection, tenant_id: str, response_id: int, cards: list[dict]) -> None:
    """The cards as published for the tenant's intake ``response_id``."""
    conn.cursor().executemany(
        "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card, evidence_count)"
        " values (%s, %s, %s, %s, %s, %s, %s)",
        [
            (tenant_id, response_id, c["suggestion_id"], c["rank"], c["title"], Jsonb(c), c["evidence_count"])
            for c in cards
        ],
    )

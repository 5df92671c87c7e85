"""A tenant ready for account scoring: an intake, a published card (accepted or not), the ACRA rows
of the labelled accounts of demo/scoring_world.py, and the matcher over them."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from demo.catalog import demo_intake
from demo.scoring_world import LabelledAccount
from icp_assets.domain.cards.accept import accept_card
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.matching.matcher import Matcher

SSIC_SECTIONS = {"46": "G", "52": "H", "62": "J", "70": "M", "56": "I", "47": "G", "41": "F"}


def tenant_with_card(conn: psycopg.Connection, tenant_id: str, card: dict, *, accept: bool) -> int:
    """Submit the demo intake for the tenant and publish ``card`` as its only card (accepted as a
    rule when ``accept``); returns the intake's response id."""
    response_id = submit_intake(conn, tenant_id, Intake.model_validate(demo_intake()), "test")
    publish_card(conn, tenant_id, response_id, card, rank=1)
    if accept:
        accept_card(conn, tenant_id, f"card-{response_id}-1", "test")
    return response_id


def publish_card(conn: psycopg.Connection, tenant_id: str, response_id: int, card: dict, rank: int) -> str:
    """One card in icp.icp_suggestions, as the suggestion_cards asset publishes it; returns its id."""
    suggestion_id = f"card-{response_id}-{rank}"
    conn.execute(
        "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card, evidence_count)"
        " values (%s, %s, %s, %s, %s, %s, 5)",
        (tenant_id, response_id, suggestion_id, rank, card["title"], Jsonb(card)),
    )
    return suggestion_id


def load_accounts_registry(conn: psycopg.Connection, accounts: list[LabelledAccount]) -> None:
    """The ACRA rows of the accounts ACRA knows, and the SSIC sections of their divisions."""
    conn.execute(
        "insert into registry.ssic_codes (code, level, title, parent_code, section)"
        " select s, 'section', 'Section ' || s, null, s from unnest(%s::text[]) as s on conflict do nothing",
        (sorted(set(SSIC_SECTIONS.values())),),
    )
    for division, section in SSIC_SECTIONS.items():
        conn.execute(
            "insert into registry.ssic_codes (code, level, title, parent_code, section)"
            " values (%s, 'division', %s, %s, %s) on conflict do nothing",
            (division, f"Division {division}", section, section),
        )
    with conn.cursor() as cur:
        cur.executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_type_description,"
            " entity_status_description, registration_incorporation_date, postal_code, primary_ssic_code)"
            " values (%s, %s, 'Local Company', 'Live Company', %s, %s, %s) on conflict (uen) do nothing",
            [
                (a.company.uen, a.company.legal_name, a.company.incorporated, a.company.postal_code, a.company.ssic)
                for a in accounts
                if a.in_registry
            ],
        )


def matcher(url: str, folder: Path) -> Matcher:
    index, _ = load_match_index(url, folder)
    return Matcher(index)

"""A small registry and intake where one seed is ambiguous (two live entities share its name) and
one is in no entity: the fixture of the seed-confirmation tests."""

from __future__ import annotations

import psycopg

from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.matching.index_store import fetch_registry_entities
from icp_assets.domain.matching.matcher import Matcher, MatchIndex
from icp_assets.domain.seeds import link_seeds_to_companies

AMBIGUOUS = "Golden Dragon Trading"
# The two live entities whose names normalise alike: the matcher cannot choose.
DRAGON_COMPANY, DRAGON_BUSINESS = "201500003D", "53000004E"
STRANGER = "Ulmquist Ventures"  # shares no word with the registry
NEAR_MISS = "Marvessa Holdings"  # unmatched, with MARVESSA TRADING as a candidate far under the threshold
REGISTRY = [
    # uen, name, primary SSIC, postal code
    (DRAGON_COMPANY, "GOLDEN DRAGON TRADING PTE. LTD.", "46900", "049318"),
    (DRAGON_BUSINESS, "GOLDEN DRAGON TRADING", "47110", "238801"),
    ("201800001K", "ZEPHYRA LOGISTICS PTE. LTD.", "52101", "609601"),
    ("201800002L", "QUILLON FOODS PTE. LTD.", "10711", "128380"),
    ("201800003M", "MARVESSA TRADING PTE. LTD.", "46100", "339407"),
    ("201800004N", "BRONTEL ENGINEERING PTE. LTD.", "71122", "417943"),
]
SEEDS = [
    (AMBIGUOUS, "https://gdt-asia.com"),
    ("Zephyra Logistics", "https://zephyra.sg"),
    ("Quillon Foods", "https://quillon.sg"),
    ("Marvessa Trading", "https://marvessa.sg"),
    ("Brontel Engineering", "https://brontel.sg"),
    (STRANGER, "https://ulmquist.sg"),
    (NEAR_MISS, "https://mvh.sg"),
]


def load_registry(conn: psycopg.Connection) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description, primary_ssic_code,"
            " postal_code, registration_incorporation_date) values (%s, %s, 'Live Company', %s, %s, '2015-03-01')",
            REGISTRY,
        )


def submit(conn: psycopg.Connection, tenant: str, seeds: list[tuple[str, str]] = SEEDS) -> int:
    """An intake of ``seeds`` (best customers) for ``tenant``, its seeds linked; returns its id."""
    intake = {"website": "https://vendor.example.com", "best_customers": [{"name": n, "website": w} for n, w in seeds]}
    response_id = submit_intake(conn, tenant, Intake.model_validate(intake), None)
    link_seeds_to_companies(conn, tenant, response_id)
    return response_id


def matcher(url: str) -> Matcher:
    return Matcher(MatchIndex.build(fetch_registry_entities(url)))

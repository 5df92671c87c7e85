"""The seed-matching stage: the current seeds matched to ACRA, and the registry facts of each match."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from demo.catalog import BEST_CUSTOMERS, demo_intake
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.matching.index_store import fetch_registry_entities
from icp_assets.domain.matching.matcher import Matcher, MatchIndex
from icp_assets.domain.matching.seed_matches import MatchCounts, match_seeds
from icp_assets.domain.seeds import link_seeds_to_companies

TENANT = "matcher"
HARBOURLINE = next(c for c in BEST_CUSTOMERS if c.domain == "harbourline.sg")
NO_POSTCODE, MISSING = next(c for c in BEST_CUSTOMERS if c is not HARBOURLINE), BEST_CUSTOMERS[-1]


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    """The demo intake, and a registry holding every best customer but the last (no churned one)."""
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        for c in BEST_CUSTOMERS[:-1]:
            conn.execute(
                "insert into registry.acra_entities (uen, entity_name, entity_status_description,"
                " entity_type_description, registration_incorporation_date, postal_code, primary_ssic_code,"
                " primary_ssic_description) values (%s, %s, 'Live Company', 'Local Company', %s, %s, %s, %s)",
                (
                    c.uen,
                    c.legal_name,
                    c.incorporated,
                    None if c is NO_POSTCODE else c.postal_code,
                    c.ssic,
                    "ACRA's description" if c is NO_POSTCODE else None,
                ),
            )
        conn.execute(
            "insert into registry.ssic_codes (code, level, title) values (%s, 'subclass', 'General warehousing')",
            (HARBOURLINE.ssic,),
        )
        submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, TENANT)
        yield conn


@pytest.fixture
def matcher(conn: psycopg.Connection) -> Matcher:
    return Matcher(MatchIndex.build(fetch_registry_entities(conn.info.dsn)))


def _all_evidence(conn: psycopg.Connection) -> set[tuple[str, str, str]]:
    """(company domain, signal, value) of the tenant's registry evidence."""
    rows = conn.execute(
        "select c.domain, e.signal_key, e.value::text from icp.icp_evidence e join icp.companies c using (company_id)"
        " where e.tenant_id = %s and e.source = 'registry'",
        (TENANT,),
    ).fetchall()
    return set(rows)


def _evidence(conn: psycopg.Connection, domain: str) -> set[tuple[str, str]]:
    return {(signal, value) for company, signal, value in _all_evidence(conn) if company == domain}


def test_seeds_are_matched_and_matched_seeds_get_their_registry_facts(
    conn: psycopg.Connection, matcher: Matcher
) -> None:
    counts = match_seeds(conn, TENANT, matcher)
    matched = len(BEST_CUSTOMERS) - 1
    assert counts == MatchCounts(seeds=11, matched=matched, ambiguous=0, unmatched=4, registry_evidence=5 * matched - 1)
    assert counts.match_rate == pytest.approx(matched / 11)
    assert len(_all_evidence(conn)) == counts.registry_evidence
    statuses = dict(
        conn.execute(
            "select s.name, m.status || ':' || coalesce(m.uen, '-') from icp.seed_matches m"
            " join icp.customer_seeds s using (seed_id)"
        ).fetchall()
    )
    assert statuses[HARBOURLINE.name] == f"matched:{HARBOURLINE.uen}"
    assert statuses[MISSING.name] == "unmatched:-"

    year = HARBOURLINE.incorporated[:4]
    assert (
        _evidence(conn, HARBOURLINE.domain)
        == {
            ("ssic", f'{{"code": "{HARBOURLINE.ssic}", "label": "General warehousing"}}'),  # the SSIC title
            ("entity_status", '{"label": "Live Company"}'),
            ("entity_type", '{"label": "Local Company"}'),
            ("incorporation_year", f'{{"year": {year}, "label": "{year}"}}'),
            (
                "postal_district",
                f'{{"label": "{HARBOURLINE.postal_code[:2]}", "postal_code": "{HARBOURLINE.postal_code}"}}',
            ),
        }
    )
    no_postcode = dict(_evidence(conn, NO_POSTCODE.domain))
    assert "postal_district" not in no_postcode  # no fact without a value
    assert no_postcode["ssic"] == f'{{"code": "{NO_POSTCODE.ssic}", "label": "ACRA\'s description"}}'
    assert _evidence(conn, MISSING.domain) == set()  # an unmatched seed has no registry facts


def test_a_rerun_replaces_the_tenants_matches_and_facts(conn: psycopg.Connection, matcher: Matcher) -> None:
    match_seeds(conn, TENANT, matcher)
    before = _all_evidence(conn)
    assert match_seeds(conn, TENANT, matcher).registry_evidence == len(before)
    assert conn.execute("select count(*) from icp.icp_evidence where source = 'registry'").fetchone()[0] == len(before)

    refined = demo_intake()
    refined["best_customers"] = [c for c in refined["best_customers"] if HARBOURLINE.domain in c["website"]]
    refined["lost_or_churned"] = []
    submit_intake(conn, TENANT, Intake.model_validate(refined), None)
    link_seeds_to_companies(conn, TENANT)
    assert match_seeds(conn, TENANT, matcher) == MatchCounts(1, 1, 0, 0, 5)
    assert conn.execute("select count(*) from icp.seed_matches").fetchone()[0] == 1
    assert {company for company, _, _ in _all_evidence(conn)} == {HARBOURLINE.domain}

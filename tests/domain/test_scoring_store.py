"""Account scoring against a real PostgreSQL: what accounts are graded against (accepted rules, else
the current cards), storing accounts and their crawls (the last good evidence kept), grading
stored accounts, and one tenant's accounts out of another's reach."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from demo.scoring_world import COLD_CHAIN_CARD, FOOD_CARD, labelled_accounts
from icp_assets.domain import scoring
from scrapers.runner import CrawlResult
from tests.support.scoring import load_accounts_registry, matcher, publish_card, tenant_with_card

A, B = "scorer-a", "scorer-b"
ACCOUNTS = labelled_accounts(seed=5)
IN_ICP = next(a for a in ACCOUNTS if a.kind == "in_icp" and a.company.ssic.startswith("463"))


@pytest.fixture
def url(make_database: Callable[[], str]) -> str:
    url = make_database()
    with psycopg.connect(url) as conn:
        load_accounts_registry(conn, ACCOUNTS)
    return url


def _submit(conn: psycopg.Connection, url: str, tmp_path: Path, tenant: str, text: str) -> list[int]:
    accounts = scoring.parse_accounts(text.encode(), (80, 443))
    return scoring.submit_accounts(conn, tenant, accounts, matcher(url, tmp_path / "index"))


def _crawl(account_id: int, site: str, pages: int, evidence: list[dict]) -> CrawlResult:
    outcome = {
        "company_key": str(account_id),
        "site_url": site,
        "pages_fetched": pages,
        "robots_refused": 0 if pages else 3,
        "http_errors": 0,
        "timeouts": 0,
        "reduced_evidence": not pages,
    }
    return CrawlResult(evidence=[{"company_key": str(account_id), **e} for e in evidence], outcomes=[outcome])


XERO = {
    "signal_key": "integration",
    "value": {"label": "Xero"},
    "url": "https://x.com.sg/integrations",
    "confidence": 0.9,
}


def test_accepted_rules_win_over_cards_and_cards_of_the_current_intake_stand_in(url: str) -> None:
    with psycopg.connect(url) as conn:
        assert scoring.grading_basis(conn, A) == (None, [])  # no intake
        first = tenant_with_card(conn, A, FOOD_CARD, accept=False)
        kind, rules = scoring.grading_basis(conn, A)
        assert kind == "cards" and [r.name for r in rules] == [f"card 1: {FOOD_CARD['title']}"]
        # A refined intake without cards yet: the earlier intake's cards are not current.
        second = tenant_with_card(conn, A, COLD_CHAIN_CARD, accept=False)
        conn.execute("delete from icp.icp_suggestions where response_id = %s", (second,))
        assert scoring.grading_basis(conn, A) == (None, [])
        # An accepted rule, from any intake, wins over cards.
        publish_card(conn, A, second, COLD_CHAIN_CARD, rank=1)
        conn.execute(
            "insert into icp.icp_rules (tenant_id, response_id, suggestion_id, rule) values (%s, %s, 'card-x', %s)",
            (A, first, Jsonb({k: v for k, v in FOOD_CARD.items() if k != "cluster"})),
        )
        kind, rules = scoring.grading_basis(conn, A)
        assert kind == "rules" and len(rules) == 1 and rules[0].name.startswith("rule ")
        assert rules[0].name.endswith(FOOD_CARD["title"])
        assert scoring.grading_basis(conn, B) == (None, [])  # another tenant's rules are not B's


def test_a_failed_recrawl_keeps_the_last_good_evidence_marked_stale(url: str, tmp_path: Path) -> None:
    with psycopg.connect(url) as conn:
        tenant_with_card(conn, A, FOOD_CARD, accept=True)
        [account] = _submit(conn, url, tmp_path, A, f"name,website\n{IN_ICP.name},{IN_ICP.website}\n")
        assert [t.company_key for t in scoring.crawl_targets(conn, A, 10)] == [str(account)]
        counts = scoring.record_account_crawl(conn, A, _crawl(account, IN_ICP.website, 5, [XERO]))
        assert (counts.crawled, counts.failed, counts.evidence) == (1, 0, 1)
        assert scoring.crawl_targets(conn, A, 10) == []  # crawled: not due again for a while
        scoring.record_account_crawl(conn, A, _crawl(account, IN_ICP.website, 0, []))
        status, stale, evidence, outcome = conn.execute(
            "select crawl_status, stale, evidence, crawl_outcome from icp.account_scores where account_id = %s",
            (account,),
        ).fetchone()
        assert (status, stale, [e["value"]["label"] for e in evidence]) == ("failed", True, ["Xero"])
        assert outcome["robots_refused"] == 3
        scoring.grade_accounts(conn, A)
        graded = conn.execute(
            "select grade, matched from icp.account_scores where account_id = %s", (account,)
        ).fetchone()
        assert graded[0] == "C" and {m["attribute"] for m in graded[1]} == {"SSIC group 463", "uses Xero"}
        # Listed again: the row, its crawl and its evidence stay.
        assert _submit(conn, url, tmp_path, A, f"name,website\nRenamed,{IN_ICP.website}\n") == [account]
        assert conn.execute("select name, stale from icp.account_scores").fetchall() == [("Renamed", True)]


def test_one_tenants_accounts_are_out_of_anothers_reach(url: str, tmp_path: Path) -> None:
    """The same website listed by two tenants is two accounts; B's crawl records and grading never
    touch A's row, and each is graded against its own rules."""
    text = f"name,website\n{IN_ICP.name},{IN_ICP.website}\n"
    with psycopg.connect(url) as conn:
        tenant_with_card(conn, A, FOOD_CARD, accept=True)
        tenant_with_card(conn, B, COLD_CHAIN_CARD, accept=True)
        [mine] = _submit(conn, url, tmp_path, A, text)
        [theirs] = _submit(conn, url, tmp_path, B, text)
        assert mine != theirs
        scoring.record_account_crawl(conn, A, _crawl(mine, IN_ICP.website, 4, [XERO]))
        # B recording a crawl under A's account id changes nothing of A's.
        scoring.record_account_crawl(conn, B, _crawl(mine, IN_ICP.website, 0, []))
        scoring.grade_accounts(conn, A)
        scoring.grade_accounts(conn, B)
        rows = {
            tenant: tuple(rest)
            for tenant, *rest in conn.execute(
                "select tenant_id, crawl_status, stale, jsonb_array_length(evidence), grade, best_rule"
                " from icp.account_scores"
            ).fetchall()
        }
    assert rows[A][:4] == ("crawled", False, 1, "C") and rows[A][4].endswith(FOOD_CARD["title"])
    # B's copy: not crawled yet, its ACRA industry (463) outside B's rule (521): D by B's rule.
    assert rows[B][:4] == ("pending", False, 0, "D") and rows[B][4].endswith(COLD_CHAIN_CARD["title"])

"""Re-crawls never lose data: real crawls of fixture sites recorded with record_crawl.

A site whose crawl fails (down, 5xx) keeps its last good evidence and pages, marked stale with the
time of its last success; one tenant's failed or thinner crawl of a shared site leaves another
tenant's evidence and the pages it cites as they were; evidence past the maximum age expires.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from demo.fixture_sites import company_sites
from demo.vhost import Reply, VirtualHostServer
from icp_assets.domain.crawl import CrawlCounts, crawl_targets, record_crawl
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from scrapers.runner import CrawlResult, run_crawl

SITES = company_sites(4, pages=6, seed=21, personal_emails=0)
VENDOR_A, CUSTOMER_A, SHARED, VENDOR_B = SITES
_runs = itertools.count()


def _intake(vendor, customers) -> Intake:
    return Intake.model_validate(
        {
            "website": f"https://{vendor.domain}/",
            "best_customers": [{"name": s.domain.split("-")[0], "website": f"https://{s.domain}/"} for s in customers],
        }
    )


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    with VirtualHostServer({s.domain: s.pages for s in SITES}) as running:
        yield running


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    """Tenant a (its vendor, a customer of its own and the shared site) and tenant b (another
    vendor, and the shared site as its customer)."""
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        submit_intake(conn, "a", _intake(VENDOR_A, [CUSTOMER_A, SHARED]), None)
        submit_intake(conn, "b", _intake(VENDOR_B, [SHARED]), None)
        link_seeds_to_companies(conn, "a")
        link_seeds_to_companies(conn, "b")
        yield conn


def _crawl(host_map: dict[str, str], tmp_path: Path, tenant: str, conn: psycopg.Connection, **kw) -> CrawlResult:
    """A real crawl of the tenant's sites, with a cache of its own: nothing is served from an
    earlier crawl's cache (past the TTL, a nightly re-crawl asks the sites again)."""
    n = next(_runs)
    return run_crawl(
        crawl_targets(conn, tenant),
        tmp_path / f"crawl-{n}.jsonl",
        host_map=host_map,
        cache_dir=tmp_path / f"cache-{n}",
        delay_s=0,
        timeout_s=2,
        **kw,
    )


def _record(conn: psycopg.Connection, tenant: str, result: CrawlResult, **kw) -> CrawlCounts:
    return record_crawl(conn, tenant, result, **kw)


def _evidence(conn: psycopg.Connection, tenant: str) -> list[tuple]:
    """Every column of the tenant's evidence rows: ids and observed_at included, so 'unchanged'
    means the very same rows, not equal copies."""
    return conn.execute(
        "select * from icp.icp_evidence where tenant_id = %s order by evidence_id", (tenant,)
    ).fetchall()


def _facts(rows: list[tuple]) -> list[str]:
    """Evidence rows without their id and time: company, signal, value, source, URL, page, snippet, confidence."""
    return sorted(repr(row[2:10]) for row in rows)


def _pages(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select * from icp.crawl_pages order by url").fetchall()


def _outcomes(conn: psycopg.Connection, tenant: str) -> dict[str, tuple]:
    rows = conn.execute(
        "select site_url, pages_fetched, http_errors, stale, last_success_at, crawled_at, reduced_evidence, issues"
        " from icp.crawl_outcomes where tenant_id = %s",
        (tenant,),
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _all_down(path: str, hits: int) -> Reply:
    return Reply(503, b"Service unavailable\n", "text/plain")


@pytest.mark.parametrize("outage", ["server_stopped", "http_503"])
def test_a_crawl_with_every_site_down_keeps_the_last_good_evidence_marked_stale(
    server: VirtualHostServer, conn: psycopg.Connection, tmp_path: Path, outage: str
) -> None:
    first = _record(conn, "a", _crawl(server.host_map(), tmp_path, "a", conn))
    assert first.blocked_sites == [] and first.evidence > 0
    evidence, pages, good = _evidence(conn, "a"), _pages(conn), _outcomes(conn, "a")
    assert all(stale is False and last is not None for _, _, stale, last, *_ in good.values())

    if outage == "server_stopped":  # every connection refused: a port nothing listens on
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            down_map = {host: f"127.0.0.1:{probe.getsockname()[1]}" for host in server.host_map()}
    else:  # every site answers 503 to every request
        down = VirtualHostServer({s.domain: _all_down for s in SITES}).start()
        down_map = down.host_map()
    try:
        second = _record(conn, "a", _crawl(down_map, tmp_path, "a", conn))
    finally:
        if outage == "http_503":
            down.stop()

    assert _evidence(conn, "a") == evidence  # the very same rows
    assert _pages(conn) == pages
    assert sorted(second.blocked_sites) == sorted(good) and second.evidence == 0 and second.pages == 0
    assert second.evidence_kept == len(evidence)
    assert sorted(second.stale_sites) == sorted(good)
    after = _outcomes(conn, "a")
    for site, (pages_fetched, http_errors, stale, last_success, crawled_at, reduced, issues) in after.items():
        first_pages, _, _, first_success, first_crawled, first_reduced, _ = good[site]
        assert (pages_fetched, stale, last_success) == (0, True, first_success)  # the time of the last success
        assert http_errors > 0 and issues  # the failure is recorded
        assert crawled_at > first_crawled
        assert reduced == first_reduced  # what the kept evidence is worth has not changed
        assert second.stale_sites[site] == first_success.isoformat()
    assert "evidence kept from" in second.evidence_table()

    # The sites are back: a successful crawl replaces the evidence and clears the staleness.
    third = _record(conn, "a", _crawl(server.host_map(), tmp_path, "a", conn))
    assert third.stale_sites == {} and third.blocked_sites == []
    assert _facts(_evidence(conn, "a")) == _facts(evidence)  # the same facts, in new rows
    assert all(
        stale is False and last > good[site][3] for site, (_, _, stale, last, *_) in _outcomes(conn, "a").items()
    )


def _cited_pages(conn: psycopg.Connection, tenant: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "select e.url from icp.icp_evidence e join icp.crawl_pages p on p.url = e.url where e.tenant_id = %s",
            (tenant,),
        )
    }


def _shared_company(conn: psycopg.Connection) -> int:
    return conn.execute("select company_id from icp.companies where domain = %s", (SHARED.domain,)).fetchone()[0]


def test_one_tenants_failed_crawl_of_a_shared_site_leaves_the_others_evidence_intact(
    server: VirtualHostServer, conn: psycopg.Connection, tmp_path: Path
) -> None:
    _record(conn, "a", _crawl(server.host_map(), tmp_path, "a", conn))
    _record(conn, "b", _crawl(server.host_map(), tmp_path, "b", conn))
    shared = _shared_company(conn)
    a_evidence, b_evidence = _evidence(conn, "a"), _evidence(conn, "b")
    assert any(row[2] == shared for row in a_evidence) and any(row[2] == shared for row in b_evidence)
    a_cited = _cited_pages(conn, "a")
    assert any(SHARED.domain in url for url in a_cited)
    pages = _pages(conn)

    with VirtualHostServer({s.domain: _all_down for s in SITES}) as down:
        failed = _record(conn, "b", _crawl(down.host_map(), tmp_path, "b", conn))

    assert f"https://{SHARED.domain}/" in failed.stale_sites
    assert _evidence(conn, "a") == a_evidence  # a's evidence untouched
    assert _cited_pages(conn, "a") == a_cited and _pages(conn) == pages  # so are the pages it cites
    assert _evidence(conn, "b") == b_evidence  # b keeps its own last good evidence too
    assert all(stale is False for _, _, stale, *_ in _outcomes(conn, "a").values())


def test_a_thinner_successful_crawl_by_one_tenant_keeps_the_pages_anothers_evidence_cites(
    server: VirtualHostServer, conn: psycopg.Connection, tmp_path: Path
) -> None:
    _record(conn, "a", _crawl(server.host_map(), tmp_path, "a", conn))
    a_evidence, a_cited = _evidence(conn, "a"), _cited_pages(conn, "a")
    shared = _shared_company(conn)
    owners = dict(conn.execute("select url, company_id from icp.crawl_pages").fetchall())

    # b crawls the shared site successfully, but gets one page of it: the rest are not in its crawl.
    thin = _record(conn, "b", _crawl(server.host_map(), tmp_path, "b", conn, page_cap=1))
    assert thin.blocked_sites == [] and thin.stale_sites == {}

    shared_pages = {r[0] for r in conn.execute("select url from icp.crawl_pages where company_id = %s", (shared,))}
    assert {url for url in a_cited if SHARED.domain in url} <= shared_pages
    assert _evidence(conn, "a") == a_evidence
    assert all(
        owners[url] == company
        for url, company in conn.execute("select url, company_id from icp.crawl_pages")
        if url in owners
    )


def test_evidence_past_the_maximum_age_expires_fresher_evidence_stays(
    server: VirtualHostServer, conn: psycopg.Connection, tmp_path: Path
) -> None:
    _record(conn, "a", _crawl(server.host_map(), tmp_path, "a", conn))
    shared = _shared_company(conn)
    old_url = f"https://{SHARED.domain}/"
    # The shared site's evidence and last success are 40 days old; the others' are fresh.
    conn.execute(
        "update icp.icp_evidence set observed_at = now() - interval '40 days' where tenant_id = 'a' and company_id = %s",
        (shared,),
    )
    conn.execute(
        "update icp.crawl_outcomes set last_success_at = now() - interval '40 days' where tenant_id = 'a'"
        " and company_id = %s",
        (shared,),
    )
    fresh = [r for r in _evidence(conn, "a") if r[2] != shared]
    old = [r for r in _evidence(conn, "a") if r[2] == shared]
    assert fresh and old

    # Every site down: under the maximum age (the default, 90 days) everything is kept ...
    with VirtualHostServer({s.domain: _all_down for s in SITES}) as down:
        result = _crawl(down.host_map(), tmp_path, "a", conn)
    kept = _record(conn, "a", result)
    assert kept.evidence_expired == 0 and sorted(_evidence(conn, "a")) == sorted(fresh + old)
    # ... past it (30 days), the 40-day-old evidence goes and its site is no longer stale but thin.
    expired = _record(conn, "a", result, max_age_days=30)
    assert expired.evidence_expired == len(old)
    assert sorted(_evidence(conn, "a")) == sorted(fresh)
    pages_fetched, _, stale, _, _, reduced, issues = _outcomes(conn, "a")[old_url]
    assert (stale, reduced, issues.get("evidence_expired")) == (False, True, 1)
    assert old_url not in expired.stale_sites and len(expired.stale_sites) == 2

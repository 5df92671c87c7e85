"""Crawl targets and recording: which sites a tenant's run crawls, and how a crawl is stored."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from demo.catalog import BEST_CUSTOMERS, VENDOR, demo_intake
from icp_assets.domain.crawl import crawl_targets, record_crawl
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from scrapers.runner import CrawlResult

TENANT = "crawler"


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    """The demo intake submitted and linked to companies."""
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, TENANT)
        yield conn


def _company(conn: psycopg.Connection, domain: str) -> str:
    return str(conn.execute("select company_id from icp.companies where domain = %s", (domain,)).fetchone()[0])


def _outcome(company: str, url: str, pages: int, reduced: bool = False) -> dict:
    return {
        "company_key": company,
        "site_url": url,
        "pages_fetched": pages,
        "robots_refused": 0 if pages else 1,
        "http_errors": 0,
        "timeouts": 0,
        "reduced_evidence": reduced or not pages,
    }


def _evidence(company: str, signal: str, label: str, confidence: float, url: str = "https://x/") -> dict:
    return {
        "company_key": company,
        "signal_key": signal,
        "value": {"label": label},
        "url": url,
        "page_type": "home",
        "snippet": f"... {label} ...",
        "confidence": confidence,
    }


def test_targets_are_the_vendor_and_every_seed_site_of_the_current_intake(conn: psycopg.Connection) -> None:
    intake = demo_intake()
    intake["best_customers"] = intake["best_customers"][:2]
    intake["lost_or_churned"] = intake["lost_or_churned"][:1]
    submit_intake(conn, TENANT, Intake.model_validate(intake), None)  # a refined intake: fewer seeds
    link_seeds_to_companies(conn, TENANT)

    targets = crawl_targets(conn, TENANT)
    seeds = [*intake["best_customers"], *intake["lost_or_churned"]]
    assert sorted(t.url for t in targets) == sorted([intake["website"], *(c["website"] for c in seeds)])
    assert len({t.company_key for t in targets}) == len(targets)  # one target per company
    vendor = next(t for t in targets if t.url == intake["website"])
    assert vendor.company_key == _company(conn, VENDOR.domain)


def test_a_crawl_stores_its_evidence_maps_industries_and_reports_each_site(conn: psycopg.Connection) -> None:
    conn.execute("insert into registry.ssic_index (phrase, code) values ('Wholesale of seafood', '46302')")
    fresh, blocked = BEST_CUSTOMERS[0], BEST_CUSTOMERS[1]
    company, other = _company(conn, fresh.domain), _company(conn, blocked.domain)
    result = CrawlResult(
        pages=[{"company_key": company, "url": f"https://{fresh.domain}/", "page_type": "home", "http_status": 200}],
        evidence=[
            _evidence(company, "integration", "Xero", 0.9),
            _evidence(company, "integration", "Xero", 0.5, url="https://x/about"),  # the same fact on another page
            _evidence(company, "industry_served", "seafood wholesale", 0.7),
        ],
        outcomes=[_outcome(company, f"https://{fresh.domain}/", 1), _outcome(other, f"https://{blocked.domain}/", 0)],
    )
    counts = record_crawl(conn, TENANT, result)

    rows = conn.execute(
        "select signal_key, value, url, confidence from icp.icp_evidence where tenant_id = %s and source = 'crawl'"
        " order by signal_key, url",
        (TENANT,),
    ).fetchall()
    assert rows == [
        ("industry_served", {"label": "seafood wholesale", "ssic_code": "46302"}, "https://x/", pytest.approx(0.7)),
        ("integration", {"label": "Xero"}, "https://x/", pytest.approx(0.9)),
        ("integration", {"label": "Xero"}, "https://x/about", pytest.approx(0.5)),
    ]
    assert (counts.sites, counts.pages, counts.evidence, counts.industries_mapped_to_ssic) == (2, 1, 3, 1)
    assert counts.blocked_sites == counts.reduced_evidence_sites == [f"https://{blocked.domain}/"]
    assert counts.evidence_table().splitlines()[2:] == [
        f"| https://{fresh.domain}/ | 3 | ok |",
        f"| https://{blocked.domain}/ | 0 | blocked |",
    ]

    # The next successful crawl replaces this one: evidence, outcomes, and the company's pages.
    page = {"company_key": company, "url": f"https://{fresh.domain}/new", "page_type": "home", "http_status": 200}
    record_crawl(conn, TENANT, CrawlResult(pages=[page], outcomes=[_outcome(company, f"https://{fresh.domain}/", 1)]))
    assert conn.execute("select count(*) from icp.icp_evidence where source = 'crawl'").fetchone()[0] == 0
    assert conn.execute("select count(*) from icp.crawl_outcomes").fetchone()[0] == 1
    assert [r[0] for r in conn.execute("select url from icp.crawl_pages")] == [f"https://{fresh.domain}/new"]


def test_a_recrawl_replaces_a_companys_pages_whatever_their_url_variant(conn: psycopg.Connection) -> None:
    """The same page reached as https://www.x and http://x is one page of the company, not two."""
    company = _company(conn, "harbourline.sg")

    def crawl(url: str) -> CrawlResult:
        page = {"company_key": company, "url": url, "page_type": "home", "http_status": 200}
        return CrawlResult(pages=[page], evidence=[], outcomes=[_outcome(company, url, 1, reduced=True)])

    record_crawl(conn, TENANT, crawl("http://harbourline.sg/"))
    record_crawl(conn, TENANT, crawl("https://www.harbourline.sg/"))
    urls = [r[0] for r in conn.execute("select url from icp.crawl_pages where company_id = %s", (int(company),))]
    assert urls == ["https://www.harbourline.sg/"]

"""Crawl targets and recording: which sites a tenant's run crawls, and how a crawl is stored.

A crawl replaces the tenant's crawl evidence and outcomes in one transaction, so a re-run
replaces rather than duplicates and a failure leaves the previous state intact.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id
from scrapers.runner import CrawlResult, CrawlTarget
from scrapers.ssic import SsicIndex, with_ssic

log = logging.getLogger(__name__)


def crawl_targets(conn: psycopg.Connection, tenant_id: str, response_id: int | None = None) -> list[CrawlTarget]:
    """The vendor's site and every seed site of the intake (default: the current one), one target per company."""
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    rows = conn.execute(
        "select c.company_id, min(coalesce(s.website, c.website)) from icp.companies c"
        " left join icp.customer_seeds s on s.company_id = c.company_id and s.response_id = %(r)s"
        " where c.domain is not null and (s.seed_id is not null or c.domain ="
        "   (select website_domain from icp.icp_intake_responses where response_id = %(r)s))"
        " group by c.company_id order by c.company_id",
        {"r": response_id},
    ).fetchall()
    return [CrawlTarget(company_key=str(company_id), url=website) for company_id, website in rows if website]


@dataclass(frozen=True)
class CrawlCounts:
    sites: int
    pages: int
    evidence: int
    reduced_evidence_sites: list[str]
    blocked_sites: list[str]  # no page fetched at all: robots.txt, errors or timeouts
    evidence_by_site: dict[str, int]  # site URL -> evidence rows
    industries_mapped_to_ssic: int
    refused_sites: list[str] = field(default_factory=list)  # the egress policy refused some request
    refused_requests: int = 0  # requests the egress policy refused, all sites
    over_budget: bool = False  # the crawl was ended at its time budget

    def evidence_table(self) -> str:
        """Markdown table of evidence rows per site, with the crawl's verdict on each."""
        rows = ["| site | evidence | crawl |", "| --- | ---: | --- |"]
        for site, count in sorted(self.evidence_by_site.items(), key=lambda kv: (-kv[1], kv[0])):
            verdict = (
                "blocked"
                if site in self.blocked_sites
                else "reduced evidence"
                if site in self.reduced_evidence_sites
                else "ok"
            )
            rows.append(f"| {site} | {count} | {verdict} |")
        return "\n".join(rows)


def record_crawl(conn: psycopg.Connection, tenant_id: str, result: CrawlResult) -> CrawlCounts:
    """Store pages (shared by URL), per-site outcomes and the tenant's crawl evidence, replacing the
    last crawl's; industries served get an SSIC code where the alphabetical index knows them.

    A crawled company's pages become exactly this crawl's pages: one page can be reached as
    http or https, with or without www., so URLs alone would let re-crawls pile up variants.
    """
    index = SsicIndex(conn.execute("select phrase, code from registry.ssic_index").fetchall())
    evidence = with_ssic(result.evidence, index)
    crawled_companies = sorted({int(o["company_key"]) for o in result.outcomes})
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "delete from icp.crawl_pages where company_id = any(%s) and not (url = any(%s))",
            (crawled_companies, [p["url"] for p in result.pages]),
        )
        cur.executemany(
            "insert into icp.crawl_pages (company_id, url, page_type, http_status, title, content_hash)"
            " values (%s, %s, %s, %s, %s, %s) on conflict (url) do update set"
            " company_id = excluded.company_id, page_type = excluded.page_type, http_status = excluded.http_status,"
            " title = excluded.title, content_hash = excluded.content_hash, fetched_at = now()",
            [
                (
                    int(p["company_key"]),
                    p["url"],
                    p["page_type"],
                    p.get("http_status"),
                    p.get("title"),
                    p.get("content_hash"),
                )
                for p in result.pages
            ],
        )
        cur.execute("delete from icp.crawl_outcomes where tenant_id = %s", (tenant_id,))
        cur.executemany(
            "insert into icp.crawl_outcomes (tenant_id, company_id, site_url, pages_fetched, robots_refused,"
            " http_errors, timeouts, refused_by_policy, reduced_evidence) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    tenant_id,
                    int(o["company_key"]),
                    o["site_url"],
                    o["pages_fetched"],
                    o["robots_refused"],
                    o["http_errors"],
                    o["timeouts"],
                    o.get("refused_by_policy", 0),
                    o["reduced_evidence"],
                )
                for o in result.outcomes
            ],
        )
        cur.execute("delete from icp.icp_evidence where tenant_id = %s and source = 'crawl'", (tenant_id,))
        cur.executemany(
            "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, url, page_type,"
            " snippet, confidence) values (%s, %s, %s, %s, 'crawl', %s, %s, %s, %s)",
            [
                (
                    tenant_id,
                    int(e["company_key"]),
                    e["signal_key"],
                    Jsonb(e["value"]),
                    e.get("url"),
                    e.get("page_type"),
                    e.get("snippet") or None,  # cut to 200 characters by the crawler
                    e["confidence"],
                )
                for e in evidence
            ],
        )
    per_site = Counter(e["company_key"] for e in evidence)
    counts = CrawlCounts(
        sites=len(result.outcomes),
        pages=len(result.pages),
        evidence=len(evidence),
        reduced_evidence_sites=[o["site_url"] for o in result.outcomes if o["reduced_evidence"]],
        blocked_sites=[o["site_url"] for o in result.outcomes if o["pages_fetched"] == 0],
        evidence_by_site={o["site_url"]: per_site[o["company_key"]] for o in result.outcomes},
        industries_mapped_to_ssic=sum(1 for e in evidence if e["value"].get("ssic_code")),
        refused_sites=[o["site_url"] for o in result.outcomes if o.get("refused_by_policy", 0)],
        refused_requests=sum(o.get("refused_by_policy", 0) for o in result.outcomes),
        over_budget=result.over_budget,
    )
    log.info("tenant=%s stage=crawl_evidence %s", tenant_id, counts)
    return counts

"""Crawl targets and recording: which sites a tenant's run crawls, and how a crawl is stored.

A tenant's run crawls every site of its intake (through the shared crawl cache); a fleet refresh
crawls only the sites due: never crawled for the tenant, failed last time, or last crawled
successfully more than the re-crawl period ago (ICP_RECRAWL_DAYS). The others keep their evidence.

A crawl is stored in one transaction, site by site: a site that fetched a page replaces the
tenant's evidence of it, so a re-run replaces rather than duplicates; a site that failed (down,
5xx, timeouts, robots.txt, the egress policy) keeps its last good evidence, marked stale with the
time of its last success, until it is older than the maximum evidence age.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id, lock_tenant_writes
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


def due_for_crawl(
    conn: psycopg.Connection, tenant_id: str, targets: list[CrawlTarget], recrawl_days: int
) -> list[CrawlTarget]:
    """The targets whose latest crawl for the tenant is missing, failed, or older than ``recrawl_days``."""
    fresh = {
        str(company_id)
        for (company_id,) in conn.execute(
            "select company_id from icp.crawl_outcomes where tenant_id = %s and pages_fetched > 0"
            " and last_success_at >= now() - make_interval(days => %s)",
            (tenant_id, recrawl_days),
        ).fetchall()
    }
    return [target for target in targets if target.company_key not in fresh]


DEFAULT_EVIDENCE_MAX_AGE_DAYS = 90


def site_succeeded(outcome: dict) -> bool:
    """A site's crawl succeeded when it fetched at least one page; anything else (network errors,
    5xx, timeouts, robots.txt, the egress policy) is a failure that keeps the last good evidence."""
    return int(outcome.get("pages_fetched") or 0) > 0


@dataclass(frozen=True)
class CrawlCounts:
    sites: int
    pages: int
    evidence: int  # rows this crawl stored (sites that succeeded)
    reduced_evidence_sites: list[str]
    blocked_sites: list[str]  # no page fetched at all: robots.txt, errors, timeouts or the egress policy
    evidence_by_site: dict[str, int]  # site URL -> the tenant's crawl evidence rows for it after this crawl
    industries_mapped_to_ssic: int
    refused_sites: list[str] = field(default_factory=list)  # the egress policy refused some request
    refused_requests: int = 0  # requests the egress policy refused, all sites
    over_budget: bool = False  # the crawl was ended at its time budget
    stale_sites: dict[str, str] = field(default_factory=dict)  # failed site -> last success (ISO) its evidence is from
    evidence_kept: int = 0  # rows of failed sites kept from their last successful crawl
    evidence_expired: int = 0  # rows older than the maximum evidence age, deleted

    def evidence_table(self) -> str:
        """Markdown table of evidence rows per site, with the crawl's verdict on each."""
        rows = ["| site | evidence | crawl |", "| --- | ---: | --- |"]
        for site, count in sorted(self.evidence_by_site.items(), key=lambda kv: (-kv[1], kv[0])):
            verdict = (
                f"failed, evidence kept from {self.stale_sites[site][:10]} (stale)"
                if site in self.stale_sites
                else "blocked"
                if site in self.blocked_sites
                else "reduced evidence"
                if site in self.reduced_evidence_sites
                else "ok"
            )
            rows.append(f"| {site} | {count} | {verdict} |")
        return "\n".join(rows)


def record_crawl(
    conn: psycopg.Connection,
    tenant_id: str,
    result: CrawlResult,
    max_age_days: int = DEFAULT_EVIDENCE_MAX_AGE_DAYS,
    not_due: Collection[int] = (),
) -> CrawlCounts:
    """Store a crawl for the tenant, site by site; industries served get an SSIC code where the
    alphabetical index knows them.

    A site that succeeded (at least one page fetched) replaces the tenant's crawl evidence of its
    company, and its company's pages become exactly this crawl's pages (one page can be reached as
    http or https, with or without www., so URLs alone would let re-crawls pile up variants), except
    pages some tenant's evidence still cites. A site that failed keeps its evidence and pages from
    its last successful crawl: its outcome records the failure, marked stale with the time of that
    success. Companies ``not_due`` (still the tenant's, not crawled this time: fresh under the
    re-crawl period) keep their evidence and outcome as they are; every other company not crawled
    (no longer the tenant's) loses its crawl evidence and outcome. Crawl evidence older
    than ``max_age_days`` is deleted. Pages are shared by URL and never change company: another
    tenant's crawl of a site, failed or not, leaves this tenant's evidence as it was.
    """
    index = SsicIndex(conn.execute("select phrase, code from registry.ssic_index").fetchall())
    succeeded = {int(o["company_key"]) for o in result.outcomes if site_succeeded(o)}
    failed = {int(o["company_key"]) for o in result.outcomes} - succeeded
    # In URL order: concurrent crawls of a shared site lock its page rows in the same order.
    pages = sorted((p for p in result.pages if int(p["company_key"]) in succeeded), key=lambda p: p["url"])
    evidence = [e for e in with_ssic(result.evidence, index) if int(e["company_key"]) in succeeded]
    with conn.transaction(), conn.cursor() as cur:
        lock_tenant_writes(conn, tenant_id)
        cur.executemany(
            "insert into icp.crawl_pages (company_id, url, page_type, http_status, title, content_hash)"
            " values (%s, %s, %s, %s, %s, %s) on conflict (url) do update set"
            " page_type = excluded.page_type, http_status = excluded.http_status,"
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
                for p in pages
            ],
        )
        # Evidence: replaced for the sites that succeeded, kept for those that failed.
        cur.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'crawl' and not (company_id = any(%s))",
            (tenant_id, sorted(failed | set(not_due))),
        )
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
        expired = cur.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'crawl'"
            " and observed_at < now() - make_interval(days => %s)",
            (tenant_id, max_age_days),
        ).rowcount
        # Pages of the companies crawled successfully that this crawl did not fetch, unless cited.
        cur.execute(
            "delete from icp.crawl_pages p where p.company_id = any(%s) and not (p.url = any(%s))"
            " and not exists (select from icp.icp_evidence e where e.url = p.url)",
            (sorted(succeeded), [p["url"] for p in pages]),
        )
        _record_outcomes(cur, tenant_id, result.outcomes, max_age_days, not_due)
        kept = dict(
            cur.execute(
                "select company_id, count(*) from icp.icp_evidence where tenant_id = %s and source = 'crawl'"
                " group by company_id",
                (tenant_id,),
            ).fetchall()
        )
        stale = dict(
            cur.execute(
                "select company_id, last_success_at from icp.crawl_outcomes where tenant_id = %s and stale",
                (tenant_id,),
            ).fetchall()
        )
    by_key = {int(o["company_key"]): o["site_url"] for o in result.outcomes}
    counts = CrawlCounts(
        sites=len(result.outcomes),
        pages=len(pages),
        evidence=len(evidence),
        reduced_evidence_sites=[o["site_url"] for o in result.outcomes if o["reduced_evidence"]],
        blocked_sites=[o["site_url"] for o in result.outcomes if not site_succeeded(o)],
        evidence_by_site={site: kept.get(company, 0) for company, site in by_key.items()},
        industries_mapped_to_ssic=sum(1 for e in evidence if e["value"].get("ssic_code")),
        refused_sites=[o["site_url"] for o in result.outcomes if o.get("refused_by_policy", 0)],
        refused_requests=sum(o.get("refused_by_policy", 0) for o in result.outcomes),
        over_budget=result.over_budget,
        stale_sites={by_key[c]: at.isoformat() for c, at in stale.items() if c in by_key},
        evidence_kept=sum(kept.get(c, 0) for c in failed),
        evidence_expired=expired,
    )
    log.info("tenant=%s stage=crawl_evidence %s", tenant_id, counts)
    return counts


def _record_outcomes(
    cur: psycopg.Cursor, tenant_id: str, outcomes: list[dict], max_age_days: int, not_due: Collection[int]
) -> None:
    """One outcome row per (tenant, company) crawled: a success sets last_success_at and clears
    stale; a failure records its counts and keeps last_success_at, stale when there was one."""
    cur.execute(
        "delete from icp.crawl_outcomes where tenant_id = %s and not (company_id = any(%s))",
        (tenant_id, sorted({int(o["company_key"]) for o in outcomes} | set(not_due))),
    )
    cur.executemany(
        "insert into icp.crawl_outcomes as o (tenant_id, company_id, site_url, pages_fetched, robots_refused,"
        " http_errors, timeouts, refused_by_policy, reduced_evidence, issues, last_success_at, stale)"
        " values (%(t)s, %(company)s, %(site)s, %(pages)s, %(robots)s, %(errors)s, %(timeouts)s, %(refused)s,"
        "  %(reduced)s, %(issues)s, case when %(ok)s then now() end, false)"
        " on conflict (tenant_id, company_id) do update set"
        " site_url = excluded.site_url, pages_fetched = excluded.pages_fetched,"
        " robots_refused = excluded.robots_refused, http_errors = excluded.http_errors,"
        " timeouts = excluded.timeouts, refused_by_policy = excluded.refused_by_policy,"
        " issues = excluded.issues, crawled_at = now(),"
        # a failure keeps the evidence, so what it says of the evidence, of the last success
        " reduced_evidence = case when %(ok)s or o.last_success_at is null"
        "   then excluded.reduced_evidence else o.reduced_evidence end,"
        " last_success_at = case when %(ok)s then now() else o.last_success_at end,"
        " stale = not %(ok)s and o.last_success_at is not null",
        [
            {
                "t": tenant_id,
                "company": int(o["company_key"]),
                "site": o["site_url"],
                "pages": o["pages_fetched"],
                "robots": o["robots_refused"],
                "errors": o["http_errors"],
                "timeouts": o["timeouts"],
                "refused": o.get("refused_by_policy", 0),
                "reduced": o["reduced_evidence"] or not site_succeeded(o),
                "issues": Jsonb(o.get("issues") or {}),
                "ok": site_succeeded(o),
            }
            for o in outcomes
        ],
    )
    # Evidence past the maximum age is gone: nothing stale is left of those sites.
    cur.execute(
        "update icp.crawl_outcomes set stale = false, reduced_evidence = true,"
        " issues = issues || '{\"evidence_expired\": 1}'::jsonb"
        " where tenant_id = %s and stale and last_success_at < now() - make_interval(days => %s)",
        (tenant_id, max_age_days),
    )

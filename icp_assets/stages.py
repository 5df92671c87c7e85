"""What each tenant stage does to the database, as plain functions the thin assets call.

Every stage rewrites only the tenant's own rows for its current intake, inside one transaction,
so a re-run replaces rather than duplicates and a failure leaves the previous state intact.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from icp_assets.matching import Matcher, MatchResult
from scrapers.runner import CrawlResult, CrawlTarget
from scrapers.ssic import SsicIndex, with_ssic

log = logging.getLogger(__name__)


class NoIntakeError(LookupError):
    """The tenant has no intake yet, so there is nothing to build."""


def current_response_id(conn: psycopg.Connection, tenant_id: str) -> int:
    row = conn.execute(
        "select max(response_id) from icp.icp_intake_responses where tenant_id = %s", (tenant_id,)
    ).fetchone()
    if row[0] is None:
        raise NoIntakeError(f"tenant {tenant_id!r} has no intake; submit one with `icp intake submit`")
    return row[0]


@dataclass(frozen=True)
class SeedCounts:
    response_id: int
    best: int
    lost: int
    companies: int


def link_seeds_to_companies(conn: psycopg.Connection, tenant_id: str) -> SeedCounts:
    """Give every seed of the current intake (and the vendor itself) a company row, keyed by domain."""
    response_id = current_response_id(conn, tenant_id)
    with conn.transaction():
        conn.execute(
            "insert into icp.companies (domain, name, website)"
            " select website_domain, website_domain, website from icp.icp_intake_responses"
            " where response_id = %s on conflict (domain) do nothing",
            (response_id,),
        )
        conn.execute(
            "insert into icp.companies (domain, name, website)"
            " select distinct on (domain) domain, name, website from icp.customer_seeds"
            " where response_id = %s and domain is not null order by domain, seed_id"
            " on conflict (domain) do nothing",
            (response_id,),
        )
        conn.execute(
            "update icp.customer_seeds s set company_id = c.company_id from icp.companies c"
            " where s.response_id = %s and s.domain = c.domain and s.company_id is distinct from c.company_id",
            (response_id,),
        )
        # Seeds without a website still need a company of their own to carry registry evidence.
        for seed_id, name in conn.execute(
            "select seed_id, name from icp.customer_seeds where response_id = %s and company_id is null",
            (response_id,),
        ).fetchall():
            conn.execute(
                "update icp.customer_seeds set company_id ="
                " (insert into icp.companies (name) values (%s) returning company_id) where seed_id = %s",
                (name, seed_id),
            )
        best, lost, companies = conn.execute(
            "select count(*) filter (where kind = 'best'), count(*) filter (where kind = 'lost'),"
            " count(distinct company_id) from icp.customer_seeds where response_id = %s",
            (response_id,),
        ).fetchone()
    log.info("tenant=%s stage=intake_seeds response_id=%s best=%d lost=%d", tenant_id, response_id, best, lost)
    return SeedCounts(response_id, best, lost, companies)


@dataclass(frozen=True)
class MatchCounts:
    seeds: int
    matched: int
    ambiguous: int
    unmatched: int
    registry_evidence: int

    @property
    def match_rate(self) -> float:
        return self.matched / self.seeds if self.seeds else 0.0


_REGISTRY_EVIDENCE_SQL = """
insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, confidence)
select m.tenant_id, s.company_id, fact.signal_key, fact.value, 'registry', m.score
from icp.seed_matches m
join icp.customer_seeds s using (seed_id)
join registry.acra_entities e on e.uen = m.uen
left join registry.ssic_codes c on c.code = e.primary_ssic_code
cross join lateral (values
    ('ssic', case when e.primary_ssic_code is not null then jsonb_build_object(
        'label', coalesce(c.title, e.primary_ssic_description, e.primary_ssic_code),
        'code', e.primary_ssic_code) end),
    ('entity_status', jsonb_build_object('label', e.entity_status_description)),
    ('incorporation_year', case when e.registration_incorporation_date is not null then jsonb_build_object(
        'label', extract(year from e.registration_incorporation_date)::int::text,
        'year', extract(year from e.registration_incorporation_date)::int) end),
    ('entity_type', jsonb_build_object('label', e.entity_type_description)),
    ('postal_district', case when e.postal_code is not null then jsonb_build_object(
        'label', left(e.postal_code, 2), 'postal_code', e.postal_code) end)
) as fact(signal_key, value)
where m.tenant_id = %(tenant)s and s.response_id = %(response)s and m.status = 'matched'
  and fact.value is not null and fact.value ->> 'label' is not null
"""


def match_seeds(conn: psycopg.Connection, tenant_id: str, matcher: Matcher) -> MatchCounts:
    """Match the current seeds to ACRA entities and replace the tenant's registry evidence."""
    response_id = current_response_id(conn, tenant_id)
    seeds = conn.execute(
        "select seed_id, name, domain from icp.customer_seeds where response_id = %s order by seed_id",
        (response_id,),
    ).fetchall()
    results: list[tuple[int, MatchResult]] = [(seed_id, matcher.match(name, domain)) for seed_id, name, domain in seeds]
    with conn.transaction():
        conn.execute("delete from icp.seed_matches where tenant_id = %s", (tenant_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "insert into icp.seed_matches (seed_id, tenant_id, uen, entity_name, score, method, status, candidates)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (seed_id, tenant_id, r.uen, r.entity_name, r.score, r.method, r.status, Jsonb(r.candidates))
                    for seed_id, r in results
                ],
            )
        conn.execute("delete from icp.icp_evidence where tenant_id = %s and source = 'registry'", (tenant_id,))
        evidence = conn.execute(_REGISTRY_EVIDENCE_SQL, {"tenant": tenant_id, "response": response_id}).rowcount
    statuses = [r.status for _, r in results]
    counts = MatchCounts(
        seeds=len(results),
        matched=statuses.count("matched"),
        ambiguous=statuses.count("ambiguous"),
        unmatched=statuses.count("unmatched"),
        registry_evidence=evidence,
    )
    log.info("tenant=%s stage=seed_matches %s", tenant_id, counts)
    return counts


def crawl_targets(conn: psycopg.Connection, tenant_id: str) -> list[CrawlTarget]:
    """The vendor's site and every seed site of the current intake, one target per company."""
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


def record_crawl(conn: psycopg.Connection, tenant_id: str, result: CrawlResult) -> CrawlCounts:
    """Store pages (shared by URL), per-site outcomes and the tenant's crawl evidence, replacing the
    last crawl's; industries served get an SSIC code where the alphabetical index knows them.

    A crawled company's pages become exactly this crawl's pages: one page can be reached as
    http or https, with or without www., so URLs alone would let re-crawls pile up variants.
    """
    index = SsicIndex(conn.execute("select phrase, code from registry.ssic_index").fetchall())
    evidence = with_ssic(_distinct_evidence(result.evidence), index)
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
            " http_errors, timeouts, reduced_evidence) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    tenant_id,
                    int(o["company_key"]),
                    o["site_url"],
                    o["pages_fetched"],
                    o["robots_refused"],
                    o["http_errors"],
                    o["timeouts"],
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
    )
    log.info("tenant=%s stage=crawl_evidence %s", tenant_id, counts)
    return counts


def _distinct_evidence(evidence: Iterable[dict]) -> list[dict]:
    """One row per (company, signal, label, url): the same fact seen twice on a page is one fact."""
    seen: dict[tuple, dict] = {}
    for item in evidence:
        key = (item["company_key"], item["signal_key"], item["value"].get("label"), item.get("url"))
        if key not in seen or item["confidence"] > seen[key]["confidence"]:
            seen[key] = item
    return list(seen.values())


def publish_cards(conn: psycopg.Connection, tenant_id: str) -> list[dict]:
    """Copy the tenant's cards from the dbt mart into the product table, keyed by intake response.

    Only cards the mart built from the current intake are published: should a newer intake arrive
    between the dbt build and this step, its own run publishes its cards.
    """
    response_id = current_response_id(conn, tenant_id)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        # The card as dbt built it, with its audience size (icp_audience) and pitch (icp_targeting_pack).
        cards = cur.execute(
            "select s.*, a.precision_total as audience_size, a.reach_total as audience_reach,"
            " a.audience_expression, a.sample as audience_sample, t.pitch"
            " from marts.icp_suggestions s"
            " left join marts.icp_audience a on a.suggestion_id = s.suggestion_id"
            " left join marts.icp_targeting_pack t on t.suggestion_id = s.suggestion_id"
            " where s.tenant_id = %s and s.response_id = %s order by s.rank",
            (tenant_id, response_id),
        ).fetchall()
        cur.execute(
            "delete from icp.icp_suggestions where tenant_id = %s and response_id = %s", (tenant_id, response_id)
        )
        cur.executemany(
            "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card, evidence_count)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    tenant_id,
                    response_id,
                    c["suggestion_id"],
                    c["rank"],
                    c["title"],
                    Jsonb(_jsonable(c)),
                    c["evidence_count"],
                )
                for c in cards
            ],
        )
    log.info("tenant=%s stage=suggestion_cards response_id=%s cards=%d", tenant_id, response_id, len(cards))
    return [_jsonable(c) for c in cards]


def _jsonable(card: dict) -> dict:
    """A mart row as plain JSON: numerics as numbers, timestamps as ISO text."""
    return json.loads(json.dumps(card, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)))


def latest_cards(conn: psycopg.Connection, tenant_id: str) -> list[dict]:
    """The cards published for the tenant's current intake, best first."""
    response_id = current_response_id(conn, tenant_id)
    rows = conn.execute(
        "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s order by rank",
        (tenant_id, response_id),
    ).fetchall()
    return [r[0] for r in rows]

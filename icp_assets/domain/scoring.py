"""Account scoring: a tenant's list of accounts graded against its accepted rules (or its cards).

An account (a name and a website) is matched to ACRA with the seeds' matcher, its site is crawled
by the tenants' crawler and cache, and what was learned is compared with every rule:

* A rule's attributes (``Criterion``): its SSIC industry (the account's primary SSIC code, the
  one cards are mined from), size band, each integration, its buyer titles (any of them), and the
  technologies, industries served and company age its card was defined by. The card's defining
  attributes (its ``cluster``; without one, the SSIC industry and the integrations) are marked
  ``defining``: a card is a conjunctive segment, so an account holding all of them is in it.
* Each attribute is **matched** (the account holds it: the URL or ACRA field that says so is kept),
  **missed** (what is known contradicts it) or **unknown** (nothing was learned about it, with the
  reason: not in ACRA, the site blocked or not crawled yet, or the site names no integration at
  all). Unknown is never counted as a miss: a site that lists no integration says nothing about
  NetSuite, while a site that lists Xero and Shopify but not NetSuite misses it.
* Grades, with ``known`` = matched + missed attributes of the rule, ``share`` = matched / known
  and ``n`` = the rule's attributes:

  - ``A``: every defining attribute matched, share >= 0.75 and at least min(3, n) known;
  - ``B``: every defining attribute matched; or share >= 0.5 with at least min(2, n) known and no
    defining attribute missed (some may be unknown);
  - ``C``: at least one attribute matched (a defining one missed, or too few known);
  - ``D``: attributes are known and none matches;
  - ``unknown``: no attribute of any rule is known.

  The best rule is the one with the best grade, then the higher share, then more matched
  attributes, then the rule listed first (accepted first; for cards, the better rank).

Accounts are stored in ``icp.account_scores`` (migration 0010), with the crawl evidence of their
sites: ``icp.icp_evidence`` is the evidence the cards are mined from, and a tenant run's crawl
replaces the tenant's crawl evidence of every company it does not crawl. A re-crawl keeps the last
good evidence, as the tenants' crawl does.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import statistics
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS, site_succeeded
from icp_assets.domain.csv_files import write_csv_atomically
from icp_assets.domain.intake import NoIntakeError, current_response_id, lock_tenant_writes
from icp_assets.domain.matching.matcher import Matcher
from scrapers.hosts import crawlable_website
from scrapers.runner import CrawlResult, CrawlTarget

log = logging.getLogger(__name__)

# --- the accounts file ----------------------------------------------------------------------------

MAX_ACCOUNTS = 5_000  # data rows of one file; a larger list is split by the user
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NAME_CHARS = 200
MAX_WEBSITE_CHARS = 2_048
MAX_PROBLEMS_SHOWN = 20
REQUIRED_COLUMNS = ("name", "website")
OUTPUT_COLUMNS = ("name", "website", "uen", "grade", "best_rule", "matched", "unknown", "evidence_urls")
DEFAULT_RUN_NOW_LIMIT = 10  # accounts `icp score` crawls at once (ICP_RUN_NOW_LIMIT)
DEFAULT_RUN_CRAWL_LIMIT = 100  # accounts one tenant run crawls
REFRESH_AFTER_DAYS = 30  # a crawled account is crawled again by a tenant run after this
GRADES = ("A", "B", "C", "D", "unknown")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).


class AccountsFileError(ValueError):
    """A file that cannot be scored; ``problems`` names each bad line or column."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
        super().__init__("; ".join(shown))
        self.problems = shown


@dataclass(frozen=True)
class AccountInput:
    """One account of the file: ``domain`` when the crawler may fetch its website, else
    ``website_problem`` says why not (the account is still matched by name and graded)."""

    name: str
    website: str
    domain: str | None
    website_problem: str | None

    @property
    def key(self) -> str:
        """What identifies the account within a tenant: its domain, else its name."""
        return self.domain or f"name:{self.name.casefold()}"


def parse_accounts(raw: bytes, allowed_ports: Collection[int]) -> list[AccountInput]:
    """The accounts of a CSV file (columns ``name`` and ``website`` by header, any others
    ignored), in file order, one per account (a domain, or a name without a usable website,
    listed again counts once).

    Refused as a whole (AccountsFileError, one problem per bad line or column): more than
    MAX_FILE_BYTES, not UTF-8, not CSV, a missing column, no account, more than MAX_ACCOUNTS
    rows, an empty or over-long name, a name or website with a control character, a website over
    MAX_WEBSITE_CHARS. A website the crawler may not fetch (not http(s), an IP address, a port
    the egress policy refuses, no public host name, blank) is no reason to refuse the file: that
    account is graded on what ACRA says, and its row says why its site was not crawled.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise AccountsFileError([f"(file): larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise AccountsFileError([f"(file): not UTF-8 ({err.reason} at byte {err.start})"]) from err
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise AccountsFileError(["(file): empty; the first line must name the columns name, website"])
        columns = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            shown = ", ".join(_CONTROL.sub("?", h.strip())[:40] for h in header[:10]) or "(nothing)"
            raise AccountsFileError([f"(header): missing column {', '.join(missing)}; the header reads: {shown}"])
        at = {c: columns.index(c) for c in REQUIRED_COLUMNS}
        problems: list[str] = []
        accounts: dict[str, AccountInput] = {}
        rows = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            rows += 1
            if rows > MAX_ACCOUNTS:
                raise AccountsFileError([f"(file): more than {MAX_ACCOUNTS} accounts; split the list"])
            name, website = (cells[at[c]].strip() if at[c] < len(cells) else "" for c in REQUIRED_COLUMNS)
            line = f"line {reader.line_num}"
            row_problems = _cell_problems(line, name, website)
            if row_problems:
                problems += row_problems
                continue
            account = _account(name, website, allowed_ports)
            accounts.setdefault(account.key, account)
    except csv.Error as err:
        raise AccountsFileError([f"line {reader.line_num}: not valid CSV ({err})"]) from err
    if problems:
        raise AccountsFileError(problems)
    if not accounts:
        raise AccountsFileError(["(file): no accounts under the header"])
    return list(accounts.values())


def _cell_problems(line: str, name: str, website: str) -> list[str]:
    problems = []
    for column, value, limit in (("name", name, MAX_NAME_CHARS), ("website", website, MAX_WEBSITE_CHARS)):
        control = _CONTROL.search(value)
        if control:
            problems.append(f"{line}: {column}: contains a control character (U+{ord(control.group()):04X})")
        elif len(value) > limit:
            problems.append(f"{line}: {column}: {len(value)} characters, at most {limit}")
    if not name:
        problems.append(f"{line}: name: empty")
    return problems


def _account(name: str, website: str, allowed_ports: Collection[int]) -> AccountInput:
    if not website:
        return AccountInput(name, website, None, "no website given")
    try:
        return AccountInput(name, website, crawlable_website(website, allowed_ports), None)
    except ValueError as err:
        return AccountInput(name, website, None, f"website {err}")


# --- storing and matching ---------------------------------------------------------------------------


def submit_accounts(
    conn: psycopg.Connection, tenant_id: str, accounts: list[AccountInput], matcher: Matcher
) -> list[int]:
    """Store the accounts for the tenant with their ACRA match; returns their ids, in order.

    An account the tenant listed before keeps its row, its crawl and its evidence; its name,
    website and match are updated. A new one with a crawlable website is pending a crawl."""
    matches = [matcher.match(a.name, a.domain) for a in accounts]
    ids = []
    with conn.transaction(), conn.cursor() as cur:
        lock_tenant_writes(conn, tenant_id)
        for account, match in zip(accounts, matches, strict=True):
            row = cur.execute(
                "insert into icp.account_scores (tenant_id, account_key, name, website, domain, website_problem,"
                " uen, entity_name, match_status, match_method, match_score, crawl_status)"
                " values (%(t)s, %(key)s, %(name)s, %(website)s, %(domain)s, %(problem)s, %(uen)s, %(entity)s,"
                "  %(status)s, %(method)s, %(score)s, case when %(domain)s::text is null then 'not_crawlable'"
                "  else 'pending' end)"
                " on conflict (tenant_id, account_key) do update set name = excluded.name,"
                " website = excluded.website, website_problem = excluded.website_problem, uen = excluded.uen,"
                " entity_name = excluded.entity_name, match_status = excluded.match_status,"
                " match_method = excluded.match_method, match_score = excluded.match_score,"
                " submitted_at = now() returning account_id",
                {
                    "t": tenant_id,
                    "key": account.key,
                    "name": account.name,
                    "website": account.website or None,
                    "domain": account.domain,
                    "problem": account.website_problem,
                    "uen": match.uen,
                    "entity": match.entity_name,
                    "status": match.status,
                    "method": match.method,
                    "score": min(1.0, max(0.0, match.score)),
                },
            ).fetchone()
            ids.append(row[0])
    log.info(
        "tenant=%s stage=account_scores submitted=%d matched=%d",
        tenant_id,
        len(ids),
        sum(m.status == "matched" for m in matches),
    )
    return ids


# --- crawling -------------------------------------------------------------------------------------


def crawl_targets(
    conn: psycopg.Connection, tenant_id: str, limit: int, account_ids: list[int] | None = None
) -> list[CrawlTarget]:
    """At most ``limit`` accounts to crawl now: those pending (in ``account_ids`` order when
    given, else oldest first), then those last attempted more than REFRESH_AFTER_DAYS ago."""
    if limit <= 0:
        return []
    rows = conn.execute(
        "select account_id, coalesce(website, domain) from icp.account_scores"
        " where tenant_id = %(t)s and (%(ids)s::bigint[] is null or account_id = any(%(ids)s::bigint[]))"
        "   and (crawl_status = 'pending' or (crawl_status in ('crawled', 'failed')"
        "        and crawl_attempted_at < now() - make_interval(days => %(refresh)s)))"
        " order by crawl_status <> 'pending', array_position(%(ids)s::bigint[], account_id),"
        "   crawl_attempted_at nulls first, account_id"
        " limit %(limit)s",
        {"t": tenant_id, "ids": account_ids, "refresh": REFRESH_AFTER_DAYS, "limit": limit},
    ).fetchall()
    return [CrawlTarget(str(account_id), site if "://" in site else f"https://{site}") for account_id, site in rows]


def pending_count(conn: psycopg.Connection, tenant_id: str, account_ids: list[int] | None = None) -> int:
    """Accounts (of ``account_ids``, or all the tenant's) still waiting for their first crawl."""
    return conn.execute(
        "select count(*) from icp.account_scores where tenant_id = %(t)s and crawl_status = 'pending'"
        " and (%(ids)s::bigint[] is null or account_id = any(%(ids)s::bigint[]))",
        {"t": tenant_id, "ids": account_ids},
    ).fetchone()[0]


@dataclass(frozen=True)
class AccountCrawlCounts:
    crawled: int  # sites that fetched a page
    failed: int  # sites that fetched none (their earlier evidence, if any, is kept)
    evidence: int  # evidence rows stored
    evidence_expired: int  # accounts whose kept evidence passed the maximum age


_EVIDENCE_FIELDS = ("signal_key", "value", "url", "page_type", "snippet", "confidence")
_OUTCOME_FIELDS = ("site_url", "pages_fetched", "robots_refused", "http_errors", "timeouts", "refused_by_policy")


def record_account_crawl(
    conn: psycopg.Connection, tenant_id: str, result: CrawlResult, max_age_days: int = DEFAULT_EVIDENCE_MAX_AGE_DAYS
) -> AccountCrawlCounts:
    """Store a crawl of the tenant's accounts (company_key = account id). A site that fetched a
    page replaces the account's evidence; one that failed keeps it, marked stale, until it is older
    than ``max_age_days``."""
    evidence: dict[int, list[dict]] = {}
    for item in result.evidence:
        evidence.setdefault(int(item["company_key"]), []).append({k: item.get(k) for k in _EVIDENCE_FIELDS})
    crawled = failed = stored = 0
    with conn.transaction(), conn.cursor() as cur:
        lock_tenant_writes(conn, tenant_id)
        for outcome in result.outcomes:
            account_id, ok = int(outcome["company_key"]), site_succeeded(outcome)
            summary = {k: outcome.get(k) for k in _OUTCOME_FIELDS} | {"issues": outcome.get("issues") or {}}
            if ok:
                rows = evidence.get(account_id, [])
                cur.execute(
                    "update icp.account_scores set crawl_status = 'crawled', crawl_outcome = %s, evidence = %s,"
                    " crawl_attempted_at = now(), last_success_at = now(), stale = false"
                    " where tenant_id = %s and account_id = %s",
                    (Jsonb(summary), Jsonb(rows), tenant_id, account_id),
                )
                crawled, stored = crawled + 1, stored + len(rows)
            else:
                cur.execute(
                    "update icp.account_scores set crawl_status = 'failed', crawl_outcome = %s,"
                    " crawl_attempted_at = now(), stale = last_success_at is not null"
                    " where tenant_id = %s and account_id = %s",
                    (Jsonb(summary), tenant_id, account_id),
                )
                failed += 1
        expired = cur.execute(
            "update icp.account_scores set evidence = '[]'::jsonb, stale = false"
            " where tenant_id = %s and stale and last_success_at < now() - make_interval(days => %s)",
            (tenant_id, max_age_days),
        ).rowcount
    counts = AccountCrawlCounts(crawled, failed, stored, expired)
    log.info("tenant=%s stage=account_scores crawl %s", tenant_id, counts)
    return counts


# --- what accounts are graded against -------------------------------------------------------------

# Namespace -> (phrase of a required value, noun for "the site names no ..."); SSIC apart.
_PHRASES = {
    "size_band": ("{} staff", "headcount"),
    "integration": ("uses {}", "integration"),
    "technology": ("runs {}", "technology"),
    "buyer_title": ("employs a {}", "buyer title"),
    "industry_served": ("serves {}", "industry served"),
    "entity_age_band": ("incorporated {} ago", None),
}
REGISTRY_NAMESPACES = frozenset({"ssic", "entity_age_band"})
_SSIC_LEVELS = {"ssic5": "", "ssic3": "group ", "ssic2": "division ", "ssic_section": "section "}
_CLUSTER_NAMESPACES = ("integration", "technology", "industry_served", "entity_age_band", "size_band", "buyer_title")


@dataclass(frozen=True)
class Criterion:
    """One attribute of a rule: the account holds it when it holds any of ``values`` (normalised
    keys; SSIC values are 'ssic3:463'-style levels, size bands are ranges)."""

    namespace: str
    values: tuple[str, ...]
    attribute: str  # how the row names it, e.g. "uses NetSuite"
    defining: bool = False


@dataclass(frozen=True)
class Rule:
    name: str  # e.g. "rule 4: Food distribution companies (10-49 staff) on Xero"
    criteria: tuple[Criterion, ...]


def _texts(value: object) -> list[str]:
    """A JSON list of strings, read defensively (anything else: empty)."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _ssic_criterion(cluster: list[str], rule: dict) -> Criterion | None:
    """The SSIC industry: the levels the card was defined by, else its SSIC group, else the
    3-digit groups of its codes (cards are mined mostly at group level). Defining when the
    card's cluster names it, or when there is no cluster to tell."""
    levels = [c for c in cluster if c.split(":", 1)[0] in _SSIC_LEVELS]
    defining = bool(levels) or not cluster
    if not levels:
        group = _texts(rule.get("ssic_group"))
        codes = [c for c in _texts(rule.get("ssic_codes")) if re.fullmatch(r"\d{5}", c)]
        levels = [f"ssic3:{g}" for g in group if re.fullmatch(r"\d{3}", g)] or sorted({f"ssic3:{c[:3]}" for c in codes})
    if not levels:
        return None
    shown = " or ".join(f"{_SSIC_LEVELS[v.split(':', 1)[0]]}{v.split(':', 1)[1]}" for v in levels)
    return Criterion("ssic", tuple(dict.fromkeys(levels)), f"SSIC {shown}", defining)


def rule_criteria(rule: dict, card_cluster: object = None) -> tuple[Criterion, ...]:
    """The attributes of an accepted rule or a card (their JSON, read defensively: unknown keys
    are ignored, a missing key is no attribute). ``card_cluster`` ('namespace:key' ids) stands in
    for the rule's own ``cluster`` when it has none: the card it was accepted from. Defining are
    the cluster's attributes; without a cluster, the SSIC industry and the integrations (what
    cards are mostly mined on). A postal district in a cluster is left out: co-location, not a
    market (the cards' own reading of it)."""
    cluster = _texts(rule.get("cluster")) or _texts(card_cluster)
    in_cluster = {c.casefold() for c in cluster}

    def defining(namespace: str, key: str) -> bool:
        return f"{namespace}:{key}".casefold() in in_cluster if cluster else namespace == "integration"

    criteria: list[Criterion] = []
    ssic = _ssic_criterion(cluster, rule)
    if ssic:
        criteria.append(ssic)
    bands = _texts(rule.get("headcount_band")) or [c.split(":", 1)[1] for c in cluster if c.startswith("size_band:")]
    for band in dict.fromkeys(b for b in bands if _band_range(b)):
        criteria.append(Criterion("size_band", (band,), f"{band} staff", defining("size_band", band)))
    seen: set[str] = set()
    for label in _texts(rule.get("integrations")):
        if label.casefold() not in seen:
            seen.add(label.casefold())
            criteria.append(
                Criterion("integration", (label.casefold(),), f"uses {label}", defining("integration", label))
            )
    titles = list(dict.fromkeys(_texts(rule.get("champion_titles"))))
    if titles:
        keys = tuple(dict.fromkeys(t.casefold() for t in titles))
        is_defining = any(defining("buyer_title", t) for t in titles)
        criteria.append(Criterion("buyer_title", keys, f"employs a {' or '.join(titles)}", is_defining))
    # Defining attributes the lists above do not carry (technology, industry served, company age).
    listed = {(c.namespace, v) for c in criteria for v in c.values}
    for item in cluster:
        namespace, _, key = item.partition(":")
        value = key if namespace == "size_band" else key.casefold()
        if namespace not in _CLUSTER_NAMESPACES or not key or (namespace, value) in listed:
            continue
        if namespace != "size_band" or _band_range(key):
            criteria.append(Criterion(namespace, (value,), _PHRASES[namespace][0].format(key), defining=True))
            listed.add((namespace, value))
    return tuple(criteria)


def grading_basis(conn: psycopg.Connection, tenant_id: str) -> tuple[str | None, list[Rule]]:
    """What the tenant's accounts are graded against: ('rules', its accepted rules, accepted
    first first) or, when it accepted none, ('cards', the cards of its current intake by rank);
    (None, []) when it has neither."""
    rules = conn.execute(
        "select r.rule_id, r.rule, s.card -> 'cluster' from icp.icp_rules r"
        " left join icp.icp_suggestions s on s.tenant_id = r.tenant_id and s.response_id = r.response_id"
        "  and s.suggestion_id = r.suggestion_id"
        " where r.tenant_id = %s order by r.accepted_at, r.rule_id",
        (tenant_id,),
    ).fetchall()
    basis = [
        Rule(f"rule {rule_id}: {_title(rule)}", rule_criteria(rule, cluster))
        for rule_id, rule, cluster in rules
        if isinstance(rule, dict)
    ]
    if basis:
        return "rules", [r for r in basis if r.criteria]
    try:
        response_id = current_response_id(conn, tenant_id)
    except NoIntakeError:
        return None, []
    cards = conn.execute(
        "select rank, card from icp.icp_suggestions where tenant_id = %s and response_id = %s order by rank",
        (tenant_id, response_id),
    ).fetchall()
    basis = [
        Rule(f"card {rank}: {_title(card)}", rule_criteria(card)) for rank, card in cards if isinstance(card, dict)
    ]
    basis = [r for r in basis if r.criteria]
    return ("cards", basis) if basis else (None, [])


def _title(rule: dict) -> str:
    title = rule.get("title")
    return title.strip()[:200] if isinstance(title, str) and title.strip() else "(untitled)"


# --- what is known about an account ---------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One thing learned about an account: ``value`` as rules name it, ``source`` the crawled
    URL or ACRA field (acra:<UEN>/<column>) it comes from."""

    value: str
    shown: str
    source: str
    number: float | None = None  # the headcount behind a size band


@dataclass
class AccountFacts:
    """What is known about one account, by namespace; a namespace missing from ``known`` is
    unknown, and ``unknown_reason`` says why."""

    account_id: int
    known: dict[str, list[Fact]] = field(default_factory=dict)
    registry_reason: str | None = None  # why ACRA tells nothing (None: matched)
    crawl_reason: str | None = None  # why the site tells nothing (None: crawl evidence is held)

    def unknown_reason(self, namespace: str) -> str:
        if namespace in REGISTRY_NAMESPACES:
            return self.registry_reason or "ACRA does not record it"
        if self.crawl_reason:
            return self.crawl_reason
        noun = _PHRASES[namespace][1]
        return f"the site names no {noun}"


def _band_range(band: str) -> tuple[float, float] | None:
    """'10-49' -> (10, 49); '250+' -> (250, inf); en dashes and spaces allowed; None if unreadable."""
    text = band.replace("\u2013", "-").replace("\u2014", "-").replace(" ", "")
    if m := re.fullmatch(r"(\d+)-(\d+)", text):
        return float(m[1]), float(m[2])
    if m := re.fullmatch(r"(\d+)\+", text):
        return float(m[1]), float("inf")
    return None


def size_band(headcount: float) -> str:
    """The size bands of the cards (dbt macro size_band): 1-9, 10-49, 50-249, 250+."""
    return "1-9" if headcount < 10 else "10-49" if headcount < 50 else "50-249" if headcount < 250 else "250+"


def age_band(incorporated: date, today: date) -> str:
    """Years since incorporation, the bands of the cards (dbt macro age_band)."""
    years = today.year - incorporated.year
    return "0-2y" if years < 3 else "3-9y" if years < 10 else "10-19y" if years < 20 else "20y+"


def _headcount(value: dict) -> float | None:
    def number(v: object) -> float | None:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    low, high = number(value.get("min")), number(value.get("max"))
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high


def crawl_failure(outcome: dict) -> str:
    """Why a crawl fetched no page, in words, from its outcome."""
    issues = outcome.get("issues") or {}
    statuses = sorted(k.removeprefix("http_") for k in issues if k.startswith("http_"))
    if outcome.get("robots_refused"):
        return "robots.txt disallows crawling it"
    if statuses:
        return f"it answered HTTP {', '.join(statuses)}"
    if outcome.get("refused_by_policy"):
        return "the egress policy refused it"
    if outcome.get("timeouts"):
        return "it timed out"
    return "no page could be fetched"


def account_facts(row: dict, today: date) -> AccountFacts:
    """The facts of one stored account (a row of icp.account_scores joined with its ACRA entity:
    its primary SSIC code, the one the cards are mined from, with its section; its incorporation
    date)."""
    facts = AccountFacts(row["account_id"])
    uen = row["uen"]
    if row["match_status"] != "matched" or not uen:
        facts.registry_reason = (
            "its ACRA match is ambiguous" if row["match_status"] == "ambiguous" else "it is not found in ACRA"
        )
    elif row.get("entity_uen") is None:
        facts.registry_reason = "its UEN is no longer in the loaded ACRA registry"
    else:
        code, source = row["primary_ssic_code"], f"acra:{uen}/primary_ssic_code"
        if code:
            ssic = [Fact(f"ssic5:{code}", code, source), Fact(f"ssic3:{code[:3]}", code, source)]
            ssic.append(Fact(f"ssic2:{code[:2]}", code, source))
            if row["ssic_section"]:
                ssic.append(Fact(f"ssic_section:{row['ssic_section']}", code, source))
            facts.known["ssic"] = ssic
        if row["incorporated_on"]:
            band = age_band(row["incorporated_on"], today)
            facts.known["entity_age_band"] = [
                Fact(
                    band,
                    f"incorporated {row['incorporated_on'].isoformat()}",
                    f"acra:{uen}/registration_incorporation_date",
                )
            ]
    evidence = row["evidence"] or []
    if not evidence and row["crawl_status"] != "crawled":
        facts.crawl_reason = _crawl_reason(row)
    headcounts: list[tuple[float, str]] = []
    for item in evidence:
        value, key = item.get("value") or {}, item.get("signal_key")
        label = value.get("label") if isinstance(value, dict) else None
        url = item.get("url") or row["website"] or row["domain"]
        if key in ("integration", "technology", "buyer_title", "industry_served") and isinstance(label, str):
            facts.known.setdefault(key, []).append(Fact(label.casefold(), label, url))
        elif key == "headcount" and isinstance(value, dict) and (n := _headcount(value)) is not None:
            headcounts.append((n, url))
    if headcounts:
        median = statistics.median(n for n, _ in headcounts)
        n, url = min(headcounts, key=lambda h: abs(h[0] - median))
        facts.known["size_band"] = [Fact(size_band(median), f"{median:g} staff", url, median)]
    return facts


def _crawl_reason(row: dict) -> str:
    """Why an account without crawl evidence has none: its site was not crawled, or failed."""
    if row["crawl_status"] == "not_crawlable":
        return f"{row['website_problem'] or 'no website'}, so its site was not crawled"
    if row["crawl_status"] == "pending":
        return "its site is not crawled yet (queued for the tenant's next run)"
    return f"its site could not be crawled: {crawl_failure(row['crawl_outcome'] or {})}"


# --- grading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grading:
    grade: str
    best_rule: str | None
    matched: list[dict]  # {attribute, value, source}
    missed: list[dict]  # {attribute, value, source}
    unknown: list[dict]  # {attribute, reason}

    @property
    def evidence_urls(self) -> list[str]:
        """The sources of every known attribute (matched first), each once."""
        return list(dict.fromkeys(item["source"] for item in [*self.matched, *self.missed]))

    @property
    def share(self) -> float:
        known = len(self.matched) + len(self.missed)
        return len(self.matched) / known if known else 0.0


def _holds(criterion: Criterion, facts: list[Fact]) -> Fact | None:
    """The fact by which the account holds the criterion, or None."""
    if criterion.namespace == "size_band":
        ranges = [r for r in map(_band_range, criterion.values) if r]
        return next((f for f in facts if f.number is not None and any(lo <= f.number <= hi for lo, hi in ranges)), None)
    wanted = set(criterion.values)
    return next((f for f in facts if f.value in wanted), None)


def fit(rule: Rule, facts: AccountFacts) -> Grading:
    """How the account fits one rule: each attribute matched, missed or unknown, and the grade."""
    matched, missed, unknown = [], [], []
    defining: Counter[str] = Counter()
    for criterion in rule.criteria:
        known = facts.known.get(criterion.namespace)
        holding = _holds(criterion, known) if known else None
        if not known:
            unknown.append({"attribute": criterion.attribute, "reason": facts.unknown_reason(criterion.namespace)})
            verdict = "unknown"
        elif holding:
            matched.append({"attribute": criterion.attribute, "value": holding.shown, "source": holding.source})
            verdict = "matched"
        else:
            missed.append({"attribute": criterion.attribute, "value": known[0].shown, "source": known[0].source})
            verdict = "missed"
        if criterion.defining:
            defining[verdict] += 1
    grade = grade_fit(
        len(matched),
        len(missed),
        len(rule.criteria),
        in_segment=defining.total() == defining["matched"] > 0,
        defining_missed=defining["missed"] > 0,
    )
    return Grading(grade, rule.name, matched, missed, unknown)


def grade_fit(matched: int, missed: int, attributes: int, *, in_segment: bool, defining_missed: bool) -> str:
    """The grade of one rule's fit: ``in_segment`` when every defining attribute is matched,
    ``defining_missed`` when one is contradicted (see the module docstring)."""
    known = matched + missed
    if known == 0:
        return "unknown"
    share = matched / known
    if in_segment and share >= 0.75 and known >= min(3, attributes):
        return "A"
    if in_segment or (share >= 0.5 and known >= min(2, attributes) and not defining_missed):
        return "B"
    return "C" if matched else "D"


NO_BASIS = "no accepted rule and no current card to grade against"


def grade_account(facts: AccountFacts, rules: list[Rule]) -> Grading:
    """The account's grade by the rule it fits best; ``unknown`` (with the first rule's attributes
    and why each is unknown) when no attribute of any rule is known."""
    if not rules:
        return Grading("unknown", None, [], [], [{"attribute": "every attribute", "reason": NO_BASIS}])
    fits = [fit(rule, facts) for rule in rules]
    graded = [(GRADES.index(f.grade), -f.share, -len(f.matched), i) for i, f in enumerate(fits)]
    best = fits[min(graded)[-1]]
    if best.grade == "unknown":
        return Grading("unknown", None, [], [], fits[0].unknown)
    return best


@dataclass(frozen=True)
class GradeCounts:
    graded_against: str | None
    rules: int
    by_grade: dict[str, int]

    @property
    def accounts(self) -> int:
        return sum(self.by_grade.values())


_ACCOUNTS_SQL = """
select a.account_id, a.uen, a.match_status, a.website, a.domain, a.website_problem, a.crawl_status,
       a.crawl_outcome, a.evidence, e.uen as entity_uen, e.primary_ssic_code,
       e.registration_incorporation_date as incorporated_on, coalesce(p.section, pd.section) as ssic_section
from icp.account_scores a
left join registry.acra_entities e on e.uen = a.uen and a.match_status = 'matched'
left join registry.ssic_codes p on p.code = e.primary_ssic_code
left join registry.ssic_codes pd on pd.code = left(e.primary_ssic_code, 2)
where a.tenant_id = %(t)s and (%(ids)s::bigint[] is null or a.account_id = any(%(ids)s::bigint[]))
order by a.account_id
"""


def grade_accounts(conn: psycopg.Connection, tenant_id: str, account_ids: list[int] | None = None) -> GradeCounts:
    """Grade the tenant's accounts (those of ``account_ids``, or all) against its grading basis
    and store the grades; returns how many got each grade."""
    graded_against, rules = grading_basis(conn, tenant_id)
    today = date.today()
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_ACCOUNTS_SQL, {"t": tenant_id, "ids": account_ids}).fetchall()
    gradings = [(row["account_id"], grade_account(account_facts(row, today), rules)) for row in rows]
    with conn.transaction(), conn.cursor() as cur:
        lock_tenant_writes(conn, tenant_id)
        cur.executemany(
            "update icp.account_scores set grade = %s, best_rule = %s, graded_against = %s, matched = %s,"
            " missed = %s, unknown = %s, evidence_urls = %s, graded_at = now()"
            " where tenant_id = %s and account_id = %s",
            [
                (
                    g.grade,
                    g.best_rule,
                    graded_against,
                    Jsonb(g.matched),
                    Jsonb(g.missed),
                    Jsonb(g.unknown),
                    g.evidence_urls,
                    tenant_id,
                    account_id,
                )
                for account_id, g in gradings
            ],
        )
    counts = GradeCounts(graded_against, len(rules), {g: 0 for g in GRADES} | Counter(g.grade for _, g in gradings))
    log.info("tenant=%s stage=account_scores graded=%d %s", tenant_id, counts.accounts, counts.by_grade)
    return counts


# --- the scored file --------------------------------------------------------------------------------


def scored_rows(conn: psycopg.Connection, tenant_id: str, account_ids: list[int]) -> list[dict[str, str]]:
    """One output row per id (in the order given, repeats included), as OUTPUT_COLUMNS."""
    with conn.cursor(row_factory=dict_row) as cur:
        stored = {
            r["account_id"]: r
            for r in cur.execute(
                "select account_id, name, website, uen, match_status, grade, best_rule, matched, unknown,"
                " evidence_urls from icp.account_scores where tenant_id = %s and account_id = any(%s)",
                (tenant_id, account_ids),
            )
        }
    return [_output_row(stored[i]) for i in account_ids]


def _output_row(row: dict) -> dict[str, str]:
    return {
        "name": row["name"],
        "website": row["website"] or "",
        "uen": (row["uen"] or "") if row["match_status"] == "matched" else "",
        "grade": row["grade"] or "unknown",
        "best_rule": row["best_rule"] or "",
        "matched": "; ".join(f"{m['attribute']} = {m['value']} ({m['source']})" for m in row["matched"]),
        "unknown": "; ".join(f"{u['attribute']}: {u['reason']}" for u in row["unknown"]),
        "evidence_urls": " ".join(row["evidence_urls"]),
    }


def write_scores_csv(rows: Iterable[dict[str, str]], path: Path) -> None:
    """Write the scored rows (OUTPUT_COLUMNS), whole or not at all, every cell spreadsheet-safe."""
    write_csv_atomically(path, OUTPUT_COLUMNS, ([row[c] for c in OUTPUT_COLUMNS] for row in rows))

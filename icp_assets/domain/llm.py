"""Optional LLM extraction over crawled text: a strict schema, a content-hash cache, evidence rows.

The model reads what the crawl kept of a company's site (page titles and evidence snippets,
already scrubbed of personal data) and answers in JSON. Every answer is validated against
:class:`CompanyProfile`; an answer that does not validate is dropped and counted, never stored.
Its labels then go through the crawl's personal-data scrub (scrapers.pii: email addresses, phone
numbers; buyer titles end at the role, without a person's name) before anything is cached or
stored; a label the scrub empties is dropped and counted.

Faults stay with the company they hit: a call that fails for good (HTTP 500, 429 after the
client's retries, a timeout, a connection error) or an answer that is not JSON or breaks the
schema leaves that company with its last good answer (or only its deterministic crawl and registry
evidence when it never had one), caches nothing, and is counted by kind; the stage goes on. Each
company's outcome is kept in icp.llm_outcomes (last success, stale, the latest failure). After
MAX_CONSECUTIVE_CALL_FAILURES failed calls in a row the model is not asked again in this run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS
from icp_assets.domain.intake import current_response_id, lock_tenant_writes
from scrapers.extractors.titles import end_at_role
from scrapers.pii import scrub_text

log = logging.getLogger(__name__)

PROMPT_VERSION = "company-profile-v1"
MAX_INPUT_CHARS = 8000
LLM_CONFIDENCE = 0.6
MAX_CONSECUTIVE_CALL_FAILURES = 3  # then the remaining companies are not asked ("not_asked")

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]

SYSTEM_PROMPT = (
    "You read text taken from one company's website and describe the company as JSON with exactly "
    'these keys: "industries_served" (list of short lowercase phrases), "buyer_titles" (job titles '
    'of people who buy from or work with the company, title case), "integrations" (software '
    'products the company integrates with or uses, canonical product names), "business_model" '
    '("b2b", "b2c", "mixed" or "unknown"). Use only what the text supports; empty lists are fine.'
)


class CompanyProfile(BaseModel):
    """What an LLM answer must look like to be used."""

    model_config = ConfigDict(extra="forbid")

    industries_served: list[Label] = Field(default_factory=list, max_length=10)
    buyer_titles: list[Label] = Field(default_factory=list, max_length=10)
    integrations: list[Label] = Field(default_factory=list, max_length=20)
    business_model: Literal["b2b", "b2c", "mixed", "unknown"] = "unknown"


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


Complete = Callable[[str, str], Completion]


class LlmCallError(RuntimeError):
    """A model call that failed for good (after the client's own retries); ``kind`` names the
    fault for the stage's metadata: http_500, http_429, timeout, connection_error, ..."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


def failure_kind(err: Exception) -> str:
    """The name a failed call is counted under."""
    if isinstance(err, LlmCallError):
        return err.kind
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, ConnectionError):
        return "connection_error"
    status = getattr(err, "status_code", None)
    return f"http_{status}" if isinstance(status, int) else "error"


@dataclass(frozen=True)
class LlmCounts:
    companies: int
    calls: int
    cache_hits: int
    invalid_answers: int  # answers that were not JSON or broke the schema
    evidence_rows: int  # rows stored by this run (fresh or cached answers)
    tokens_saved: int
    labels_dropped: int = 0  # labels with nothing left after the personal-data scrub
    failures: dict[str, int] = field(default_factory=dict)  # failed companies by kind, e.g. {"http_500": 1}
    stale_companies: int = 0  # failed companies keeping the rows of an earlier answer
    evidence_expired: int = 0  # kept rows older than the maximum evidence age, deleted


def scrub_profile(profile: CompanyProfile) -> tuple[CompanyProfile, int]:
    """The profile with every label scrubbed of personal data (buyer titles also ended at their
    role); labels left shorter than two characters are dropped. Returns it and how many went."""
    dropped = 0

    def clean(labels: list[str], title: bool = False) -> list[str]:
        nonlocal dropped
        kept = []
        for label in labels:
            scrubbed = scrub_text(label)
            scrubbed = end_at_role(scrubbed) if title else scrubbed
            if len(scrubbed.strip()) >= 2:
                kept.append(scrubbed.strip()[:80])
            else:
                dropped += 1
        return list(dict.fromkeys(kept))

    scrubbed = profile.model_copy(
        update={
            "industries_served": clean(profile.industries_served),
            "buyer_titles": clean(profile.buyer_titles, title=True),
            "integrations": clean(profile.integrations),
        }
    )
    return scrubbed, dropped


def cache_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{PROMPT_VERSION}\n{model}\n{text}".encode()).hexdigest()


def company_texts(conn: psycopg.Connection, tenant_id: str, response_id: int | None = None) -> dict[int, str]:
    """Per crawled company of the intake (default: the current one): its page titles and evidence snippets."""
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    rows = conn.execute(
        """
        with companies as (
            select company_id from icp.customer_seeds where response_id = %(r)s and company_id is not null
            union
            select c.company_id from icp.companies c
            join icp.icp_intake_responses i on i.website_domain = c.domain where i.response_id = %(r)s
        )
        select company_id, string_agg(line, E'\n' order by line) from (
            select distinct p.company_id, 'Page: ' || p.title as line
            from icp.crawl_pages p join companies using (company_id) where p.title is not null
            union
            select distinct e.company_id, e.snippet
            from icp.icp_evidence e join companies using (company_id)
            where e.tenant_id = %(t)s and e.source = 'crawl' and e.snippet is not null
        ) lines group by company_id order by company_id
        """,
        {"r": response_id, "t": tenant_id},
    ).fetchall()
    return {company_id: text[:MAX_INPUT_CHARS] for company_id, text in rows}


def profile_evidence(profile: CompanyProfile) -> list[tuple[str, dict]]:
    """(signal_key, value) rows for the evidence table."""
    rows = [("industry_served", {"label": label.lower()}) for label in profile.industries_served]
    rows += [("buyer_title", {"label": label}) for label in profile.buyer_titles]
    rows += [("integration", {"label": label}) for label in profile.integrations]
    if profile.business_model != "unknown":
        rows.append(("business_model", {"label": profile.business_model}))
    return rows


def _cached_profile(conn: psycopg.Connection, key: str) -> tuple[CompanyProfile, int] | None:
    row = conn.execute(
        "select answer, prompt_tokens + completion_tokens from icp.llm_cache where cache_key = %s", (key,)
    ).fetchone()
    return (CompanyProfile.model_validate(row[0]), row[1]) if row else None


def extract_tenant_evidence(
    conn: psycopg.Connection,
    tenant_id: str,
    complete: Complete,
    model: str,
    max_age_days: int = DEFAULT_EVIDENCE_MAX_AGE_DAYS,
    response_id: int | None = None,
) -> LlmCounts:
    """Ask the model about each crawled company (or reuse its cached answer) and replace the
    tenant's LLM evidence of every company answered; a company whose call or answer failed keeps
    its earlier rows, marked stale in icp.llm_outcomes. Rows past ``max_age_days`` are deleted."""
    texts = company_texts(conn, tenant_id, response_id)
    calls = hits = invalid = saved = dropped = 0
    failed: dict[int, str] = {}  # company -> failure kind
    in_a_row = 0
    evidence: list[tuple[int, str, dict]] = []
    for company_id, text in texts.items():
        key = cache_key(model, text)
        cached = _cached_profile(conn, key)
        if cached:
            profile, tokens = cached
            hits += 1
            saved += tokens
            profile, gone = scrub_profile(profile)  # an answer cached before the scrub is scrubbed on its way out
            dropped += gone
        else:
            if in_a_row >= MAX_CONSECUTIVE_CALL_FAILURES:
                failed[company_id] = "not_asked"
                continue
            calls += 1
            answer = _ask(complete, text, tenant_id, company_id)
            if isinstance(answer, str):
                failed[company_id] = answer
                if answer in ("invalid_json", "schema_error"):
                    invalid += 1
                    in_a_row = 0  # the model answers; only this answer was bad
                else:
                    in_a_row += 1
                continue
            in_a_row = 0
            completion, profile = answer
            profile, gone = scrub_profile(profile)  # only the scrubbed answer is cached
            dropped += gone
            with conn.transaction():
                conn.execute(
                    "insert into icp.llm_cache (cache_key, prompt_version, model, answer, prompt_tokens,"
                    " completion_tokens) values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
                    (
                        key,
                        PROMPT_VERSION,
                        model,
                        Jsonb(profile.model_dump()),
                        completion.prompt_tokens,
                        completion.completion_tokens,
                    ),
                )
        evidence += [(company_id, signal, value) for signal, value in profile_evidence(profile)]
    answered = sorted(set(texts) - set(failed))
    with conn.transaction(), conn.cursor() as cur:
        lock_tenant_writes(conn, tenant_id)
        cur.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'llm' and not (company_id = any(%s))",
            (tenant_id, sorted(failed)),
        )
        cur.executemany(
            "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, confidence)"
            " values (%s, %s, %s, %s, 'llm', %s)",
            [(tenant_id, company_id, signal, Jsonb(value), LLM_CONFIDENCE) for company_id, signal, value in evidence],
        )
        expired = cur.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'llm'"
            " and observed_at < now() - make_interval(days => %s)",
            (tenant_id, max_age_days),
        ).rowcount
        stale = _record_outcomes(cur, tenant_id, sorted(texts), answered, failed)
    counts = LlmCounts(
        len(texts), calls, hits, invalid, len(evidence), saved, dropped, dict(Counter(failed.values())), stale, expired
    )
    log.info("tenant=%s stage=llm_evidence %s", tenant_id, counts)
    return counts


def _ask(complete: Complete, text: str, tenant_id: str, company_id: int) -> tuple[Completion, CompanyProfile] | str:
    """The model's valid answer about one company, or the kind of fault that kept it from one."""
    try:
        completion = complete(SYSTEM_PROMPT, text)
    except Exception as err:  # one company's fault never fails the stage
        kind = failure_kind(err)
        log.warning("tenant=%s stage=llm_evidence company=%s call failed (%s): %s", tenant_id, company_id, kind, err)
        return kind
    try:
        raw = json.loads(completion.text)
    except (json.JSONDecodeError, TypeError) as err:
        log.warning("tenant=%s stage=llm_evidence company=%s answer is not JSON: %s", tenant_id, company_id, err)
        return "invalid_json"
    try:
        return completion, CompanyProfile.model_validate(raw)
    except ValidationError as err:
        log.warning("tenant=%s stage=llm_evidence company=%s answer breaks the schema: %s", tenant_id, company_id, err)
        return "schema_error"


def _record_outcomes(
    cur: psycopg.Cursor, tenant_id: str, companies: list[int], answered: list[int], failed: dict[int, str]
) -> int:
    """icp.llm_outcomes for this run; returns how many failed companies keep an earlier answer."""
    cur.execute(
        "delete from icp.llm_outcomes where tenant_id = %s and not (company_id = any(%s))", (tenant_id, companies)
    )
    cur.executemany(
        "insert into icp.llm_outcomes as o (tenant_id, company_id, last_success_at, stale, failure)"
        " values (%s, %s, now(), false, null) on conflict (tenant_id, company_id) do update set"
        " attempted_at = now(), last_success_at = now(), stale = false, failure = null",
        [(tenant_id, company_id) for company_id in answered],
    )
    cur.executemany(
        "insert into icp.llm_outcomes as o (tenant_id, company_id, failure) values (%s, %s, %s)"
        " on conflict (tenant_id, company_id) do update set attempted_at = now(), failure = excluded.failure",
        [(tenant_id, company_id, kind) for company_id, kind in failed.items()],
    )
    # Stale: a failed company still holding rows of an earlier answer (rows stored before
    # outcomes were kept date the answer; rows past the maximum age are gone, so not stale).
    cur.execute(
        "update icp.llm_outcomes o set stale = kept.since is not null,"
        " last_success_at = coalesce(o.last_success_at, kept.since)"
        " from (select c.company_id, (select min(e.observed_at) from icp.icp_evidence e"
        "   where e.tenant_id = %(t)s and e.company_id = c.company_id and e.source = 'llm') as since"
        "   from unnest(%(failed)s::bigint[]) as c (company_id)) as kept"
        " where o.tenant_id = %(t)s and o.company_id = kept.company_id",
        {"t": tenant_id, "failed": sorted(failed)},
    )
    return cur.execute("select count(*) from icp.llm_outcomes where tenant_id = %s and stale", (tenant_id,)).fetchone()[
        0
    ]


def clear_tenant_evidence(conn: psycopg.Connection, tenant_id: str) -> int:
    """With the LLM off, the tenant's evidence holds no LLM rows from an earlier configuration."""
    with conn.transaction():
        lock_tenant_writes(conn, tenant_id)
        conn.execute("delete from icp.llm_outcomes where tenant_id = %s", (tenant_id,))
        return conn.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'llm'", (tenant_id,)
        ).rowcount

"""Optional LLM extraction over crawled text: a strict schema, a content-hash cache, evidence rows.

The model reads what the crawl kept of a company's site (page titles and evidence snippets,
already scrubbed of personal data) and answers in JSON. Every answer is validated against
:class:`CompanyProfile`; an answer that does not validate is dropped and counted, never stored.
Its labels then go through the crawl's personal-data scrub (scrapers.pii: email addresses, phone
numbers; buyer titles end at the role, without a person's name) before anything is cached or
stored; a label the scrub empties is dropped and counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from icp_assets.domain.intake import current_response_id
from scrapers.extractors.titles import end_at_role
from scrapers.pii import scrub_text

log = logging.getLogger(__name__)

PROMPT_VERSION = "company-profile-v1"
MAX_INPUT_CHARS = 8000
LLM_CONFIDENCE = 0.6

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


@dataclass(frozen=True)
class LlmCounts:
    companies: int
    calls: int
    cache_hits: int
    invalid_answers: int
    evidence_rows: int
    tokens_saved: int
    labels_dropped: int = 0  # labels with nothing left after the personal-data scrub


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


def company_texts(conn: psycopg.Connection, tenant_id: str) -> dict[int, str]:
    """Per crawled company of the tenant's current intake: its page titles and evidence snippets."""
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


def extract_tenant_evidence(conn: psycopg.Connection, tenant_id: str, complete: Complete, model: str) -> LlmCounts:
    """Ask the model about each crawled company (or reuse its cached answer); replace the tenant's LLM evidence."""
    texts = company_texts(conn, tenant_id)
    calls = hits = invalid = saved = dropped = 0
    evidence: list[tuple[int, str, dict]] = []
    for company_id, text in texts.items():
        key = cache_key(model, text)
        cached = _cached_profile(conn, key)
        if cached:
            profile, tokens = cached
            hits += 1
            saved += tokens
        else:
            calls += 1
            completion = complete(SYSTEM_PROMPT, text)
            try:
                profile = CompanyProfile.model_validate(json.loads(completion.text))
            except (json.JSONDecodeError, ValidationError) as err:
                invalid += 1
                log.warning("tenant=%s stage=llm_evidence company=%s invalid answer: %s", tenant_id, company_id, err)
                continue
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
        if cached:  # an answer cached before the scrub is scrubbed on its way out
            profile, gone = scrub_profile(profile)
            dropped += gone
        evidence += [(company_id, signal, value) for signal, value in profile_evidence(profile)]
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from icp.icp_evidence where tenant_id = %s and source = 'llm'", (tenant_id,))
        cur.executemany(
            "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, confidence)"
            " values (%s, %s, %s, %s, 'llm', %s)",
            [(tenant_id, company_id, signal, Jsonb(value), LLM_CONFIDENCE) for company_id, signal, value in evidence],
        )
    counts = LlmCounts(len(texts), calls, hits, invalid, len(evidence), saved, dropped)
    log.info("tenant=%s stage=llm_evidence %s", tenant_id, counts)
    return counts


def clear_tenant_evidence(conn: psycopg.Connection, tenant_id: str) -> int:
    """With the LLM off, the tenant's evidence holds no LLM rows from an earlier configuration."""
    with conn.transaction():
        return conn.execute(
            "delete from icp.icp_evidence where tenant_id = %s and source = 'llm'", (tenant_id,)
        ).rowcount

"""The seed-matching stage: the current seeds matched to ACRA entities, plus their registry evidence.

A seed the tenant confirmed (``confirmations``) takes the confirmed entity, or stays unmatched when
confirmed to be in none, whatever the matcher says. The tenant's matches and registry evidence are
replaced in one transaction, so a re-run replaces rather than duplicates and a failure leaves the
previous state intact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id, lock_tenant_writes
from icp_assets.domain.matching.confirmations import CONFIRMED, applying_to, tenant_confirmations
from icp_assets.domain.matching.matcher import Matcher, MatchResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AmbiguousSeed:
    """A seed the matcher could not decide between close candidates, and nobody has confirmed."""

    name: str
    candidates: tuple[dict, ...]


@dataclass(frozen=True)
class MatchCounts:
    seeds: int
    matched: int
    ambiguous: int
    unmatched: int
    registry_evidence: int
    confirmed: int = 0  # seeds decided by a confirmation (included in matched or unmatched)
    not_in_registry: int = 0  # unmatched seeds confirmed to be in no registry entity
    ambiguous_seeds: tuple[AmbiguousSeed, ...] = ()

    @property
    def match_rate(self) -> float:
        """Matched share of the seeds that can be matched: a seed confirmed to be in no registry
        entity is no miss of the matcher."""
        matchable = self.seeds - self.not_in_registry
        return self.matched / matchable if matchable else 0.0


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


def match_seeds(
    conn: psycopg.Connection, tenant_id: str, matcher: Matcher, response_id: int | None = None
) -> MatchCounts:
    """Match the intake's seeds (default: the current intake's) to ACRA entities and replace the
    tenant's registry evidence."""
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    seeds = conn.execute(
        "select seed_id, name, domain from icp.customer_seeds where response_id = %s order by seed_id",
        (response_id,),
    ).fetchall()
    confirmations = tenant_confirmations(conn, tenant_id)
    results: list[tuple[int, str, MatchResult]] = []
    for seed_id, name, domain in seeds:
        found = matcher.match(name, domain)
        confirmation = applying_to(name, domain, confirmations)
        results.append((seed_id, name, confirmation.as_match(found) if confirmation else found))
    with conn.transaction():
        lock_tenant_writes(conn, tenant_id)
        conn.execute("delete from icp.seed_matches where tenant_id = %s", (tenant_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "insert into icp.seed_matches (seed_id, tenant_id, uen, entity_name, score, method, status, candidates)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (seed_id, tenant_id, r.uen, r.entity_name, r.score, r.method, r.status, Jsonb(r.candidates))
                    for seed_id, _, r in results
                ],
            )
        conn.execute("delete from icp.icp_evidence where tenant_id = %s and source = 'registry'", (tenant_id,))
        evidence = conn.execute(_REGISTRY_EVIDENCE_SQL, {"tenant": tenant_id, "response": response_id}).rowcount
    statuses = [r.status for _, _, r in results]
    confirmed = [r for _, _, r in results if r.method == CONFIRMED]
    counts = MatchCounts(
        seeds=len(results),
        matched=statuses.count("matched"),
        ambiguous=statuses.count("ambiguous"),
        unmatched=statuses.count("unmatched"),
        registry_evidence=evidence,
        confirmed=len(confirmed),
        not_in_registry=sum(r.status == "unmatched" for r in confirmed),
        ambiguous_seeds=tuple(
            AmbiguousSeed(name, tuple(r.candidates)) for _, name, r in results if r.status == "ambiguous"
        ),
    )
    log.info(
        "tenant=%s stage=seed_matches seeds=%d matched=%d ambiguous=%d unmatched=%d confirmed=%d"
        " not_in_registry=%d registry_evidence=%d",
        tenant_id,
        counts.seeds,
        counts.matched,
        counts.ambiguous,
        counts.unmatched,
        counts.confirmed,
        counts.not_in_registry,
        counts.registry_evidence,
    )
    return counts

"""Tenant assets (one dynamic partition per tenant): seeds, matches, crawl and LLM evidence, cards.

The dbt models between the evidence and the cards live in ``icp_assets.defs.dbt``.
"""

import tempfile
import time
from pathlib import Path

import dagster as dg

from icp_assets.defs.partitions import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    RESPONSE_ID_TAG,
    TENANT_GROUP,
    TENANT_MODELS_GROUP,
    tenant_partitions,
)
from icp_assets.defs.registry import match_index, ssic_codes
from icp_assets.domain import builds, crawl, llm
from icp_assets.domain.cards.compare import APPEARED, CHANGED, DISAPPEARED, compare_with_previous
from icp_assets.domain.cards.publish import publish_cards
from icp_assets.domain.cards.render import cards_markdown, comparison_markdown
from icp_assets.domain.intake import current_response_id, current_response_ids
from icp_assets.domain.matching.confirmations import resolution_script
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.matching.matcher import Matcher
from icp_assets.domain.matching.seed_matches import AmbiguousSeed, MatchCounts, match_seeds
from icp_assets.domain.seeds import link_seeds_to_companies
from icp_assets.platform.paths import match_index_dir
from icp_assets.platform.recrawl import recrawl_days
from resources.crawler import CrawlerResource
from resources.llm import LlmResource
from resources.postgres import PostgresResource

MATCH_RATE_SLA = 0.8
MAPPING_SECONDS_SLA = 300


def is_fleet_run(context: dg.AssetExecutionContext) -> bool:
    """A run over a range of tenants (the nightly refresh, `icp run --all`), not one tenant's run."""
    return context.has_partition_key_range


def intake_of_run(context: dg.AssetExecutionContext, conn) -> int | None:
    """The intake a one-tenant run works on: the one it was started for (its run tag), else the
    tenant's current one. None when a newer intake has superseded it: that intake's own run does
    the work, so stages never mix two intakes."""
    current = current_response_id(conn, context.partition_key)
    pinned = context.run.tags.get(RESPONSE_ID_TAG)
    if pinned is None or int(pinned) == current:
        return current
    context.log.info(f"tenant={context.partition_key} intake {pinned} superseded by {current}: nothing to do")
    return None


def intakes_of_run(context: dg.AssetExecutionContext, conn) -> dict[str, int]:
    """tenant id -> the intake this run works on for it. A fleet run works on every tenant's
    current intake (tenants without one are left out); a one-tenant run as intake_of_run says."""
    if is_fleet_run(context):
        return current_response_ids(conn, context.partition_keys)
    response_id = intake_of_run(context, conn)
    return {} if response_id is None else {context.partition_key: response_id}


def each_tenant(
    context: dg.AssetExecutionContext, postgres: PostgresResource, intakes: dict[str, int], work
) -> tuple[dict, dict[str, str]]:
    """``work(conn, tenant_id, response_id)`` for each tenant, each in a transaction of its own:
    (tenant -> its result, tenant -> error).

    In a fleet run one tenant's failure is logged and recorded, and the others go on (its data
    stays as the last good run left it); a one-tenant run fails as the error says.
    """
    results: dict = {}
    failures: dict[str, str] = {}
    for tenant_id, response_id in sorted(intakes.items()):
        try:
            with postgres.connection() as conn:
                results[tenant_id] = work(conn, tenant_id, response_id)
        except Exception as err:  # noqa: BLE001 (one tenant's failure must not stop the fleet)
            if not is_fleet_run(context):
                raise
            context.log.error(f"tenant={tenant_id} failed, the other tenants go on: {err}")  # the step names the stage
            failures[tenant_id] = str(err)[:500]
    return results, failures


def fleet_metadata(context: dg.AssetExecutionContext, intakes: dict[str, int], failures: dict[str, str]) -> dict:
    """What a fleet run adds to a stage's metadata: how many tenants, which failed and why."""
    if not is_fleet_run(context):
        return {}
    return {"tenants": len(intakes), "failed_tenants": dg.MetadataValue.json(failures)}


def superseded(*check_names: str) -> dg.MaterializeResult:
    """What a stage of a superseded run (or a fleet run with no tenant to work on) reports: no
    change, checks not applicable."""
    return dg.MaterializeResult(
        metadata={"superseded": True},
        check_results=[
            dg.AssetCheckResult(check_name=name, passed=True, metadata={"superseded": True}) for name in check_names
        ],
    )


@dg.asset(group_name=TENANT_GROUP, partitions_def=tenant_partitions, kinds={"postgres"})
def intake_seeds(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The tenant's current intake as seeds linked to companies (the vendor's own site included)."""
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
        if not intakes:
            return superseded()
    linked, failures = each_tenant(context, postgres, intakes, link_seeds_to_companies)
    counts = list(linked.values())
    return dg.MaterializeResult(
        metadata={
            **({"response_id": counts[0].response_id} if not is_fleet_run(context) else {}),
            "best_customers": sum(c.best for c in counts),
            "lost_customers": sum(c.lost for c in counts),
            "companies": sum(c.companies for c in counts),
            **fleet_metadata(context, intakes, failures),
        }
    )


@dg.asset(
    group_name=TENANT_GROUP,
    partitions_def=tenant_partitions,
    deps=[intake_seeds, match_index, ssic_codes],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec(
            "match_rate_sla",
            asset="seed_matches",
            description=">= 80% of seeds matched to ACRA (seeds confirmed not in the registry left out)",
        ),
        dg.AssetCheckSpec("mapping_time_sla", asset="seed_matches", description="seeds mapped within 300 s"),
        dg.AssetCheckSpec(
            "ambiguous_seeds",
            asset="seed_matches",
            description="no seed left ambiguous: each is settled with `icp seeds confirm` (the commands are in"
            " the check's metadata)",
        ),
    ],
)
def seed_matches(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Each seed matched to an ACRA entity (domain, exact, fuzzy or former name, or as the tenant
    confirmed it) plus its registry evidence."""
    started = time.perf_counter()
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
    if not intakes:
        return superseded("match_rate_sla", "mapping_time_sla", "ambiguous_seeds")
    # The saved index of the current registry version (rebuilt here if the registry changed).
    index, info = load_match_index(postgres.url(), match_index_dir())
    context.log.info(f"match index {info.version}: {len(index):,} entities ({'built' if info.built else 'loaded'})")
    matcher = Matcher(index)
    matched, failures = each_tenant(context, postgres, intakes, lambda conn, t, r: match_seeds(conn, t, matcher, r))
    elapsed = time.perf_counter() - started
    if not is_fleet_run(context):
        ((tenant_id, counts),) = matched.items()
        return seed_matches_result(
            counts, elapsed, info.version, ambiguous_seeds_check(tenant_id, counts.ambiguous_seeds)
        )
    below_sla = sorted(t for t, c in matched.items() if c.match_rate < MATCH_RATE_SLA)
    ambiguous = sorted(t for t, c in matched.items() if c.ambiguous_seeds)
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="match_rate_sla",
                passed=not below_sla,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"tenants_below_sla": dg.MetadataValue.json(below_sla)},
            ),
            dg.AssetCheckResult(
                check_name="mapping_time_sla",
                passed=elapsed <= MAPPING_SECONDS_SLA * max(1, len(intakes)),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"elapsed_s": elapsed},
            ),
            dg.AssetCheckResult(
                check_name="ambiguous_seeds",
                passed=not ambiguous,
                severity=dg.AssetCheckSeverity.WARN,
                description="each tenant's own run lists the `icp seeds confirm` commands" if ambiguous else None,
                metadata={"tenants_with_ambiguous_seeds": dg.MetadataValue.json(ambiguous)},
            ),
        ],
        metadata={
            "seeds": sum(c.seeds for c in matched.values()),
            "matched": sum(c.matched for c in matched.values()),
            "ambiguous": sum(c.ambiguous for c in matched.values()),
            "unmatched": sum(c.unmatched for c in matched.values()),
            "registry_version": info.version,
            "elapsed_s": dg.MetadataValue.float(round(elapsed, 2)),
            **fleet_metadata(context, intakes, failures),
        },
    )


def seed_matches_result(
    counts: MatchCounts, elapsed: float, registry_version: str, ambiguous: dg.AssetCheckResult
) -> dg.MaterializeResult:
    """One tenant's seed matches: its counts and its three checks."""
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="match_rate_sla",
                passed=counts.match_rate >= MATCH_RATE_SLA,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"match_rate": counts.match_rate, "not_in_registry": counts.not_in_registry},
            ),
            dg.AssetCheckResult(
                check_name="mapping_time_sla",
                passed=elapsed <= MAPPING_SECONDS_SLA,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"elapsed_s": elapsed},
            ),
            ambiguous,
        ],
        metadata={
            "seeds": counts.seeds,
            "matched": counts.matched,
            "ambiguous": counts.ambiguous,
            "unmatched": counts.unmatched,
            "confirmed": counts.confirmed,
            "not_in_registry": counts.not_in_registry,
            "match_rate": dg.MetadataValue.float(round(counts.match_rate, 3)),
            "registry_evidence_rows": counts.registry_evidence,
            "registry_version": registry_version,
            "elapsed_s": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )


def ambiguous_seeds_check(tenant_id: str, ambiguous: tuple[AmbiguousSeed, ...]) -> dg.AssetCheckResult:
    """WARN while a seed is ambiguous and unconfirmed, with the commands that settle each one."""
    if not ambiguous:
        return dg.AssetCheckResult(
            check_name="ambiguous_seeds", passed=True, severity=dg.AssetCheckSeverity.WARN, metadata={"ambiguous": 0}
        )
    script = resolution_script(tenant_id, ((s.name, s.candidates) for s in ambiguous))
    return dg.AssetCheckResult(
        check_name="ambiguous_seeds",
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(ambiguous)} seed(s) ambiguous: run one `icp seeds confirm` line of `resolve_with` per"
        f" seed, then `icp run --tenant {tenant_id}`",
        metadata={
            "ambiguous": len(ambiguous),
            "ambiguous_seeds": dg.MetadataValue.json([s.name for s in ambiguous]),
            "resolve_with": dg.MetadataValue.md(f"```sh\n{script}\n```"),
        },
    )


@dg.asset(group_name=TENANT_GROUP, partitions_def=tenant_partitions, deps=[seed_matches], kinds={"scrapy", "postgres"})
def crawl_evidence(
    context: dg.AssetExecutionContext, postgres: PostgresResource, crawler: CrawlerResource
) -> dg.MaterializeResult:
    """Evidence crawled from the vendor's and the seeds' websites (Scrapy, in its own process);
    a site crawled successfully replaces the tenant's evidence of it, a site that fails keeps its
    last good evidence, marked stale, until it is older than ICP_EVIDENCE_MAX_AGE days.

    A tenant's run crawls all its sites (the shared cache answers for those fetched lately); a
    fleet run crawls each site due (never crawled, failed, or older than ICP_RECRAWL_DAYS) once
    for every tenant naming it, in parallel crawler processes."""
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
        if not intakes:
            return superseded()
        targets = {tenant: crawl.crawl_targets(conn, tenant, response) for tenant, response in intakes.items()}
        if is_fleet_run(context):
            due = {tenant: crawl.due_for_crawl(conn, tenant, t, recrawl_days()) for tenant, t in targets.items()}
        else:
            due = targets
    # One crawl of each company, whichever tenants name it.
    by_company = {
        t.company_key: t for tenant_targets in due.values() for t in sorted(tenant_targets, key=lambda t: t.url)
    }
    sites = sorted(by_company.values(), key=lambda t: t.url)
    context.log.info(f"crawling {len(sites)} sites for {len(intakes)} tenant(s)")
    with tempfile.TemporaryDirectory(prefix="icp-crawl-") as tmp:
        result = crawler.crawl(sites, Path(tmp) / "crawl.jsonl")

    def record(conn, tenant_id: str, _response_id: int) -> crawl.CrawlCounts:
        crawled = {t.company_key for t in due[tenant_id]}
        not_due = {int(t.company_key) for t in targets[tenant_id]} - {int(key) for key in crawled}
        return crawl.record_crawl(conn, tenant_id, result.of_companies(crawled), crawler.evidence_max_age_days, not_due)

    recorded, failures = each_tenant(context, postgres, intakes, record)
    if is_fleet_run(context):
        return dg.MaterializeResult(
            metadata={
                "sites_crawled": len(sites),
                "pages": len(result.pages),
                "evidence_rows": sum(c.evidence for c in recorded.values()),
                "blocked_sites": sum(len(c.blocked_sites) for c in recorded.values()),
                "stale_sites": sum(len(c.stale_sites) for c in recorded.values()),
                "crawl_over_budget": result.over_budget,
                "evidence_expired": sum(c.evidence_expired for c in recorded.values()),
                **fleet_metadata(context, intakes, failures),
            }
        )
    (counts,) = recorded.values()
    return dg.MaterializeResult(
        metadata={
            "sites": counts.sites,
            "pages": counts.pages,
            "evidence_rows": counts.evidence,
            "industries_mapped_to_ssic": counts.industries_mapped_to_ssic,
            "blocked_sites": dg.MetadataValue.json(counts.blocked_sites),
            "reduced_evidence_sites": dg.MetadataValue.json(counts.reduced_evidence_sites),
            "refused_by_policy_sites": dg.MetadataValue.json(counts.refused_sites),
            "refused_by_policy_requests": counts.refused_requests,
            "crawl_over_budget": counts.over_budget,
            "stale_sites": dg.MetadataValue.json(counts.stale_sites),
            "evidence_kept_from_earlier_crawls": counts.evidence_kept,
            "evidence_expired": counts.evidence_expired,
            "evidence_per_site": dg.MetadataValue.md(counts.evidence_table()),
        }
    )


@dg.asset(
    group_name=TENANT_GROUP, partitions_def=tenant_partitions, deps=[crawl_evidence], kinds={"openai", "postgres"}
)
def llm_evidence(
    context: dg.AssetExecutionContext, postgres: PostgresResource, llm_client: LlmResource
) -> dg.MaterializeResult:
    """Industries, buyer titles and integrations an LLM reads from each company's crawled text (cached);
    a failed call or answer leaves that company with its last good answer and the run goes on."""
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
        if not intakes:
            return superseded()
        if not llm_client.enabled():
            removed, failures = each_tenant(
                context, postgres, intakes, lambda conn, t, _r: llm.clear_tenant_evidence(conn, t)
            )
            return dg.MaterializeResult(
                metadata={
                    "enabled": False,
                    "reason": "no OPENAI_API_KEY",
                    "removed": sum(removed.values()),
                    **fleet_metadata(context, intakes, failures),
                }
            )
        extracted, failures = each_tenant(
            context,
            postgres,
            intakes,
            lambda conn, t, r: llm.extract_tenant_evidence(
                conn, t, llm_client.complete, llm_client.model, llm_client.evidence_max_age_days, r
            ),
        )
    if is_fleet_run(context):
        return dg.MaterializeResult(
            metadata={
                "enabled": True,
                "model": llm_client.model,
                "llm_calls": sum(c.calls for c in extracted.values()),
                "cache_hits": sum(c.cache_hits for c in extracted.values()),
                "evidence_rows": sum(c.evidence_rows for c in extracted.values()),
                **fleet_metadata(context, intakes, failures),
            }
        )
    (counts,) = extracted.values()
    return dg.MaterializeResult(
        metadata={
            "enabled": True,
            "model": llm_client.model,
            "companies": counts.companies,
            "llm_calls": counts.calls,
            "cache_hits": counts.cache_hits,
            "invalid_answers": counts.invalid_answers,
            "evidence_rows": counts.evidence_rows,
            "tokens_saved_by_cache": counts.tokens_saved,
            "failures": dg.MetadataValue.json(counts.failures),
            "failed_companies": sum(counts.failures.values()),
            "stale_companies": counts.stale_companies,
            "evidence_expired": counts.evidence_expired,
        }
    )


@dg.asset(
    group_name=TENANT_GROUP,
    partitions_def=tenant_partitions,
    deps=[dg.AssetKey("icp_suggestions"), dg.AssetKey("icp_targeting_pack"), dg.AssetKey("icp_audience")],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec("cards_cite_evidence", asset="suggestion_cards", description="every card has evidence rows")
    ],
)
def suggestion_cards(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The tenant's micro-ICP cards, published for its current intake and shown here as markdown,
    with what changed since its previous intake with cards (the first: every card appeared).
    A fleet run publishes the cards of the tenants its dbt build rebuilt."""
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
        if is_fleet_run(context):
            intakes = {t: intakes[t] for t in builds.tenants_to_publish(conn, intakes)}
        if not intakes:
            return superseded("cards_cite_evidence")

        def publish(conn, tenant_id: str, response_id: int) -> list[dict]:
            cards = publish_cards(conn, tenant_id, response_id)
            builds.record_published(conn, tenant_id)
            return cards

        published, failures = each_tenant(context, postgres, intakes, publish)
        if not is_fleet_run(context):
            ((tenant_id, response_id),) = intakes.items()
            comparison = compare_with_previous(conn, tenant_id, response_id)
    unsupported = sorted(c["suggestion_id"] for cards in published.values() for c in cards if not c["evidence_count"])
    if is_fleet_run(context):
        return dg.MaterializeResult(
            metadata={
                "cards": sum(len(cards) for cards in published.values()),
                "tenants_published": len(published),
                **fleet_metadata(context, intakes, failures),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="cards_cite_evidence", passed=not unsupported, metadata={"without_evidence": unsupported}
                )
            ],
        )
    (cards,) = published.values()
    return dg.MaterializeResult(
        metadata={
            "cards": len(cards),
            "preview": dg.MetadataValue.md(cards_markdown(cards)),
            "changes": dg.MetadataValue.md(comparison_markdown(comparison)),
            "cards_appeared": comparison.count(APPEARED) if comparison else len(cards),
            "cards_disappeared": comparison.count(DISAPPEARED) if comparison else 0,
            "cards_changed": comparison.count(CHANGED) if comparison else 0,
            **({"compared_with_intake": comparison.previous_response_id} if comparison else {}),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="cards_cite_evidence", passed=not unsupported, metadata={"without_evidence": unsupported}
            )
        ],
    )


tenant_refresh_job = dg.define_asset_job(
    "tenant_refresh",
    selection=dg.AssetSelection.groups(TENANT_GROUP, TENANT_MODELS_GROUP),
    description="Rebuild tenants: seeds, matches, crawl, dbt models, suggestion cards. A run of one tenant"
    " rebuilds it; a run over a range of tenants (the nightly refresh) collects for each, then builds and"
    " publishes only the tenants whose inputs changed.",
)


@dg.schedule(
    job=tenant_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Singapore",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Every night, one run over every tenant: each tenant's sites due for a re-crawl are crawled,
    then one dbt build covers the tenants whose inputs changed, and their cards are published."""
    tenants = context.instance.get_dynamic_partitions(tenant_partitions.name)
    if not tenants:
        return dg.SkipReason("no tenant yet")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"nightly-{day}", tags=fleet_run_tags(tenants))


def fleet_run_tags(tenants: list[str]) -> dict[str, str]:
    """Tags of one run over every tenant partition (Dagster's partition-range run), in partition order."""
    return {PARTITION_RANGE_START_TAG: tenants[0], PARTITION_RANGE_END_TAG: tenants[-1], "icp/trigger": "fleet"}


defs = dg.Definitions(
    assets=[intake_seeds, seed_matches, crawl_evidence, llm_evidence, suggestion_cards],
    jobs=[tenant_refresh_job],
    schedules=[nightly_refresh],
)

"""Tenant assets (one dynamic partition per tenant): seeds, matches, crawl and LLM evidence, cards.

The dbt models between the evidence and the cards live in ``icp_assets.defs.dbt``.
"""

import tempfile
import time
from pathlib import Path

import dagster as dg

from icp_assets.defs.partitions import RESPONSE_ID_TAG, TENANT_GROUP, TENANT_MODELS_GROUP, tenant_partitions
from icp_assets.defs.registry import match_index, ssic_codes
from icp_assets.domain import crawl, llm
from icp_assets.domain.cards.compare import APPEARED, CHANGED, DISAPPEARED, compare_with_previous
from icp_assets.domain.cards.publish import publish_cards
from icp_assets.domain.cards.render import cards_markdown, comparison_markdown
from icp_assets.domain.intake import current_response_id
from icp_assets.domain.matching.confirmations import resolution_script
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.matching.matcher import Matcher
from icp_assets.domain.matching.seed_matches import AmbiguousSeed, match_seeds
from icp_assets.domain.seeds import link_seeds_to_companies
from icp_assets.platform.paths import match_index_dir
from resources.crawler import CrawlerResource
from resources.llm import LlmResource
from resources.postgres import PostgresResource

MATCH_RATE_SLA = 0.8
MAPPING_SECONDS_SLA = 300


def intake_of_run(context: dg.AssetExecutionContext, conn) -> int | None:
    """The intake this run works on: the one it was started for (its run tag), else the tenant's
    current one. None when a newer intake has superseded it: that intake's own run does the work,
    so stages never mix two intakes."""
    current = current_response_id(conn, context.partition_key)
    pinned = context.run.tags.get(RESPONSE_ID_TAG)
    if pinned is None or int(pinned) == current:
        return current
    context.log.info(f"tenant={context.partition_key} intake {pinned} superseded by {current}: nothing to do")
    return None


def superseded(*check_names: str) -> dg.MaterializeResult:
    """What a stage of a superseded run reports: no change, checks not applicable."""
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
        response_id = intake_of_run(context, conn)
        if response_id is None:
            return superseded()
        counts = link_seeds_to_companies(conn, context.partition_key, response_id)
    return dg.MaterializeResult(
        metadata={
            "response_id": counts.response_id,
            "best_customers": counts.best,
            "lost_customers": counts.lost,
            "companies": counts.companies,
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
        response_id = intake_of_run(context, conn)
    if response_id is None:
        return superseded("match_rate_sla", "mapping_time_sla", "ambiguous_seeds")
    # The saved index of the current registry version (rebuilt here if the registry changed).
    index, info = load_match_index(postgres.url(), match_index_dir())
    context.log.info(f"match index {info.version}: {len(index):,} entities ({'built' if info.built else 'loaded'})")
    with postgres.connection() as conn:
        counts = match_seeds(conn, context.partition_key, Matcher(index), response_id)
    elapsed = time.perf_counter() - started
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
            ambiguous_seeds_check(context.partition_key, counts.ambiguous_seeds),
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
            "registry_version": info.version,
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
    last good evidence, marked stale, until it is older than ICP_EVIDENCE_MAX_AGE days."""
    tenant_id = context.partition_key
    with postgres.connection() as conn:
        response_id = intake_of_run(context, conn)
        if response_id is None:
            return superseded()
        targets = crawl.crawl_targets(conn, tenant_id, response_id)
    context.log.info(f"tenant={tenant_id} crawling {len(targets)} sites")
    with tempfile.TemporaryDirectory(prefix="icp-crawl-") as tmp:
        result = crawler.crawl(targets, Path(tmp) / "crawl.jsonl")
    with postgres.connection() as conn:
        counts = crawl.record_crawl(conn, tenant_id, result, crawler.evidence_max_age_days)
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
    tenant_id = context.partition_key
    with postgres.connection() as conn:
        response_id = intake_of_run(context, conn)
        if response_id is None:
            return superseded()
        if not llm_client.enabled():
            removed = llm.clear_tenant_evidence(conn, tenant_id)
            return dg.MaterializeResult(metadata={"enabled": False, "reason": "no OPENAI_API_KEY", "removed": removed})
        counts = llm.extract_tenant_evidence(
            conn, tenant_id, llm_client.complete, llm_client.model, llm_client.evidence_max_age_days, response_id
        )
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
    with what changed since its previous intake with cards (the first: every card appeared)."""
    with postgres.connection() as conn:
        response_id = intake_of_run(context, conn)
        if response_id is None:
            return superseded("cards_cite_evidence")
        cards = publish_cards(conn, context.partition_key, response_id)
        comparison = compare_with_previous(conn, context.partition_key, response_id)
    unsupported = [c["suggestion_id"] for c in cards if not c["evidence_count"]]
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
    description="Rebuild one tenant: seeds, matches, crawl, dbt models, suggestion cards.",
)


@dg.schedule(
    job=tenant_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Singapore",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext, postgres: PostgresResource):
    """Every night, re-crawl (stale pages refetch past the cache TTL) and rebuild every tenant,
    each run pinned to the tenant's current intake."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    tenants = context.instance.get_dynamic_partitions(tenant_partitions.name)
    with postgres.connection() as conn:
        current = dict(
            conn.execute(
                "select tenant_id, max(response_id) from icp.icp_intake_responses"
                " where tenant_id = any(%s) group by tenant_id",
                (list(tenants),),
            ).fetchall()
        )
    for tenant_id in tenants:
        if tenant_id in current:
            yield dg.RunRequest(
                run_key=f"nightly-{day}-{tenant_id}",
                partition_key=tenant_id,
                tags={RESPONSE_ID_TAG: str(current[tenant_id])},
            )


defs = dg.Definitions(
    assets=[intake_seeds, seed_matches, crawl_evidence, llm_evidence, suggestion_cards],
    jobs=[tenant_refresh_job],
    schedules=[nightly_refresh],
)

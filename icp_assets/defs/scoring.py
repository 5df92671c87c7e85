"""Account scoring in the tenant job: the account_scores asset (the accounts `icp score` left
pending crawled within a per-run limit, every account of the tenant graded again against its
accepted rules or, without one, the cards its run just published), then the dbt models that read
its table.

Those models (dbt tag `scoring`) are a dbt asset of their own, after account_scores: inside the
tenant models' asset, which runs before the cards, they would close a loop (dbt -> suggestion_cards
-> account_scores -> dbt) that Dagster can only execute by splitting that asset into several dbt
steps, and the split misplaces tests that read two models."""

import tempfile
from pathlib import Path

import dagster as dg
from pydantic import Field

from icp_assets.defs.dbt import build_dbt_assets
from icp_assets.defs.partitions import TENANT_GROUP, tenant_partitions
from icp_assets.defs.tenant import (
    each_tenant,
    fleet_metadata,
    intakes_of_run,
    is_fleet_run,
    suggestion_cards,
    superseded,
)
from icp_assets.domain import builds, scoring
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource


class AccountScoresConfig(dg.Config):
    crawl_limit: int = Field(
        default=scoring.DEFAULT_RUN_CRAWL_LIMIT,
        ge=0,
        le=10_000,
        description="Most accounts one run crawls: pending ones first, then those crawled longest ago.",
    )


@dg.asset(
    group_name=TENANT_GROUP, partitions_def=tenant_partitions, deps=[suggestion_cards], kinds={"scrapy", "postgres"}
)
def account_scores(
    context: dg.AssetExecutionContext,
    config: AccountScoresConfig,
    postgres: PostgresResource,
    crawler: CrawlerResource,
) -> dg.MaterializeResult:
    """The tenant's scored accounts: pending sites crawled (at most ``crawl_limit`` a run, through
    the tenants' crawler and cache), then every account graded A-D or unknown; metadata counts
    the accounts of each grade."""
    with postgres.connection() as conn:
        intakes = intakes_of_run(context, conn)
        if not intakes:
            return superseded()
        targets = {tenant: scoring.crawl_targets(conn, tenant, config.crawl_limit) for tenant in intakes}
    sites = [target for tenant_targets in targets.values() for target in tenant_targets]
    result = None
    if sites:
        context.log.info(f"crawling {len(sites)} account sites for {len(intakes)} tenant(s)")
        with tempfile.TemporaryDirectory(prefix="icp-accounts-") as tmp:
            result = crawler.crawl(sites, Path(tmp) / "crawl.jsonl")

    def grade(conn, tenant_id: str, _response_id: int) -> tuple[int, int, scoring.GradeCounts, int]:
        crawled = failed = 0
        if result is not None and targets[tenant_id]:
            keys = {t.company_key for t in targets[tenant_id]}
            counts = scoring.record_account_crawl(
                conn, tenant_id, result.of_companies(keys), crawler.evidence_max_age_days
            )
            crawled, failed = counts.crawled, counts.failed
        return crawled, failed, scoring.grade_accounts(conn, tenant_id), scoring.pending_count(conn, tenant_id)

    graded, failures = each_tenant(context, postgres, intakes, grade)
    by_grade: dict[str, int] = {}
    for _, _, grades, _ in graded.values():
        for letter, n in grades.by_grade.items():
            by_grade[letter] = by_grade.get(letter, 0) + n
    single = None if is_fleet_run(context) else next(iter(graded.values()))[2]
    return dg.MaterializeResult(
        metadata={
            "accounts": sum(g.accounts for _, _, g, _ in graded.values()),
            **(
                {
                    "graded_against": single.graded_against or "nothing (no accepted rule, no card)",
                    "rules": single.rules,
                }
                if single is not None
                else {}
            ),
            **{f"grade_{grade}": n for grade, n in by_grade.items()},
            "sites_crawled": sum(c for c, _, _, _ in graded.values()),
            "sites_failed": sum(f for _, f, _, _ in graded.values()),
            "still_pending": sum(p for _, _, _, p in graded.values()),
            **fleet_metadata(context, intakes, failures),
        }
    )


SCORING_SELECTION = "tag:scoring"
dbt_scoring_models = build_dbt_assets(
    "dbt_scoring_models", SCORING_SELECTION, models=builds.SCORING_MODELS, partitions_def=tenant_partitions
)

defs = dg.Definitions(assets=[account_scores, dbt_scoring_models])

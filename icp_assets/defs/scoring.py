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
from icp_assets.defs.tenant import intake_of_run, suggestion_cards, superseded
from icp_assets.domain import scoring
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
    tenant_id = context.partition_key
    with postgres.connection() as conn:
        if intake_of_run(context, conn) is None:
            return superseded()
        targets = scoring.crawl_targets(conn, tenant_id, config.crawl_limit)
    crawled = failed = 0
    if targets:
        context.log.info(f"tenant={tenant_id} crawling {len(targets)} account sites")
        with tempfile.TemporaryDirectory(prefix="icp-accounts-") as tmp:
            result = crawler.crawl(targets, Path(tmp) / "crawl.jsonl")
        with postgres.connection() as conn:
            counts = scoring.record_account_crawl(conn, tenant_id, result, crawler.evidence_max_age_days)
        crawled, failed = counts.crawled, counts.failed
    with postgres.connection() as conn:
        grades = scoring.grade_accounts(conn, tenant_id)
        pending = scoring.pending_count(conn, tenant_id)
    return dg.MaterializeResult(
        metadata={
            "accounts": grades.accounts,
            "graded_against": grades.graded_against or "nothing (no accepted rule, no card)",
            "rules": grades.rules,
            **{f"grade_{grade}": n for grade, n in grades.by_grade.items()},
            "sites_crawled": crawled,
            "sites_failed": failed,
            "still_pending": pending,
        }
    )


SCORING_SELECTION = "tag:scoring"
dbt_scoring_models = build_dbt_assets("dbt_scoring_models", SCORING_SELECTION, partitions_def=tenant_partitions)

defs = dg.Definitions(assets=[account_scores, dbt_scoring_models])

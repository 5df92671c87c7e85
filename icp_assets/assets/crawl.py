"""The tenant's evidence crawl: Scrapy over the vendor's and the seeds' websites."""

import tempfile
from pathlib import Path

import dagster as dg

from icp_assets import stages
from icp_assets.assets.seeds import GROUP, seed_matches
from icp_assets.partitions import tenant_partitions
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource


@dg.asset(group_name=GROUP, partitions_def=tenant_partitions, deps=[seed_matches], kinds={"scrapy", "postgres"})
def crawl_evidence(
    context: dg.AssetExecutionContext, postgres: PostgresResource, crawler: CrawlerResource
) -> dg.MaterializeResult:
    """Evidence crawled from the vendor's and the seeds' websites (Scrapy, in its own process)."""
    tenant_id = context.partition_key
    with postgres.connection() as conn:
        targets = stages.crawl_targets(conn, tenant_id)
    context.log.info(f"tenant={tenant_id} crawling {len(targets)} sites")
    with tempfile.TemporaryDirectory(prefix="icp-crawl-") as tmp:
        result = crawler.crawl(targets, Path(tmp) / "crawl.jsonl")
    with postgres.connection() as conn:
        counts = stages.record_crawl(conn, tenant_id, result)
    return dg.MaterializeResult(
        metadata={
            "sites": counts.sites,
            "pages": counts.pages,
            "evidence_rows": counts.evidence,
            "reduced_evidence_sites": dg.MetadataValue.json(counts.reduced_evidence_sites),
        }
    )

"""The tenant's evidence crawl: Scrapy over the vendor's and the seeds' websites."""

import tempfile
from pathlib import Path

import dagster as dg

from icp_assets import stages
from icp_assets.assets.seeds import GROUP, seed_matches
from icp_assets.partitions import tenant_partitions
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource


def evidence_table(evidence_by_site: dict[str, int], blocked: list[str], reduced: list[str]) -> str:
    """Markdown table of evidence rows per site, with the crawl's verdict on each."""
    rows = ["| site | evidence | crawl |", "| --- | ---: | --- |"]
    for site, count in sorted(evidence_by_site.items(), key=lambda kv: (-kv[1], kv[0])):
        verdict = "blocked" if site in blocked else "reduced evidence" if site in reduced else "ok"
        rows.append(f"| {site} | {count} | {verdict} |")
    return "\n".join(rows)


@dg.asset(group_name=GROUP, partitions_def=tenant_partitions, deps=[seed_matches], kinds={"scrapy", "postgres"})
def crawl_evidence(
    context: dg.AssetExecutionContext, postgres: PostgresResource, crawler: CrawlerResource
) -> dg.MaterializeResult:
    """Evidence crawled from the vendor's and the seeds' websites (Scrapy, in its own process);
    a re-run replaces the tenant's crawl evidence instead of adding to it."""
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
            "industries_mapped_to_ssic": counts.industries_mapped_to_ssic,
            "blocked_sites": dg.MetadataValue.json(counts.blocked_sites),
            "reduced_evidence_sites": dg.MetadataValue.json(counts.reduced_evidence_sites),
            "evidence_per_site": dg.MetadataValue.md(
                evidence_table(counts.evidence_by_site, counts.blocked_sites, counts.reduced_evidence_sites)
            ),
        }
    )

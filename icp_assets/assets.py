"""The Python assets: registry loads and the tenant stages. Each is a thin call into `stages` or `registry`."""


import tempfile
import time
from pathlib import Path

import dagster as dg

from icp_assets import registry, stages
from icp_assets.db import migrate
from icp_assets.matching import Matcher
from icp_assets.partitions import tenant_partitions
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource
from resources.registry_files import SSIC_INDEX_FILE, SSIC_STRUCTURE_FILE, RegistryFilesResource

REGISTRY = "registry"
TENANT = "tenant"


@dg.asset(group_name=REGISTRY, kinds={"postgres"})
def acra_entities(
    context: dg.AssetExecutionContext, postgres: PostgresResource, registry_files: RegistryFilesResource
) -> dg.MaterializeResult:
    """ACRA corporate entities (data.gov.sg CSV layout) upserted into registry.acra_entities."""
    files = registry_files.acra_files()
    if not files:
        raise dg.Failure(
            f"no ACRA CSV files in {registry_files.acra_folder()}: put the data.gov.sg files there"
            " or create a synthetic registry with `icp registry generate --out` that folder"
        )
    url = postgres.url()
    migrate(url)
    stats = registry.load_acra_csvs(url, files, progress=lambda n: context.log.info(f"acra_entities: {n:,} rows read"))
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "rows_read": stats.rows_read,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
        }
    )


@dg.asset(group_name=REGISTRY, kinds={"postgres"})
def ssic_codes(postgres: PostgresResource, registry_files: RegistryFilesResource) -> dg.MaterializeResult:
    """SSIC 2020 codes with titles (and the alphabetical index when the SingStat files are configured)."""
    url = postgres.url()
    migrate(url)
    folder = registry_files.ssic_folder()
    if folder is None:
        codes = registry.load_demo_ssic(url)
        return dg.MaterializeResult(metadata={"source": "built-in demo table", "codes": codes})
    codes = registry.load_ssic_structure(url, folder / SSIC_STRUCTURE_FILE)
    phrases = registry.load_ssic_index(url, folder / SSIC_INDEX_FILE)
    return dg.MaterializeResult(metadata={"source": str(folder), "codes": codes, "index_phrases": phrases})


@dg.asset(group_name=TENANT, partitions_def=tenant_partitions, kinds={"postgres"})
def intake_seeds(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The tenant's current intake as seeds linked to companies (the vendor's own site included)."""
    with postgres.connection() as conn:
        counts = stages.link_seeds_to_companies(conn, context.partition_key)
    return dg.MaterializeResult(
        metadata={
            "response_id": counts.response_id,
            "best_customers": counts.best,
            "lost_customers": counts.lost,
            "companies": counts.companies,
        }
    )


MATCH_RATE_SLA = 0.8
MAPPING_SECONDS_SLA = 300


@dg.asset(
    group_name=TENANT,
    partitions_def=tenant_partitions,
    deps=[intake_seeds, acra_entities, ssic_codes],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec("match_rate_sla", asset="seed_matches", description=">= 80% of seeds matched to ACRA"),
        dg.AssetCheckSpec("mapping_time_sla", asset="seed_matches", description="seeds mapped within 300 s"),
    ],
)
def seed_matches(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Each seed matched to an ACRA entity (domain, exact, fuzzy or former name) plus its registry evidence."""
    started = time.perf_counter()
    url = postgres.url()
    matcher = Matcher(registry.fetch_registry_entities(url))
    with postgres.connection() as conn:
        counts = stages.match_seeds(conn, context.partition_key, matcher)
    elapsed = time.perf_counter() - started
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="match_rate_sla",
                passed=counts.match_rate >= MATCH_RATE_SLA,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"match_rate": counts.match_rate},
            ),
            dg.AssetCheckResult(
                check_name="mapping_time_sla",
                passed=elapsed <= MAPPING_SECONDS_SLA,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"elapsed_s": elapsed},
            ),
        ],
        metadata={
            "seeds": counts.seeds,
            "matched": counts.matched,
            "ambiguous": counts.ambiguous,
            "unmatched": counts.unmatched,
            "match_rate": dg.MetadataValue.float(round(counts.match_rate, 3)),
            "registry_evidence_rows": counts.registry_evidence,
            "elapsed_s": dg.MetadataValue.float(round(elapsed, 2)),
        }
    )


@dg.asset(group_name=TENANT, partitions_def=tenant_partitions, deps=[seed_matches], kinds={"scrapy", "postgres"})
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


@dg.asset(
    group_name=TENANT,
    partitions_def=tenant_partitions,
    deps=[dg.AssetKey("icp_suggestions")],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec("cards_cite_evidence", asset="suggestion_cards", description="every card has evidence rows")
    ],
)
def suggestion_cards(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The tenant's micro-ICP cards, published for its current intake and shown here as markdown."""
    with postgres.connection() as conn:
        cards = stages.publish_cards(conn, context.partition_key)
    unsupported = [c["suggestion_id"] for c in cards if not c["evidence_count"]]
    return dg.MaterializeResult(
        metadata={"cards": len(cards), "preview": dg.MetadataValue.md(cards_markdown(cards))},
        check_results=[
            dg.AssetCheckResult(
                check_name="cards_cite_evidence", passed=not unsupported, metadata={"without_evidence": unsupported}
            )
        ],
    )


def cards_markdown(cards: list[dict]) -> str:
    if not cards:
        return "_No card: nothing in the evidence stands out yet._"
    blocks = []
    for card in cards:
        ssic = ", ".join(f"{c} {t}" for c, t in zip(card.get("ssic_codes") or [], card.get("ssic_titles") or []))
        blocks.append(
            f"### {card['rank']}. {card['title']}\n"
            f"- **SSIC:** {ssic or '-'}\n"
            f"- **Integrations:** {', '.join(card.get('integrations') or []) or '-'}\n"
            f"- **Champions:** {', '.join(card.get('champion_titles') or []) or '-'}\n"
            f"- **Evidence:** {card['evidence_count']} rows, {card.get('seeds_covered')}/{card.get('seeds_total')} seeds\n"
            f"- **Why:** {card.get('rationale') or '-'}\n"
        )
    return "\n".join(blocks)

"""Tenant assets that turn the intake into seeds and match them to the registry."""

import time

import dagster as dg

from icp_assets import registry, stages
from icp_assets.assets.registry import match_index, match_index_folder, ssic_codes
from icp_assets.matching import Matcher
from icp_assets.partitions import tenant_partitions
from resources.postgres import PostgresResource

GROUP = "tenant"


@dg.asset(group_name=GROUP, partitions_def=tenant_partitions, kinds={"postgres"})
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
    group_name=GROUP,
    partitions_def=tenant_partitions,
    deps=[intake_seeds, match_index, ssic_codes],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec("match_rate_sla", asset="seed_matches", description=">= 80% of seeds matched to ACRA"),
        dg.AssetCheckSpec("mapping_time_sla", asset="seed_matches", description="seeds mapped within 300 s"),
    ],
)
def seed_matches(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Each seed matched to an ACRA entity (domain, exact, fuzzy or former name) plus its registry evidence."""
    started = time.perf_counter()
    # The saved index of the current registry version (rebuilt here if the registry changed).
    index, info = registry.load_match_index(postgres.url(), match_index_folder())
    matcher = Matcher(index)
    context.log.info(f"match index {info.version}: {len(index):,} entities ({'built' if info.built else 'loaded'})")
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
            "registry_version": info.version,
            "elapsed_s": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )

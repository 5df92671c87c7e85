"""Optional LLM evidence over the crawled text; off without an API key."""

import dagster as dg

from icp_assets import llm
from icp_assets.assets.crawl import crawl_evidence
from icp_assets.assets.seeds import GROUP
from icp_assets.partitions import tenant_partitions
from resources.llm import LlmResource
from resources.postgres import PostgresResource


@dg.asset(group_name=GROUP, partitions_def=tenant_partitions, deps=[crawl_evidence], kinds={"openai", "postgres"})
def llm_evidence(
    context: dg.AssetExecutionContext, postgres: PostgresResource, llm_client: LlmResource
) -> dg.MaterializeResult:
    """Industries, buyer titles and integrations an LLM reads from each company's crawled text (cached)."""
    tenant_id = context.partition_key
    with postgres.connection() as conn:
        if not llm_client.enabled():
            removed = llm.clear_tenant_evidence(conn, tenant_id)
            return dg.MaterializeResult(metadata={"enabled": False, "reason": "no OPENAI_API_KEY", "removed": removed})
        counts = llm.extract_tenant_evidence(conn, tenant_id, llm_client.complete, llm_client.model)
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
        }
    )

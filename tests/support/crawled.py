"""A tenant whose crawl left a snippet on three companies: the input of the LLM stage."""

from __future__ import annotations

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

from demo.catalog import demo_intake
from icp_assets.definitions import resources
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import llm_evidence
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies

# What the crawl kept per company; the OpenAI stub answers from it (MALFORMED breaks the schema).
SNIPPETS = {
    "limbrosfood.com.sg": "We run food distribution across Singapore. Works with Xero and Shopify. Head of Operations",
    "harbourline.sg": "Warehouse platform integrated with NetSuite. Supply Chain Manager wanted.",
    "angseafood.com.sg": "MALFORMED page text",
}


def seed_crawled_tenant(url: str, tenant_id: str) -> None:
    """Submit the demo intake for ``tenant_id`` and store one crawl snippet per company of SNIPPETS."""
    with psycopg.connect(url) as conn:
        submit_intake(conn, tenant_id, Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, tenant_id)
        for domain, snippet in SNIPPETS.items():
            conn.execute(
                "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, snippet, confidence)"
                " select %s, company_id, 'industry_served', %s, 'crawl', %s, 0.8 from icp.companies where domain = %s",
                (tenant_id, Jsonb({"label": "x"}), snippet, domain),
            )


def llm_rows(url: str, tenant_id: str) -> set[tuple[str, str, str]]:
    """(company domain, signal, label) of the tenant's LLM evidence."""
    with psycopg.connect(url) as conn:
        return set(
            conn.execute(
                "select c.domain, e.signal_key, e.value ->> 'label' from icp.icp_evidence e"
                " join icp.companies c using (company_id) where e.tenant_id = %s and e.source = 'llm'",
                (tenant_id,),
            ).fetchall()
        )


def materialize_llm_evidence(tenant_id: str) -> dict:
    """llm_evidence materialized with the code location's resources, as wired from the environment
    now; returns its metadata (the run must succeed)."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [tenant_id])
    result = dg.materialize([llm_evidence], partition_key=tenant_id, instance=instance, resources=resources())
    assert result.success
    return {k: v.value for k, v in result.asset_materializations_for_node("llm_evidence")[0].metadata.items()}

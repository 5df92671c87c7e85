"""LLM answers go through the crawl's personal-data scrub before they are cached or stored: email
addresses and phone numbers leave every label, buyer titles end at the role, and a label with
nothing left is dropped and counted."""

from __future__ import annotations

import json

import psycopg

from icp_assets.domain.llm import CompanyProfile, Completion, extract_tenant_evidence, scrub_profile
from tests.support.crawled import seed_crawled_tenant

TENANT = "llm-scrub"
PERSONAL = {
    "industries_served": ["food distribution (jane.tan@acme.sg)", "retail"],
    "buyer_titles": ["Head of Sales Jane Tan", "Operations Manager +65 9123 4567", "Finance Manager"],
    "integrations": ["Xero", "jane.tan [at] acme [dot] sg", "+65 6123 4567"],
    "business_model": "b2b",
}


def test_labels_are_scrubbed_and_emptied_ones_dropped() -> None:
    profile, dropped = scrub_profile(CompanyProfile.model_validate(PERSONAL))
    assert profile.industries_served == ["food distribution ()", "retail"]
    assert profile.buyer_titles == ["Head of Sales", "Operations Manager", "Finance Manager"]
    assert profile.integrations == ["Xero"]
    assert dropped == 2


def test_no_personal_data_reaches_the_cache_or_the_evidence(fresh_database_url: str) -> None:
    seed_crawled_tenant(fresh_database_url, TENANT)

    def complete(system: str, text: str) -> Completion:
        return Completion(json.dumps(PERSONAL), 10, 10)

    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        counts = extract_tenant_evidence(conn, TENANT, complete, "fake-model")
        stored = [
            row[0]
            for query in ("select answer::text from icp.llm_cache", "select value::text from icp.icp_evidence")
            for row in conn.execute(query)
        ]
    assert counts.calls > 0 and counts.labels_dropped == 2 * counts.calls and counts.evidence_rows > 0
    text = "\n".join(stored)
    for needle in ("jane", "Jane", "9123", "4567", "6123", "[at]"):
        assert needle not in text
    assert "Head of Sales" in text and "Xero" in text

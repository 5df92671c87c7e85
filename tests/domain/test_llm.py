"""LLM evidence through the real langchain-openai client against a local OpenAI-compatible stub."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import ValidationError

from icp_assets.domain.llm import CompanyProfile, clear_tenant_evidence, extract_tenant_evidence
from resources.llm import LlmResource
from tests.support.crawled import llm_rows, seed_crawled_tenant
from tests.support.llm_stub import OpenAIStub

TENANT = "llm-tenant"


@pytest.fixture
def crawled(fresh_database_url: str) -> str:
    """A tenant whose crawl left a snippet on three companies."""
    seed_crawled_tenant(fresh_database_url, TENANT)
    return fresh_database_url


def test_answers_become_evidence_and_are_cached(crawled: str) -> None:
    with OpenAIStub() as stub, psycopg.connect(crawled, autocommit=True) as conn:
        client = LlmResource(api_key="test-key", base_url=stub.base_url, model="stub-model")
        first = extract_tenant_evidence(conn, TENANT, client.complete, client.model)
        rows_after_first = llm_rows(crawled, TENANT)
        second = extract_tenant_evidence(conn, TENANT, client.complete, client.model)

    assert (first.companies, first.calls, first.cache_hits, first.invalid_answers) == (3, 3, 0, 1)
    assert stub.requests[0]["path"] == "/v1/chat/completions"
    assert stub.requests[0]["auth"] == "Bearer test-key"
    assert stub.requests[0]["body"]["response_format"] == {"type": "json_object"}
    assert {
        ("limbrosfood.com.sg", "integration", "Xero"),
        ("limbrosfood.com.sg", "integration", "Shopify"),
        ("limbrosfood.com.sg", "buyer_title", "Head of Operations"),
        ("limbrosfood.com.sg", "industry_served", "food distribution"),
        ("harbourline.sg", "integration", "NetSuite"),
        ("harbourline.sg", "buyer_title", "Supply Chain Manager"),
    } <= rows_after_first
    assert not {row for row in rows_after_first if row[0] == "angseafood.com.sg"}  # invalid answer dropped

    # The schema-breaking answer is not cached, so it is asked again; the two good ones are not.
    assert (second.calls, second.cache_hits, second.invalid_answers) == (1, 2, 1)
    assert second.tokens_saved > 0
    assert len(stub.requests) == 4
    assert llm_rows(crawled, TENANT) == rows_after_first


def test_turning_the_llm_off_clears_its_evidence(crawled: str) -> None:
    with OpenAIStub() as stub, psycopg.connect(crawled, autocommit=True) as conn:
        client = LlmResource(api_key="test-key", base_url=stub.base_url)
        stored = extract_tenant_evidence(conn, TENANT, client.complete, client.model).evidence_rows
        assert stored > 0
        assert clear_tenant_evidence(conn, TENANT) == stored
    assert llm_rows(crawled, TENANT) == set()
    with psycopg.connect(crawled) as conn:  # the crawl's own evidence stays
        assert conn.execute("select count(*) from icp.icp_evidence where source = 'crawl'").fetchone()[0] == 3


@pytest.mark.parametrize(
    "answer",
    [
        {"industries_served": "food", "buyer_titles": [], "integrations": [], "business_model": "b2b"},
        {"industries_served": [], "buyer_titles": [], "integrations": [], "business_model": "charity"},
        {"industries_served": [], "buyer_titles": [], "integrations": [], "extra": 1},
        {"industries_served": ["x" * 81]},
    ],
)
def test_schema_rejects_bad_answers(answer: dict) -> None:
    with pytest.raises(ValidationError):
        CompanyProfile.model_validate(answer)

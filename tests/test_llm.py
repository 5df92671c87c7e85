"""LLM evidence through the real langchain-openai client against a local OpenAI-compatible stub."""

from __future__ import annotations

import psycopg
import pytest
from llm_stub import OpenAIStub
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from icp_assets.demo.catalog import demo_intake
from icp_assets.intake import Intake, submit_intake
from icp_assets.llm import CompanyProfile, clear_tenant_evidence, extract_tenant_evidence
from icp_assets.stages import link_seeds_to_companies
from resources.llm import LlmResource

TENANT = "llm-tenant"
SNIPPETS = {
    "limbrosfood.com.sg": "We run food distribution across Singapore. Works with Xero and Shopify. Head of Operations",
    "harbourline.sg": "Warehouse platform integrated with NetSuite. Supply Chain Manager wanted.",
    "angseafood.com.sg": "MALFORMED page text",
}


@pytest.fixture
def crawled(fresh_database_url: str) -> str:
    """A tenant whose crawl left a snippet on three companies."""
    with psycopg.connect(fresh_database_url) as conn:
        submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, TENANT)
        for domain, snippet in SNIPPETS.items():
            conn.execute(
                "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, snippet, confidence)"
                " select %s, company_id, 'industry_served', %s, 'crawl', %s, 0.8 from icp.companies where domain = %s",
                (TENANT, Jsonb({"label": "x"}), snippet, domain),
            )
    return fresh_database_url


def _llm_rows(url: str) -> set[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return set(
            conn.execute(
                "select c.domain, e.signal_key, e.value ->> 'label' from icp.icp_evidence e"
                " join icp.companies c using (company_id) where e.tenant_id = %s and e.source = 'llm'",
                (TENANT,),
            ).fetchall()
        )


def test_answers_become_evidence_and_are_cached(crawled: str) -> None:
    with OpenAIStub() as stub, psycopg.connect(crawled, autocommit=True) as conn:
        client = LlmResource(api_key="test-key", base_url=stub.base_url, model="stub-model")
        first = extract_tenant_evidence(conn, TENANT, client.complete, client.model)
        rows_after_first = _llm_rows(crawled)
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
    assert _llm_rows(crawled) == rows_after_first


def test_turning_the_llm_off_clears_its_evidence(crawled: str) -> None:
    with OpenAIStub() as stub, psycopg.connect(crawled, autocommit=True) as conn:
        client = LlmResource(api_key="test-key", base_url=stub.base_url)
        extract_tenant_evidence(conn, TENANT, client.complete, client.model)
        assert _llm_rows(crawled)
        assert clear_tenant_evidence(conn, TENANT) > 0
    assert _llm_rows(crawled) == set()


def test_llm_is_off_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert not LlmResource().enabled()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert LlmResource().enabled()


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

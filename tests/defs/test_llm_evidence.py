"""llm_evidence with the resources the code location wires from the environment: off without
OPENAI_API_KEY (and earlier LLM evidence removed), on with it, against OPENAI_BASE_URL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support.crawled import llm_rows, materialize_llm_evidence, seed_crawled_tenant
from tests.support.llm_stub import OpenAIStub

TENANT = "llm-wiring"


@pytest.fixture
def stub(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    """A crawled tenant in a database ICP_DATABASE_URL names, and an OpenAI stub OPENAI_BASE_URL names."""
    seed_crawled_tenant(fresh_database_url, TENANT)
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    with OpenAIStub() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        yield running


def test_without_a_key_the_stage_is_off_and_clears_earlier_llm_evidence(
    stub: OpenAIStub, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with psycopg.connect(fresh_database_url) as conn:  # left by a run that had a key
        conn.execute(
            "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, confidence)"
            " select %s, company_id, 'integration', %s, 'llm', 0.6 from icp.companies where domain = 'harbourline.sg'",
            (TENANT, Jsonb({"label": "SAP"})),
        )
    metadata = materialize_llm_evidence(TENANT)
    assert (metadata["enabled"], metadata["removed"]) == (False, 1)
    assert stub.requests == []
    assert llm_rows(fresh_database_url, TENANT) == set()


def test_with_a_key_set_after_import_the_model_is_asked_and_answers_are_cached(
    stub: OpenAIStub, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    first = materialize_llm_evidence(TENANT)
    assert (first["enabled"], first["companies"], first["llm_calls"], first["invalid_answers"]) == (True, 3, 3, 1)
    assert {r["auth"] for r in stub.requests} == {"Bearer sk-from-env"}
    assert ("harbourline.sg", "integration", "NetSuite") in llm_rows(fresh_database_url, TENANT)
    assert first["evidence_rows"] == len(llm_rows(fresh_database_url, TENANT))

    second = materialize_llm_evidence(TENANT)
    assert (second["llm_calls"], second["cache_hits"]) == (1, 2)  # the invalid answer is asked again
    assert second["tokens_saved_by_cache"] > 0

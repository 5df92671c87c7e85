"""llm_evidence, wired from the environment, while the model answers HTTP 500 to everything: the
materialization succeeds, its metadata names the failures, the companies keep their last good
answers and nothing is cached for the failed calls."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.crawled import llm_rows, materialize_llm_evidence, seed_crawled_tenant
from tests.support.llm_stub import OpenAIStub, StubReply

TENANT = "llm-outage"


def test_a_model_outage_ends_in_a_successful_run_that_says_what_failed(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_crawled_tenant(fresh_database_url, TENANT)
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with OpenAIStub() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        first = materialize_llm_evidence(TENANT)
        assert first["failures"] == {"schema_error": 1}  # the stub's MALFORMED company
        rows = llm_rows(fresh_database_url, TENANT)
        with psycopg.connect(fresh_database_url) as conn:
            # Every company's crawl text changes, so every one needs a new answer, and the model is down.
            conn.execute("update icp.icp_evidence set snippet = snippet || ' Now on Stripe.' where source = 'crawl'")
            cached = conn.execute("select count(*) from icp.llm_cache").fetchone()[0]
        stub.script = lambda prompt, n: StubReply(status=500)
        second = materialize_llm_evidence(TENANT)
    with psycopg.connect(fresh_database_url) as conn:
        outcomes = conn.execute(
            "select c.domain, o.stale, o.failure from icp.llm_outcomes o join icp.companies c using (company_id)"
            " where o.tenant_id = %s order by 1",
            (TENANT,),
        ).fetchall()
        assert conn.execute("select count(*) from icp.llm_cache").fetchone()[0] == cached
    assert second["failures"] == {"http_500": 3} and second["failed_companies"] == 3
    assert second["stale_companies"] == 2 and second["evidence_rows"] == 0
    assert llm_rows(fresh_database_url, TENANT) == rows  # the last good answers stay
    assert outcomes == [
        ("angseafood.com.sg", False, "http_500"),  # never had a good answer: nothing stale to keep
        ("harbourline.sg", True, "http_500"),
        ("limbrosfood.com.sg", True, "http_500"),
    ]

"""LLM faults through the real langchain-openai client against the local stub: HTTP 500, 429, a
timeout, an answer that is not JSON and one that breaks the schema each leave the company with its
last good answer, cache nothing, are counted by kind, and the stage goes on."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest

from icp_assets.domain import llm
from icp_assets.domain.llm import cache_key, company_texts, extract_tenant_evidence
from resources.llm import LlmResource
from tests.support.crawled import llm_rows, seed_crawled_tenant
from tests.support.llm_stub import OpenAIStub, StubReply

TENANT = "llm-faults"
MODEL = "stub-model"
FAULTY = "harbourline.sg"  # its crawl text changes after the first run, so the next run asks about it again
NEW_TEXT = "Warehouse platform integrated with SAP and NetSuite. Head of Logistics."

FAULTS = {
    "http_500": StubReply(status=500),
    "http_429": StubReply(status=429, headers=(("Retry-After", "0"),)),
    "timeout": StubReply(delay_s=2.0),
    "invalid_json": StubReply(content="{'industries_served': [unterminated"),
    "schema_error": StubReply(content=json.dumps({"industries": "not a list", "mood": "confident"})),
}


def _client(stub: OpenAIStub) -> LlmResource:
    """Short timeout and one retry: a fault costs about a second."""
    return LlmResource(api_key="test-key", base_url=stub.base_url, model=MODEL, timeout_s=0.5, max_retries=1)


@pytest.fixture
def crawled(fresh_database_url: str) -> str:
    """A crawled tenant with two companies the stub answers well (the MALFORMED one left out)."""
    seed_crawled_tenant(fresh_database_url, TENANT)
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute(
            "delete from icp.icp_evidence where company_id = (select company_id from icp.companies where domain = %s)",
            ("angseafood.com.sg",),
        )
    return fresh_database_url


def _company_id(conn: psycopg.Connection, domain: str) -> int:
    return conn.execute("select company_id from icp.companies where domain = %s", (domain,)).fetchone()[0]


def _change_crawl_text(conn: psycopg.Connection, domain: str) -> None:
    """A successful re-crawl found new text on the site: the model has to be asked again."""
    conn.execute(
        "update icp.icp_evidence set snippet = %s where tenant_id = %s and source = 'crawl' and company_id = %s",
        (NEW_TEXT, TENANT, _company_id(conn, domain)),
    )


def _outcome(conn: psycopg.Connection, domain: str) -> tuple:
    return conn.execute(
        "select last_success_at, stale, failure from icp.llm_outcomes where tenant_id = %s and company_id = %s",
        (TENANT, _company_id(conn, domain)),
    ).fetchone()


def _cache_keys(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select cache_key from icp.llm_cache")}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_fault_keeps_the_last_good_answer_and_caches_nothing(crawled: str, kind: str) -> None:
    with OpenAIStub() as stub, psycopg.connect(crawled, autocommit=True) as conn:
        client = _client(stub)
        first = extract_tenant_evidence(conn, TENANT, client.complete, client.model)
        assert (first.calls, first.failures, first.stale_companies) == (2, {}, 0)
        rows_before = llm_rows(crawled, TENANT)
        assert (FAULTY, "integration", "NetSuite") in rows_before
        good_since = _outcome(conn, FAULTY)[0]
        cached_before = _cache_keys(conn)

        _change_crawl_text(conn, FAULTY)
        failing_key = cache_key(MODEL, company_texts(conn, TENANT)[_company_id(conn, FAULTY)])
        stub.script = lambda prompt, n: FAULTS[kind] if "SAP" in prompt else None
        asked_before = len(stub.requests)
        counts = extract_tenant_evidence(conn, TENANT, client.complete, client.model)

        assert counts.failures == {kind: 1}
        assert (counts.calls, counts.cache_hits, counts.stale_companies) == (1, 1, 1)
        assert counts.invalid_answers == (1 if kind in ("invalid_json", "schema_error") else 0)
        assert llm_rows(crawled, TENANT) == rows_before  # the earlier answer stays, the other company's too
        assert _cache_keys(conn) == cached_before and failing_key not in cached_before
        assert _outcome(conn, FAULTY) == (good_since, True, kind)
        # Retries are bounded: the client's one retry for faults it retries, none for a bad answer.
        retried = kind in ("http_500", "http_429", "timeout")
        assert len(stub.requests) - asked_before == (2 if retried else 1)

        # The fault clears: the new answer replaces the old one and is cached.
        stub.script = None
        healed = extract_tenant_evidence(conn, TENANT, client.complete, client.model)
        assert (healed.failures, healed.stale_companies) == ({}, 0)
        assert (FAULTY, "integration", "SAP") in llm_rows(crawled, TENANT)
        assert failing_key in _cache_keys(conn)
        last_success, stale, failure = _outcome(conn, FAULTY)
        assert last_success > good_since and (stale, failure) == (False, None)


def test_a_company_that_never_had_an_answer_keeps_only_deterministic_evidence(crawled: str) -> None:
    with OpenAIStub(script=lambda prompt, n: FAULTS["http_500"] if "NetSuite" in prompt else None) as stub:
        with psycopg.connect(crawled, autocommit=True) as conn:
            client = _client(stub)
            counts = extract_tenant_evidence(conn, TENANT, client.complete, client.model)
            outcome = _outcome(conn, FAULTY)
            crawl_rows = conn.execute(
                "select count(*) from icp.icp_evidence where tenant_id = %s and source = 'crawl' and company_id = %s",
                (TENANT, _company_id(conn, FAULTY)),
            ).fetchone()[0]
    assert counts.failures == {"http_500": 1} and counts.stale_companies == 0
    assert not {row for row in llm_rows(crawled, TENANT) if row[0] == FAULTY}
    assert ("limbrosfood.com.sg", "integration", "Xero") in llm_rows(crawled, TENANT)
    assert outcome == (None, False, "http_500") and crawl_rows == 1


def test_after_consecutive_call_failures_the_rest_are_not_asked(crawled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "MAX_CONSECUTIVE_CALL_FAILURES", 1)
    asked: list[str] = []

    def down(system: str, user: str) -> llm.Completion:
        asked.append(user)
        raise ConnectionError("connection refused")

    complete: Callable[[str, str], llm.Completion] = down
    with psycopg.connect(crawled, autocommit=True) as conn:
        counts = extract_tenant_evidence(conn, TENANT, complete, MODEL)
        cached = conn.execute("select count(*) from icp.llm_cache").fetchone()[0]
    assert len(asked) == 1 and counts.calls == 1
    assert counts.failures == {"connection_error": 1, "not_asked": 1}
    assert cached == 0 and llm_rows(crawled, TENANT) == set()

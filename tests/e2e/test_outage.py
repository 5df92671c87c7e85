"""End to end, as an operator would see it: a tenant run crawls the demo sites, then the tenant is
re-run while every website is unreachable. Its evidence and cards are unchanged, the failures and
staleness are recorded, and the cards say their evidence is stale and from when."""

from __future__ import annotations

import json

import dagster as dg
import psycopg
import pytest

from demo.catalog import all_companies, demo_intake
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.domain.cards.publish import latest_cards
from icp_assets.domain.cards.render import format_cards
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.runs import run_tenant
from tests.support.llm_stub import OpenAIStub, StubReply

pytestmark = pytest.mark.slow

TENANT = "outage"
STALE_KEYS = ("stale_evidence", "stale_customers", "evidence_as_of")


def _evidence(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select * from icp.icp_evidence where tenant_id = %s order by evidence_id", (TENANT,)
        ).fetchall()


def _facts(rows: list[tuple]) -> list[str]:
    """Evidence rows without their id and time (registry and LLM rows are rewritten by every run)."""
    return sorted(repr(row[2:10]) for row in rows)


def _metadata(result: dg.ExecuteInProcessResult, node: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


@pytest.fixture(scope="module")
def outage(registry_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    url = registry_database
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ICP_HOME", str(tmp_path_factory.mktemp("icp_home")))
        env.setenv("ICP_CRAWL_DELAY", "0")
        instance = dg.DagsterInstance.ephemeral()
        with psycopg.connect(url) as conn:
            submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), "test")
        with OpenAIStub() as llm:
            env.setenv("OPENAI_API_KEY", "test-key")
            env.setenv("OPENAI_BASE_URL", llm.base_url)
            with VirtualHostServer(build_sites(all_companies())) as sites:
                env.setenv("ICP_CRAWL_HOST_MAP", json.dumps(sites.host_map()))
                good = run_tenant(instance, url, TENANT)
            with psycopg.connect(url) as conn:
                before = {
                    "cards": latest_cards(conn, TENANT),
                    "crawl_outcomes": conn.execute(
                        "select site_url, last_success_at from icp.crawl_outcomes where tenant_id = %s", (TENANT,)
                    ).fetchall(),
                }
            before["evidence"] = _evidence(url)
            # The sites are gone (the server stopped: every connection is refused), the pages cached
            # are past the re-crawl period, and the LLM answers 500 to anything it is asked.
            with psycopg.connect(url) as conn:
                conn.execute("update icp.crawl_cache set stored_at = stored_at - interval '1 year'")
            llm.script = lambda prompt, n: StubReply(status=500)
            down = run_tenant(instance, url, TENANT)
        with psycopg.connect(url) as conn:
            after = {
                "cards": latest_cards(conn, TENANT),
                "crawl_outcomes": conn.execute(
                    "select site_url, last_success_at, stale, pages_fetched, http_errors + timeouts, issues"
                    " from icp.crawl_outcomes where tenant_id = %s",
                    (TENANT,),
                ).fetchall(),
                "evidence": _evidence(url),
                "table": format_cards(TENANT, latest_cards(conn, TENANT)),
            }
    return {"good": good, "down": down, "before": before, "after": after}


def test_both_runs_succeed_and_pass_every_check(outage: dict) -> None:
    for run in (outage["good"], outage["down"]):
        assert run.success
        failed = [
            f"{e.asset_key.to_user_string()}:{e.check_name}" for e in run.get_asset_check_evaluations() if not e.passed
        ]
        assert failed == []


def test_the_outage_run_keeps_every_evidence_row(outage: dict) -> None:
    before, after = outage["before"]["evidence"], outage["after"]["evidence"]
    assert before and _facts(after) == _facts(before)
    crawl = [row for row in before if row[5] == "crawl"]
    assert crawl and [row for row in after if row[5] == "crawl"] == crawl  # the very same crawl rows


def test_the_outage_is_recorded_per_site_with_the_time_of_the_last_success(outage: dict) -> None:
    last_good = dict(outage["before"]["crawl_outcomes"])
    outcomes = outage["after"]["crawl_outcomes"]
    assert outcomes and len(outcomes) == len(last_good)
    for site, last_success, stale, pages, failures, issues in outcomes:
        assert (stale, pages, last_success) == (True, 0, last_good[site])
        assert failures > 0 and issues
    metadata = _metadata(outage["down"], "crawl_evidence")
    assert sorted(metadata["blocked_sites"]) == sorted(last_good)
    assert set(metadata["stale_sites"]) == set(last_good)
    assert metadata["evidence_rows"] == 0 and metadata["evidence_kept_from_earlier_crawls"] > 0


def test_the_cards_are_unchanged_and_say_their_evidence_is_stale(outage: dict) -> None:
    before, after = outage["before"]["cards"], outage["after"]["cards"]
    assert len(before) >= 3
    assert [{k: v for k, v in c.items() if k not in STALE_KEYS} for c in after] == [
        {k: v for k, v in c.items() if k not in STALE_KEYS} for c in before
    ]
    assert not any(c["stale_evidence"] for c in before)
    first_success = min(at for _, at in outage["before"]["crawl_outcomes"] if at is not None)
    for card in after:
        assert card["stale_evidence"] and set(card["stale_customers"]) == set(card["seed_names"])
        assert card["evidence_as_of"][:10] == first_success.date().isoformat()
    badge = f"[stale evidence from {first_success.date().isoformat()}]"
    assert outage["after"]["table"].count(badge) == len(after)
    preview = _metadata(outage["down"], "suggestion_cards")["preview"]
    assert preview.count("_(stale evidence from") == len(after)


def test_the_llm_outage_changes_nothing_either(outage: dict) -> None:
    """Unchanged crawl text: every answer comes from the cache, nothing needs the failing model."""
    metadata = _metadata(outage["down"], "llm_evidence")
    assert metadata["failures"] == {} and metadata["llm_calls"] == 0 and metadata["cache_hits"] > 0

"""End to end: registry, intake, a tenant partition run with real crawl and dbt, cards out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from demo.catalog import DEMO_TENANT, all_companies, demo_intake
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.cli import main
from icp_assets.domain.cards.accept import RULE_KEYS
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.platform.database import dagster_database_url, drop_database
from icp_assets.runs import run_tenant
from resources.postgres import PostgresResource
from sensors.new_intake import new_intake_sensor
from tests.support.llm_stub import OpenAIStub

pytestmark = pytest.mark.slow

ICP = str(Path(sys.executable).with_name("icp"))

STAGE_TABLES = [
    "icp.companies",
    "icp.seed_matches",
    "icp.crawl_pages",
    "icp.crawl_outcomes",
    "icp.icp_evidence",
    "intermediate.int_seed_attributes",
    "marts.icp_patterns",
    "marts.icp_suggestions",
    "marts.icp_negative_icp",
    "icp.icp_suggestions",
    "icp.llm_cache",
]


@pytest.fixture(scope="module")
def demo_run(registry_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """On a database with a small registry loaded, serve the demo sites, submit the demo intake and
    run its partition."""
    database_url = registry_database
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ICP_HOME", str(tmp_path_factory.mktemp("icp_home")))
        instance = dg.DagsterInstance.ephemeral()
        with VirtualHostServer(build_sites(all_companies())) as sites, OpenAIStub() as llm:
            env.setenv("ICP_CRAWL_HOST_MAP", json.dumps(sites.host_map()))
            env.setenv("ICP_CRAWL_DELAY", "0")  # local fixture sites: no politeness needed
            env.setenv("OPENAI_API_KEY", "test-key")
            env.setenv("OPENAI_BASE_URL", llm.base_url)
            with psycopg.connect(database_url) as conn:
                submit_intake(conn, DEMO_TENANT, Intake.model_validate(demo_intake()), "test")
            first = run_tenant(instance, database_url, DEMO_TENANT)
            counts_after_first = _counts(database_url)
            # The second run goes through `icp run`: the persistent Dagster instance in PostgreSQL.
            for name in ("DAGSTER_HOME", "ICP_DAGSTER_DATABASE_URL"):
                env.setenv(name, os.environ.get(name, ""))
            second_exit = main(["run", "--tenant", DEMO_TENANT])
            stored = dg.DagsterInstance.get()
            stored_runs = stored.get_runs(
                filters=dg.RunsFilter(job_name="tenant_refresh", tags={"dagster/partition": DEMO_TENANT})
            )
            # The daemon starting now: its sensor finds the intake already run by `icp run`.
            with dg.build_sensor_context(
                instance=stored, resources={"postgres": PostgresResource(database_url=database_url)}
            ) as context:
                sensor_after_cli = new_intake_sensor(context)
            # Two `icp run`s of the tenant at once.
            # stderr to files, not pipes: a pipe left unread could stall the run holding the tenant's lock.
            logs = [tmp_path_factory.mktemp("icp_run") / "stderr.log" for _ in range(2)]
            both = [
                subprocess.Popen(
                    [ICP, "run", "--tenant", DEMO_TENANT], stdout=subprocess.DEVNULL, stderr=log.open("wb")
                )
                for log in logs
            ]
            concurrent_exits = [p.wait(timeout=600) for p in both]
            outputs = [log.read_text(errors="replace") for log in logs]
            concurrent_runs = stored.get_run_records(
                filters=dg.RunsFilter(job_name="tenant_refresh", tags={"dagster/partition": DEMO_TENANT}), limit=2
            )
            counts_after_concurrent = _counts(database_url)
            drop_database(dagster_database_url(database_url))
    return {
        "first": first,
        "second_exit": second_exit,
        "stored_runs": stored_runs,
        "counts": counts_after_first,
        "sensor_after_cli": sensor_after_cli,
        "concurrent_exits": concurrent_exits,
        "concurrent_stderr_tails": [out[-3000:] for out in outputs],
        "concurrent_runs": concurrent_runs,
        "counts_after_concurrent": counts_after_concurrent,
        "url": database_url,
    }


def test_a_daemon_started_after_icp_run_requests_no_second_run(demo_run: dict) -> None:
    assert demo_run["second_exit"] == 0
    # (Only the demo tenant's run requests matter here.)
    assert not [r for r in demo_run["sensor_after_cli"].run_requests if r.partition_key == DEMO_TENANT]


def test_two_runs_of_one_tenant_at_once_are_serialised_without_duplicate_rows(demo_run: dict) -> None:
    assert demo_run["concurrent_exits"] == [0, 0], demo_run["concurrent_stderr_tails"]
    later, earlier = demo_run["concurrent_runs"]  # newest first
    assert earlier.dagster_run.status == later.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert earlier.end_time <= later.start_time  # one after the other, never both at once
    # Same intake, same evidence: re-runs replace rows, so the tables hold what one run wrote.
    assert demo_run["counts_after_concurrent"] == demo_run["counts"] | {
        "icp.llm_cache": demo_run["counts_after_concurrent"]["icp.llm_cache"]
    }


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in STAGE_TABLES}


def test_partition_run_fills_every_stage_and_passes_every_check(demo_run: dict) -> None:
    assert demo_run["first"].success
    empty = [table for table, n in demo_run["counts"].items() if n == 0]
    assert not empty
    evaluations = demo_run["first"].get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert {"match_rate_sla", "mapping_time_sla", "cards_cite_evidence"} <= names and len(names) > 10  # dbt tests too
    assert sorted(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed) == []


def test_seeds_match_the_registry(demo_run: dict) -> None:
    with psycopg.connect(demo_run["url"]) as conn:
        statuses = dict(
            conn.execute(
                "select status, count(*) from icp.seed_matches where tenant_id = %s group by status", (DEMO_TENANT,)
            ).fetchall()
        )
        ssic = conn.execute(
            "select e.value ->> 'code' from icp.icp_evidence e join icp.companies c using (company_id)"
            " where e.tenant_id = %s and e.signal_key = 'ssic' and c.domain = 'harbourline.sg'",
            (DEMO_TENANT,),
        ).fetchone()
    assert statuses.get("matched", 0) >= 0.8 * 11
    assert ssic == ("52101",)


def test_crawl_found_planted_evidence(demo_run: dict) -> None:
    with psycopg.connect(demo_run["url"]) as conn:
        integrations = {
            r[0]
            for r in conn.execute(
                "select e.value ->> 'label' from icp.icp_evidence e join icp.companies c using (company_id)"
                " where e.tenant_id = %s and e.signal_key = 'integration' and c.domain = 'kallangcoldchain.com'",
                (DEMO_TENANT,),
            )
        }
        emails = conn.execute(
            "select count(*) from icp.icp_evidence where snippet ~ '[A-Za-z0-9._+-]@' or value::text ~ '[A-Za-z0-9._+-]@'"
        ).fetchone()[0]
    assert {"NetSuite", "Salesforce"} <= integrations
    assert emails == 0


def test_cards_carry_ssic_integrations_champions_and_evidence(
    demo_run: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["suggestions", "--tenant", DEMO_TENANT, "--format", "json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert len(cards) >= 3
    for card in cards:
        assert card["ssic_codes"] and all(card["ssic_titles"])
        assert card["integrations"] and card["champion_titles"]
        assert card["evidence_count"] > 0
    covered = [set(c["ssic_codes"]) for c in cards]
    assert any({"52101", "52102"} & codes for codes in covered)
    assert any({"46302", "46303", "46307"} & codes for codes in covered)


def test_rerun_through_the_cli_is_idempotent_and_stored(demo_run: dict) -> None:
    assert demo_run["second_exit"] == 0
    assert [run.status for run in demo_run["stored_runs"]] == [dg.DagsterRunStatus.SUCCESS]
    assert _counts(demo_run["url"]) == demo_run["counts"]


def test_table_output_and_accept(demo_run: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggestions", "--tenant", DEMO_TENANT, "--format", "json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert main(["suggestions", "--tenant", DEMO_TENANT]) == 0
    table = capsys.readouterr().out
    for card in cards:  # the table shows the same cards, best first
        assert f"#{card['rank']} {card['title']}" in table and f"(id {card['suggestion_id']})" in table
    best = cards[0]
    assert main(["accept", "--tenant", DEMO_TENANT, "--suggestion", best["suggestion_id"], "--by", "lead"]) == 0
    rule_id = int(capsys.readouterr().out)
    assert main(["accept", "--tenant", DEMO_TENANT, "--suggestion", "no-such-card"]) == 2
    with psycopg.connect(demo_run["url"]) as conn:
        rules = conn.execute(
            "select rule_id, rule, accepted_by from icp.icp_rules where suggestion_id = %s", (best["suggestion_id"],)
        ).fetchall()
        audit = conn.execute(
            "select actor, details ->> 'rule_id' from icp.audit_log where action = 'accept_suggestion'"
        ).fetchall()
    assert len(rules) == 1 and rules[0][0] == rule_id and rules[0][2] == "lead"
    assert rules[0][1] == {k: best[k] for k in RULE_KEYS}  # what the card defines, audience included
    assert audit == [("lead", str(rule_id))]


def test_tenant_run_orders_dbt_after_crawl(demo_run: dict) -> None:
    """The dbt step must see the crawl's evidence: cards carry crawled integrations."""
    with psycopg.connect(demo_run["url"]) as conn:
        namespaces = {
            r[0]
            for r in conn.execute(
                "select distinct namespace from intermediate.int_seed_attributes where tenant_id = %s", (DEMO_TENANT,)
            )
        }
    assert {"ssic5", "integration", "buyer_title", "size_band"} <= namespaces


def test_llm_evidence_joins_the_crawl(demo_run: dict) -> None:
    with psycopg.connect(demo_run["url"]) as conn:
        llm_integrations = conn.execute(
            "select count(*) from icp.icp_evidence where tenant_id = %s and source = 'llm' and signal_key = 'integration'",
            (DEMO_TENANT,),
        ).fetchone()[0]
    assert llm_integrations > 0

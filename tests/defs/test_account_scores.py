"""The account_scores asset: a tenant's run crawls the accounts `icp score` left pending (at most
crawl_limit a run, another tenant's never), regrades every account and counts them by grade."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import dagster as dg
import psycopg
import pytest

from demo.scoring_world import COLD_CHAIN_CARD, FOOD_CARD, account_sites, accounts_csv, labelled_accounts
from demo.vhost import VirtualHostServer
from icp_assets.definitions import defs
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.scoring import account_scores
from icp_assets.domain import scoring
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource
from tests.support.scoring import load_accounts_registry, matcher, tenant_with_card

A, B = "scoreasset-a", "scoreasset-b"
ACCOUNTS = labelled_accounts(seed=31)
MINE = [a for a in ACCOUNTS if a.kind in ("in_icp", "near_miss") and a.company.ssic.startswith("463")][:3]
MINE.append(next(a for a in ACCOUNTS if a.kind == "blocked_in"))
THEIRS = [next(a for a in ACCOUNTS if a.kind == "in_icp" and a.company.ssic.startswith("521"))]


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    with VirtualHostServer(account_sites(ACCOUNTS)) as running:
        yield running


@pytest.fixture(scope="module")
def world(make_database: Callable[[], str], server: VirtualHostServer, tmp_path_factory: pytest.TempPathFactory):
    """Two tenants whose accounts are all pending (listed, not crawled), and a way to run A's asset."""
    url = make_database()
    home = tmp_path_factory.mktemp("home")
    with psycopg.connect(url) as conn:
        load_accounts_registry(conn, ACCOUNTS)
        conn.commit()  # the matcher's index is built from another connection
        found = matcher(url, home / "index")
        for tenant, card, accounts in ((A, FOOD_CARD, MINE), (B, COLD_CHAIN_CARD, THEIRS)):
            tenant_with_card(conn, tenant, card, accept=True)
            parsed = scoring.parse_accounts(accounts_csv(accounts).encode(), (80, 443))
            scoring.submit_accounts(conn, tenant, parsed, found)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [A, B])
    resources = {
        "postgres": PostgresResource(database_url=url),
        "crawler": CrawlerResource(
            host_map_json=json.dumps(server.host_map()), delay_s=0, page_cap=8, database_url=url
        ),
    }

    def run(crawl_limit: int) -> dict:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("ICP_HOME", str(home))
            result = dg.materialize(
                [account_scores],
                partition_key=A,
                resources=resources,
                instance=instance,
                run_config=dg.RunConfig({"account_scores": {"config": {"crawl_limit": crawl_limit}}}),
            )
        assert result.success
        return {k: v.value for k, v in result.asset_materializations_for_node("account_scores")[0].metadata.items()}

    return {"url": url, "run": run}


def _accounts(url: str, tenant: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        return {
            name: tuple(rest)
            for name, *rest in conn.execute(
                "select name, crawl_status, grade, unknown from icp.account_scores where tenant_id = %s", (tenant,)
            )
        }


def test_pending_accounts_are_crawled_within_the_limit_and_all_regraded(world: dict, server: VirtualHostServer) -> None:
    first = world["run"](crawl_limit=3)
    assert (first["sites_crawled"], first["sites_failed"], first["still_pending"]) == (3, 0, 1)
    assert first["accounts"] == 4 and first["graded_against"] == "rules" and first["rules"] == 1
    assert sum(first[f"grade_{g}"] for g in scoring.GRADES) == 4
    accounts = _accounts(world["url"], A)
    assert [accounts[a.name][0] for a in MINE] == ["crawled", "crawled", "crawled", "pending"]
    assert accounts[MINE[0].name][1] in ("A", "B")

    second = world["run"](crawl_limit=3)
    assert (second["sites_crawled"], second["sites_failed"], second["still_pending"]) == (0, 1, 0)
    blocked = _accounts(world["url"], A)[MINE[3].name]
    assert blocked[0] == "failed" and blocked[1] == "C"  # its ACRA industry fits; its site told nothing
    assert {u["reason"] for u in blocked[2]} == {"its site could not be crawled: robots.txt disallows crawling it"}
    assert (second["grade_C"], second["grade_unknown"]) == (first["grade_C"], 0)

    # Tenant B's account was never crawled nor graded by A's runs.
    assert {h.host for h in server.hits()} == {a.company.domain for a in MINE}
    assert [(status, grade) for status, grade, _ in _accounts(world["url"], B).values()] == [("pending", None)]


def test_the_tenant_job_runs_each_asset_definition_in_one_step() -> None:
    """The scoring models read a table written after the cards: as a dbt asset of their own they
    run after account_scores, and no loop through the Python assets splits the tenant models'
    dbt asset into several steps (a split misplaces tests that read two models)."""
    definitions = defs()
    job = definitions.resolve_job_def("tenant_refresh")
    assert sorted(job.graph.node_dict) == sorted(
        ad.node_def.name
        for ad in definitions.resolve_asset_graph().assets_defs
        if ad.is_executable and ad.partitions_def == tenant_partitions
    )
    graph = definitions.resolve_asset_graph()
    assert dg.AssetKey("account_scores") in graph.get(dg.AssetKey("stg_icp__account_scores")).parent_keys
    assert dg.AssetKey("suggestion_cards") in graph.get(dg.AssetKey("account_scores")).parent_keys

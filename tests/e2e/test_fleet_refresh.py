"""The nightly refresh of every tenant in one run (`icp run --all`): each tenant's collection, one
dbt build of the tenants whose inputs changed, their cards published; run again with nothing
changed, it fetches no page and builds no tenant."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import psycopg
import pytest

from demo.catalog import all_companies, demo_intake, refined_demo_intake
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.platform.instance import DAGSTER_EVENT_SETTINGS
from icp_assets.runs import run_fleet

pytestmark = pytest.mark.slow

FIRST, SECOND = "fleet-one", "fleet-two"


def _builds(url: str) -> dict[str, tuple[datetime, datetime | None]]:
    """tenant -> (built_at, published_at) of its tenant models."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select tenant_id, built_at, published_at from icp.tenant_builds"
            " where models = 'tenant' and tenant_id in (%s, %s)",
            (FIRST, SECOND),
        ).fetchall()
    return {tenant: (built, published) for tenant, built, published in rows}


def _cards(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "select tenant_id, count(*) from icp.icp_suggestions where tenant_id in (%s, %s) group by tenant_id",
                (FIRST, SECOND),
            ).fetchall()
        )


def _submit(url: str, tenant: str, intake: dict) -> None:
    with psycopg.connect(url) as conn:
        submit_intake(conn, tenant, Intake.model_validate(intake), "test")


@pytest.fixture(scope="module")
def nights(registry_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    database_url = registry_database
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ICP_HOME", str(tmp_path_factory.mktemp("icp_home")))
        env.delenv("OPENAI_API_KEY", raising=False)
        for name, value in DAGSTER_EVENT_SETTINGS.items():  # as `icp` sets them for its runs
            env.setenv(name, value)
        instance = dg.DagsterInstance.ephemeral()
        with VirtualHostServer(build_sites(all_companies())) as sites:
            env.setenv("ICP_CRAWL_HOST_MAP", json.dumps(sites.host_map()))
            env.setenv("ICP_CRAWL_DELAY", "0")
            _submit(database_url, FIRST, demo_intake())
            _submit(database_url, SECOND, refined_demo_intake())
            instance.add_dynamic_partitions(tenant_partitions.name, [FIRST, SECOND])

            first = run_fleet(instance, console_level="WARNING")
            night_one = {"hits": len(sites.hits()), "builds": _builds(database_url), "cards": _cards(database_url)}
            second = run_fleet(instance, console_level="WARNING")
            night_two = {"hits": len(sites.hits()), "builds": _builds(database_url)}
            # Only the second tenant changes: a new intake (the first tenant's intake, as it happens).
            _submit(database_url, SECOND, demo_intake())
            third = run_fleet(instance, console_level="WARNING")
            night_three = {"hits": len(sites.hits()), "builds": _builds(database_url), "cards": _cards(database_url)}
    return {"runs": (first, second, third), "nights": (night_one, night_two, night_three), "instance": instance}


def test_the_first_night_collects_builds_and_publishes_every_tenant(nights: dict) -> None:
    first = nights["runs"][0]
    night = nights["nights"][0]
    assert first.success
    assert night["hits"] > 0
    assert set(night["builds"]) == {FIRST, SECOND}
    assert all(published is not None and published >= built for built, published in night["builds"].values())
    assert night["cards"].get(FIRST, 0) > 0 and night["cards"].get(SECOND, 0) > 0


def test_a_fleet_run_plans_each_asset_once_and_records_each_tenants_materializations(nights: dict) -> None:
    """One planned event per asset naming every tenant (not one per asset and tenant, which costs
    minutes for a fleet), while each tenant still gets its own materialization."""
    first = nights["runs"][0]
    planned = nights["instance"].all_logs(first.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    planned_assets = [entry.dagster_event.asset_key for entry in planned]
    assert len(planned_assets) == len(set(planned_assets)) > 0
    cards = first.asset_materializations_for_node("suggestion_cards")
    assert sorted(m.partition for m in cards) == [FIRST, SECOND]


def test_a_second_night_with_nothing_stale_fetches_no_page_and_builds_no_tenant(nights: dict) -> None:
    second = nights["runs"][1]
    one, two = nights["nights"][0], nights["nights"][1]
    assert second.success
    assert two["hits"] == one["hits"]
    assert two["builds"] == one["builds"]  # neither built_at nor published_at moved
    dbt_outputs = [
        e for e in second.all_events if e.is_successful_output and (e.step_key or "").startswith("dbt_tenant_models")
    ]
    assert dbt_outputs == []


def test_a_tenant_with_a_new_intake_is_the_only_one_built(nights: dict) -> None:
    third = nights["runs"][2]
    two, three = nights["nights"][1], nights["nights"][2]
    assert third.success
    assert three["builds"][FIRST] == two["builds"][FIRST]
    assert three["builds"][SECOND][0] > two["builds"][SECOND][0]
    assert three["builds"][SECOND][1] >= three["builds"][SECOND][0]  # and its cards published after
    assert three["hits"] == two["hits"]  # the same sites, crawled within the re-crawl period

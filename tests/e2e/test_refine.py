"""Journey 4, refine and compare: a refined intake with four more customers and an excluded SSIC
group gives cards without that group, audiences that leave it out, and a comparison that lists
what changed."""

from __future__ import annotations

import json
import re

import dagster as dg
import psycopg
import pytest

from demo.catalog import DEMO_SSIC_DIR, DEMO_TENANT, all_companies, demo_intake, refined_demo_intake
from demo.synthetic_registry import generate_acra_csvs
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.cli import EXIT_OK, main
from icp_assets.definitions import defs
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.runs import run_tenant

pytestmark = pytest.mark.slow

FOOD_GROUP = "463"  # the refined intake's new exclusion: the food wholesalers of the first intake


@pytest.fixture(scope="module")
def refined(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the demo intake, then the refined one, for the demo tenant; keep both intakes' ids."""
    acra_dir = tmp_path_factory.mktemp("acra")
    generate_acra_csvs(acra_dir, entities=3000, seed=11, extra=all_companies())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ICP_ACRA_DIR", str(acra_dir))
        env.setenv("ICP_HOME", str(tmp_path_factory.mktemp("icp_home")))
        env.setenv("ICP_SSIC_DIR", str(DEMO_SSIC_DIR))
        env.delenv("OPENAI_API_KEY", raising=False)
        instance = dg.DagsterInstance.ephemeral()
        assert defs().resolve_job_def("registry_refresh").execute_in_process(instance=instance).success
        with VirtualHostServer(build_sites(all_companies())) as sites:
            env.setenv("ICP_CRAWL_HOST_MAP", json.dumps(sites.host_map()))
            env.setenv("ICP_CRAWL_DELAY", "0")
            ids = []
            for intake in (demo_intake(), refined_demo_intake()):
                with psycopg.connect(database_url) as conn:
                    ids.append(submit_intake(conn, DEMO_TENANT, Intake.model_validate(intake), "test"))
                assert run_tenant(instance, database_url, DEMO_TENANT).success
    return {"url": database_url, "first": ids[0], "refined": ids[1]}


def _cards(url: str, response_id: int) -> list[dict]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s order by rank",
            (DEMO_TENANT, response_id),
        ).fetchall()
    return [row[0] for row in rows]


def _in_food_group(card: dict) -> bool:
    return any(code.startswith(FOOD_GROUP) for code in card["ssic_codes"] or []) or any(
        re.fullmatch(rf"ssic\d?:{FOOD_GROUP}\d*", attribute) for attribute in card["cluster"]
    )


def test_the_refined_intake_has_no_card_of_the_excluded_group(refined: dict) -> None:
    first, after = _cards(refined["url"], refined["first"]), _cards(refined["url"], refined["refined"])
    assert any(_in_food_group(card) for card in first)  # the first intake had one
    assert after and not any(_in_food_group(card) for card in after)
    assert {card["seeds_total"] for card in after} == {len(refined_demo_intake()["best_customers"])}


def test_every_audience_leaves_the_excluded_group_out(refined: dict) -> None:
    for card in _cards(refined["url"], refined["refined"]):
        assert f"AND NOT ssic3:{FOOD_GROUP}" in card["audience_expression"]
    with psycopg.connect(refined["url"]) as conn:
        expressions = conn.execute(
            "select audience_expression from marts.icp_targeting_pack where tenant_id = %s", (DEMO_TENANT,)
        ).fetchall()
    assert expressions and all(f"AND NOT ssic3:{FOOD_GROUP}" in e for (e,) in expressions)


def test_the_comparison_lists_what_changed(refined: dict, capsys: pytest.CaptureFixture) -> None:
    assert main(["suggestions", "--tenant", DEMO_TENANT, "--compare", "previous", "--format", "json"]) == EXIT_OK
    comparison = json.loads(capsys.readouterr().out)
    assert (comparison["response_id"], comparison["previous_response_id"]) == (refined["refined"], refined["first"])
    by_change: dict[str, list[dict]] = {}
    for change in comparison["changes"]:
        by_change.setdefault(change["change"], []).append(change)
    first = _cards(refined["url"], refined["first"])
    food = [card["suggestion_id"] for card in first if _in_food_group(card)]
    assert [c["suggestion_id"] for c in by_change["disappeared"]] == food
    # Four more customers: every card kept from the first intake counts them in its coverage.
    assert "unchanged" not in by_change and by_change["changed"]
    for change in by_change["changed"]:
        (_, before), (_, after) = change["changed_fields"]["coverage"].values()
        assert after == before + 4
    # Analysts read the same comparison from the mart.
    with psycopg.connect(refined["url"]) as conn:
        mart = conn.execute(
            "select suggestion_id, change from marts.icp_suggestion_changes where tenant_id = %s",
            (DEMO_TENANT,),
        ).fetchall()
    shown = {(c["suggestion_id"], c["change"]) for c in comparison["changes"] if c["change"] != "unchanged"}
    assert set(mart) == shown

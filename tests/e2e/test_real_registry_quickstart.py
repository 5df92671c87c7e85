"""The README's quick start on registry files in the real layouts, run as written: registry load,
intake, run, cards, with no other step. Then journey 4, refine and compare, as a user would go on:
a refined intake with four more customers and an excluded SSIC group gives cards without that group,
audiences that leave it out, and a comparison that lists what changed.

The ACRA files are the synthetic registry in data.gov.sg's layout and file names
(`ACRAInformationonCorporateEntitiesA.csv` ... `Others.csv`); the SSIC files are SingStat's own
xlsx from ../shared/data, or, where that folder is absent, xlsx written in SingStat's layout from the
demo's classification structure. The commands are read from README.md and run by bash in a folder
holding `.venv`, `downloads/` and `intake.json`; the crawler reaches the demo sites on 127.0.0.1.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import openpyxl
import psycopg
import pytest

from demo.catalog import DEMO_SSIC_DIR, DEMO_SSIC_TITLES, all_companies, demo_intake, refined_demo_intake
from demo.synthetic_registry import generate_acra_csvs
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.platform.database import dagster_database_url, drop_database

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[2]
SHARED_DATA = CHECKOUT.parent / "shared" / "data"
SSIC_FILES = ("ssic2020-classification-structure.xlsx", "ssic2020-alphabetical-index.xlsx")
ENTITIES = 3000
TENANT = "acme"  # the README's
FOOD_GROUP = "463"  # the refined intake's new exclusion: the food wholesalers of the first intake
REFINE_COMMANDS = [
    f".venv/bin/icp intake submit refined.json --tenant {TENANT}",
    f".venv/bin/icp run --tenant {TENANT}",
    f".venv/bin/icp suggestions --tenant {TENANT} --compare previous --format json",
]
# Settings of the test's own session that must not reach the user's commands.
NOT_INHERITED = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "DAGSTER_HOME",
    "ICP_DAGSTER_DATABASE_URL",
    "ICP_SSIC_DIR",
    *(f"ICP_PG_{part}" for part in ("HOST", "PORT", "USER", "PASSWORD", "DBNAME")),
)


def quickstart_commands() -> list[str]:
    """The shell block of the README's "Quick start on the real registry", one command a line."""
    section = (CHECKOUT / "README.md").read_text().split("### Quick start on the real registry", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def write_acra_release(downloads: Path, scratch: Path) -> int:
    """The synthetic registry under data.gov.sg's file names; returns its number of entities."""
    for path in generate_acra_csvs(scratch, entities=ENTITIES, seed=11, extra=all_companies()):
        letter = path.stem.removeprefix("acra_entities_")
        path.rename(downloads / f"ACRAInformationonCorporateEntities{letter.capitalize()}.csv")
    return ENTITIES + len(all_companies())


def write_ssic_files(downloads: Path) -> None:
    """SingStat's files, or xlsx in their layout (four banner rows, then the header) from the demo's codes."""
    if SHARED_DATA.is_dir():
        for name in SSIC_FILES:
            shutil.copy(SHARED_DATA / name, downloads / name)
        return
    with open(DEMO_SSIC_DIR / "ssic2020-classification-structure.csv", newline="", encoding="utf-8") as handle:
        structure = [tuple(row) for row in csv.reader(handle)][2:]  # after its banner and header
    index = [(code, f"{title} (activity)") for code, title in DEMO_SSIC_TITLES.items()]
    for name, header, rows in (
        (SSIC_FILES[0], ("SSIC 2020", "SSIC 2020 Title"), structure),
        (SSIC_FILES[1], ("SSIC 2020", "SSIC 2020 Alphabetical Index Description"), index),
    ):
        workbook = openpyxl.Workbook()
        for row in (("Singapore Standard Industrial Classification 2020",), ("Last updated",), ("DOS",), ()):
            workbook.active.append(row)
        workbook.active.append(header)
        for row in rows:
            workbook.active.append(row)
        workbook.save(downloads / name)


@pytest.fixture(scope="module")
def quickstart(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    url = make_database()
    work = tmp_path_factory.mktemp("quickstart")
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
    downloads = work / "downloads"
    downloads.mkdir()
    entities = write_acra_release(downloads, tmp_path_factory.mktemp("generated"))
    write_ssic_files(downloads)
    (work / "intake.json").write_text(json.dumps(demo_intake()))
    (work / "refined.json").write_text(json.dumps(refined_demo_intake()))
    home = tmp_path_factory.mktemp("icp_home")
    empty_acra_dir = tmp_path_factory.mktemp("acra_dir")  # only the files named on the command line load
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env |= {"ICP_DATABASE_URL": url, "ICP_HOME": str(home), "ICP_ACRA_DIR": str(empty_acra_dir)}
    steps = []
    with VirtualHostServer(build_sites(all_companies())) as sites:
        env |= {"ICP_CRAWL_HOST_MAP": json.dumps(sites.host_map()), "ICP_CRAWL_DELAY": "0"}
        for command in [*quickstart_commands(), *REFINE_COMMANDS]:
            done = subprocess.run(
                ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=900
            )
            steps.append(done)
            if done.returncode:
                break
    dagster_url = dagster_database_url(url)
    try:
        with pytest.MonkeyPatch.context() as patch:  # the instance `icp` wrote, as `make ui` reads it
            patch.setenv("ICP_DAGSTER_DATABASE_URL", dagster_url)
            with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
                materialized = {
                    key: instance.get_latest_materialization_event(dg.AssetKey(key))
                    for key in ("acra_entities", "ssic_codes", "match_index", "int_registry_segments")
                }
                load_run = instance.get_run_by_id(materialized["acra_entities"].run_id)
    finally:
        drop_database(dagster_url)
    return {
        "url": url,
        "steps": steps,
        "entities": entities,
        "downloads": downloads,
        "home": home,
        "materialized": materialized,
        "load_run": load_run,
    }


def test_the_quick_start_is_these_four_commands() -> None:
    assert [" ".join(c.split()[:3]) for c in quickstart_commands()] == [
        ".venv/bin/icp registry load",
        ".venv/bin/icp intake submit",
        ".venv/bin/icp run --tenant",
        ".venv/bin/icp suggestions --tenant",
    ]


def test_every_step_succeeds(quickstart: dict) -> None:
    failed = [f"{step.args[-1]}\n{step.stderr[-4000:]}" for step in quickstart["steps"] if step.returncode]
    assert not failed, failed[0]
    assert len(quickstart["steps"]) == 4 + len(REFINE_COMMANDS)


def test_registry_load_names_what_it_loaded_and_showed_progress(quickstart: dict) -> None:
    load = quickstart["steps"][0]
    assert f"acra_entities: {quickstart['entities']:,} rows read: {quickstart['entities']:,} inserted" in load.stdout
    assert re.search(r"ssic_codes: [0-9,]+ codes, [0-9,]+ index phrases", load.stdout)
    assert re.search(r"registry models: [1-9][0-9]* built", load.stdout)
    assert "registry ready" in load.stdout
    assert f"acra_entities: {quickstart['entities']:,} rows read" in load.stderr  # the progress line
    assert "Traceback" not in load.stderr


def test_the_registry_is_ready_and_the_dagster_instance_shows_it(quickstart: dict) -> None:
    with psycopg.connect(quickstart["url"]) as conn:
        live = conn.execute("select count(*) from intermediate.int_registry_live_entities").fetchone()[0]
        titled = conn.execute(
            "select count(*) from staging.stg_registry__ssic_codes where ssic_code = any(%s)", (list(DEMO_SSIC_TITLES),)
        ).fetchone()[0]
    assert live > 0 and titled == len(DEMO_SSIC_TITLES)
    assert list((quickstart["home"] / "match-index").glob("match-index-*.npz"))
    materialized = quickstart["materialized"]
    assert all(materialized.values()), [k for k, v in materialized.items() if v is None]
    downloaded = sorted(p.name for p in quickstart["downloads"].glob("ACRAInformationonCorporateEntities*.csv"))
    metadata = materialized["acra_entities"].asset_materialization.metadata
    assert metadata["full_release"].value is True and metadata["files"].value == len(downloaded) > 20
    # The run's config names the files given on the command line (ICP_ACRA_DIR is empty).
    files = quickstart["load_run"].run_config["ops"]["acra_entities"]["config"]["files"]
    assert sorted(Path(f).name for f in files) == downloaded


def test_suggestions_prints_cards_from_the_registry(quickstart: dict) -> None:
    out = quickstart["steps"][3].stdout
    count = re.match(r"acme: (\d+) micro-ICP suggestion", out)
    assert count and int(count.group(1)) >= 3, out
    assert re.search(r"SSIC\s+(52101|52102|46302|46303|46307) ", out), out  # the demo's segments, with titles
    assert "live ACRA companies match" in out


# --- journey 4: refine and compare -----------------------------------------------------------------


def intake_cards(url: str) -> tuple[list[dict], list[dict]]:
    """The published cards of the first and of the refined intake."""
    with psycopg.connect(url) as conn:
        first, refined = conn.execute(
            "select min(response_id), max(response_id) from icp.icp_intake_responses where tenant_id = %s", (TENANT,)
        ).fetchone()
        return tuple(
            [
                row[0]
                for row in conn.execute(
                    "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s order by rank",
                    (TENANT, response_id),
                )
            ]
            for response_id in (first, refined)
        )


def in_food_group(card: dict) -> bool:
    return any(code.startswith(FOOD_GROUP) for code in card["ssic_codes"] or []) or any(
        re.fullmatch(rf"ssic\d?:{FOOD_GROUP}\d*", attribute) for attribute in card["cluster"]
    )


def test_the_refined_intake_has_no_card_of_the_excluded_group(quickstart: dict) -> None:
    first, refined = intake_cards(quickstart["url"])
    assert any(in_food_group(card) for card in first)  # the first intake had one
    assert refined and not any(in_food_group(card) for card in refined)
    assert {card["seeds_total"] for card in refined} == {len(refined_demo_intake()["best_customers"])}


def test_every_audience_leaves_the_excluded_group_out(quickstart: dict) -> None:
    _, refined = intake_cards(quickstart["url"])
    for card in refined:
        assert f"AND NOT ssic3:{FOOD_GROUP}" in card["audience_expression"]
    with psycopg.connect(quickstart["url"]) as conn:
        expressions = conn.execute(
            "select audience_expression from marts.icp_targeting_pack where tenant_id = %s", (TENANT,)
        ).fetchall()
    assert expressions and all(f"AND NOT ssic3:{FOOD_GROUP}" in e for (e,) in expressions)


def test_the_comparison_lists_what_changed(quickstart: dict) -> None:
    comparison = json.loads(quickstart["steps"][-1].stdout)
    by_change: dict[str, list[dict]] = {}
    for change in comparison["changes"]:
        by_change.setdefault(change["change"], []).append(change)
    first, _ = intake_cards(quickstart["url"])
    assert [c["suggestion_id"] for c in by_change["disappeared"]] == [
        c["suggestion_id"] for c in first if in_food_group(c)
    ]
    # Four more customers: every card kept from the first intake counts them in its coverage.
    assert "unchanged" not in by_change and by_change["changed"]
    for change in by_change["changed"]:
        (_, before), (_, after) = change["changed_fields"]["coverage"].values()
        assert after == before + 4
    # Analysts read the same comparison from the mart.
    with psycopg.connect(quickstart["url"]) as conn:
        mart = conn.execute(
            "select suggestion_id, change from marts.icp_suggestion_changes where tenant_id = %s", (TENANT,)
        ).fetchall()
    shown = {(c["suggestion_id"], c["change"]) for c in comparison["changes"] if c["change"] != "unchanged"}
    assert set(mart) == shown

"""The dbt project against a real PostgreSQL: two tenants, a full build, then tenant-scoped runs.

Uses a fresh database on the test server (see conftest). dbt runs as a subprocess with the
connection env from ``export_connection_env``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from icp_assets.platform.database import database_name
from icp_assets.platform.dbt_runner import DBT_EXECUTABLE, DbtFailed
from icp_assets.platform.dbt_runner import DBT_PROJECT_DIR as DBT_PROJECT
from icp_assets.platform.dbt_runner import run_dbt as run_dbt_command
from tests.dbt import fixture_data as fixture

pytestmark = pytest.mark.slow

A, B = fixture.STOCKWISE, fixture.COLDBOX


def run_dbt(url: str, *args: str, tenants: list[str] | None = None) -> float:
    """Run a dbt command in the project; fail the test with dbt's output when it fails."""
    try:
        return run_dbt_command(url, args, Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", tenants)
    except DbtFailed as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def db_url(make_database):
    url = make_database()
    fixture.insert_fixture(url)
    fixture.insert_excluding_tenant(url)
    yield url
    shutil.rmtree(Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", ignore_errors=True)


@pytest.fixture(scope="module")
def built(db_url):
    """A full build (no tenant var) of every model and test."""
    seconds = run_dbt(db_url, "build")
    print(f"dbt build (2 tenants): {seconds:.1f}s")
    return db_url


def rows(url: str, query: str, *params) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(query, params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_demo_tenant_gets_evidence_backed_cards(built):
    cards = rows(built, "select * from marts.icp_suggestions where tenant_id = %s order by rank", A)
    assert 3 <= len(cards) <= 5
    assert {c["ssic_group"] for c in cards} == {"463", "521", "522"}
    for card in cards:
        assert card["ssic_codes"] and len(card["ssic_titles"]) == len(card["ssic_codes"])
        assert all(t and not t.isdigit() for t in card["ssic_titles"])
        assert card["integrations"], card
        assert card["champion_titles"], card
        assert card["evidence_count"] > 0
        assert card["headcount_band"] in {"1-9", "10-49", "50-249", "250+"}
        assert card["seeds_total"] == 8
        # Three customers sharing a cluster is evidence; two is a reduced-evidence hint.
        assert card["reduced_evidence"] == (card["seeds_covered"] < 3)
        assert card["lift"] > card["lift_lower"] > 1
        assert card["rationale"].startswith(f"{card['seeds_covered']} of 8 best customers share")
    warehousing = next(c for c in cards if c["ssic_group"] == "521")
    assert warehousing["title"] == "Warehousing companies (50-249 staff) on NetSuite + Salesforce"
    assert set(warehousing["integrations"]) == {"NetSuite", "Salesforce"}
    assert "ssic3:521" in warehousing["cluster"] and warehousing["seeds_covered"] == 3
    assert "harbourline.sg/integrations" in warehousing["rationale"]
    food = next(c for c in cards if c["ssic_group"] == "463")
    assert {"Xero", "Shopify"} <= set(food["integrations"])
    assert any("Shopify" in f for f in food["negative_flags"])  # Urban Threads (churned) used Shopify
    # The older intake's dropped customer never shows up.
    assert not any("Old Noodle House" in c["rationale"] for c in cards)
    ids = rows(built, "select suggestion_id from marts.icp_suggestions")
    assert len({r["suggestion_id"] for r in ids}) == len(ids)


def test_thin_tenant_gets_reduced_evidence(built):
    cards = rows(built, "select * from marts.icp_suggestions where tenant_id = %s", B)
    assert len(cards) == 1 and cards[0]["reduced_evidence"] and cards[0]["seeds_total"] == 4


def test_seed_attributes_cover_registry_namespaces(built):
    attrs = rows(
        built,
        "select a.namespace, a.attribute_value from intermediate.int_seed_attributes a"
        " join intermediate.int_current_seeds s using (tenant_id, seed_id)"
        " where a.tenant_id = %s and s.seed_name = 'Harbourline Logistics'",
        A,
    )
    values = {(r["namespace"], r["attribute_value"]) for r in attrs}
    assert {("ssic_section", "H"), ("geo", "62"), ("ssic2", "52")} <= values
    assert any(ns == "entity_age_band" for ns, _ in values)


def test_pairs_and_clusters_follow_the_workflow_thresholds(built):
    pairs = rows(built, "select * from marts.icp_attribute_pairs where tenant_id = %s", A)
    clusters = rows(built, "select * from marts.icp_attribute_clusters where tenant_id = %s", A)
    assert pairs and clusters
    assert all(p["support"] >= 0.3 and p["lift"] > 0 for p in pairs)
    assert all(c["support"] >= 0.25 for c in clusters)
    # Supplying 5 of 8 customers, Salesforce pairs with Supply Chain Manager (4 of 8 hold both).
    assert any({p["value_a"], p["value_b"]} == {"Salesforce", "Supply Chain Manager"} for p in pairs)


def test_audience_matches_the_cli_expression(built):
    """dbt's segment sums agree with the `icp audience` SQL over the raw registry."""
    from icp_assets.domain.audience import size_audience

    audiences = rows(
        built,
        "select a.*, s.ssic_group from marts.icp_audience a join marts.icp_suggestions s using (suggestion_id)"
        " where a.tenant_id = %s order by a.rank",
        A,
    )
    assert len(audiences) == 3
    with psycopg.connect(built) as conn:
        for audience in audiences:
            live = size_audience(conn, A, audience["audience_expression"], 1000)
            assert audience["precision_total"] == live.total
            assert len(audience["sample"]) == min(10, live.total)
            assert {r["uen"] for r in audience["sample"]} <= {r["uen"] for r in live.sample}
            assert audience["precision_total"] <= audience["reach_total"]
    warehousing = next(a for a in audiences if a["ssic_group"] == "521")
    # 6 live filler warehouses; Harbourline, Kallang and Pioneer are the tenant's own customers.
    assert warehousing["precision_total"] == 6 and warehousing["own_excluded"] == 3
    assert {r["ssic"] for r in warehousing["sample"]} <= {"52101", "52102"}


def test_pack_and_summary(built):
    packs = rows(built, "select * from marts.icp_targeting_pack where tenant_id = %s", A)
    assert len(packs) == 3 and all(p["pitch"] and p["ssic_filters"] and p["title_filters"] for p in packs)
    summary = rows(built, "select * from marts.icp_pattern_summary where tenant_id = %s", A)[0]
    assert summary["seeds_total"] == 8 and summary["median_headcount"] > 0
    assert any(s.startswith("52101 General warehousing") for s in summary["top_ssics"])


MARTS = sorted(path.stem for path in (DBT_PROJECT / "models" / "marts").glob("*.sql"))


def test_no_mart_leaks_the_other_tenant(built):
    """Coldbox shares three customers with stockwise but has its own evidence and answers."""
    for mart in MARTS:
        mine = rows(built, f"select t::text as row from marts.{mart} t where tenant_id = %s", A)
        assert mine, mart
        leaked = [r["row"] for r in mine if "coldbox" in r["row"].lower() or "cold storage" in r["row"].lower()]
        assert not leaked, (mart, leaked[:1])
    theirs = {
        r["suggestion_id"]
        for r in rows(built, "select suggestion_id from marts.icp_suggestions where tenant_id = %s", B)
    }
    for mart in ("icp_targeting_pack", "icp_audience"):
        mine = {
            r["suggestion_id"] for r in rows(built, f"select suggestion_id from marts.{mart} where tenant_id = %s", A)
        }
        assert not mine & theirs


def test_patterns_are_tenant_isolated(built):
    mine = rows(built, "select * from marts.icp_patterns where tenant_id = %s", A)
    assert mine
    values = {(r["namespace"], r["attribute_value"]) for r in mine}
    assert ("integration", fixture.COLDBOX_ONLY_INTEGRATION) not in values
    assert all(r["seeds_total"] == 8 and r["churned_total"] == 3 for r in mine)
    theirs = rows(
        built, "select attribute_value from marts.icp_patterns where tenant_id = %s and namespace = 'integration'", B
    )
    assert fixture.COLDBOX_ONLY_INTEGRATION in {r["attribute_value"] for r in theirs}
    ssic = {r["attribute_value"]: r for r in mine if r["namespace"] == "ssic3"}
    assert ssic["521"]["seeds_with"] == 3 and ssic["521"]["ssic_title"] and ssic["521"]["lift"] > 1


def test_negative_icp_has_churn_themes(built):
    neg = rows(built, "select * from marts.icp_negative_icp where tenant_id = %s order by rank", A)
    themes = {r["theme_key"] for r in neg if r["kind"] == "churn_theme"}
    assert len(themes) >= 3
    assert {"too_small", "price", "no_inventory", "wrong_use_case"} <= themes
    attrs = {(r["namespace"], r["attribute_value"]) for r in neg if r["kind"] == "attribute"}
    assert ("ssic5", "56111") in attrs and ("size_band", "1-9") in attrs
    assert all(r["evidence"] for r in neg)
    anti = rows(built, "select * from marts.icp_negative_icp where tenant_id = %s and kind = 'anti_icp'", B)
    assert {"food_service"} <= {r["theme_key"] for r in anti}


def _cards(url: str, tenant: str) -> list[dict]:
    return rows(
        url,
        "select s.*, t.audience_expression, t.reach_expression, a.precision_total, a.sample"
        " from marts.icp_suggestions s join marts.icp_targeting_pack t using (suggestion_id)"
        " join marts.icp_audience a using (suggestion_id) where s.tenant_id = %s order by s.rank",
        tenant,
    )


WAREHOUSES = {"Harbourline Logistics", "Kallang Cold Chain", "Pioneer Warehousing"}  # SSIC group 521


def test_excluded_ssic_group_removes_the_card_it_defined(built):
    """Stockwise's warehousing card is defined by SSIC group 521; the same intake excluding 521
    has no card defined by it or showing its customers, and the pick goes on to the next cards."""
    before, after = _cards(built, A), _cards(built, fixture.EXCLUDING)
    assert any("ssic3:521" in c["cluster"] for c in before)
    assert set(next(c for c in before if "ssic3:521" in c["cluster"])["seed_names"]) == WAREHOUSES
    assert [c["rank"] for c in after] == list(range(1, len(after) + 1))  # no hole where it was
    assert {c["ssic_group"] for c in after} == {"463", "522"}
    for card in after:
        assert not any(a.startswith(("ssic5:521", "ssic3:521")) for a in card["cluster"]), card["cluster"]
        assert not set(card["seed_names"]) & WAREHOUSES
    # The candidates it came from are still there for analysts, with no eligible customer left.
    excluded = rows(
        built,
        "select * from intermediate.int_card_candidates where tenant_id = %s and 'ssic3:521' = any(attributes)",
        fixture.EXCLUDING,
    )
    assert excluded and all(c["eligible_seed_ids"] == [] and "ssic:521" in c["excluded_by"] for c in excluded)
    kept = rows(
        built,
        "select * from intermediate.int_card_candidates where tenant_id = %s and 'ssic3:521' = any(attributes)",
        A,
    )
    assert kept and all(c["eligible_seed_ids"] == c["seed_ids"] and c["excluded_by"] == [] for c in kept)


def test_audiences_carry_exclusions_as_and_not_terms(built):
    """Every expression ends with the SSIC exclusions as AND NOT terms, and the audience shrinks
    by the excluded entities: 46304 lies in the food card's group 463, where no customer is."""
    from icp_assets.domain.audience import size_audience

    excluding = " AND NOT section:J AND NOT ssic3:521 AND NOT ssic:46304"
    after = _cards(built, fixture.EXCLUDING)
    assert after and all(c["audience_expression"].endswith(excluding) for c in after)
    assert all(c["reach_expression"].endswith(excluding) for c in after)
    assert all(c["audience_expression"].endswith(" AND NOT ssic2:47 AND NOT ssic2:56") for c in _cards(built, A))
    food_before = next(c for c in _cards(built, A) if c["ssic_group"] == "463")
    food_after = next(c for c in after if c["ssic_group"] == "463")
    assert food_after["seed_names"] == food_before["seed_names"]
    live_46304 = fixture.FILLER_ENTITIES["46304"][0]
    assert food_after["precision_total"] == food_before["precision_total"] - live_46304
    assert not any(r["ssic"] == "46304" for r in food_after["sample"])
    with psycopg.connect(built) as conn:  # `icp audience` agrees with dbt's segment sums
        for card in after:
            assert size_audience(conn, fixture.EXCLUDING, card["audience_expression"]).total == card["precision_total"]
        assert size_audience(conn, A, food_before["audience_expression"]).total == food_before["precision_total"]


def test_negative_icp_lists_declared_exclusions(built):
    neg = rows(built, "select * from marts.icp_negative_icp where tenant_id = %s order by rank", fixture.EXCLUDING)
    declared = {r["theme_key"]: r for r in neg if r["kind"] == "declared_exclusion"}
    assert set(declared) == {
        "ssic:521",
        "ssic:46304",
        "ssic:J",
        "headcount_below:10",
        "headcount_above:5000",
        "integration:quickbooks",
    }
    assert [r["kind"] for r in neg[: len(declared)]] == ["declared_exclusion"] * len(declared)  # ranked first
    warehousing = declared["ssic:521"]
    assert warehousing["theme"] == "SSIC group 521 Warehousing and storage"
    assert warehousing["best_with"] == 3 and "AND NOT ssic3:521" in warehousing["evidence"]
    assert declared["headcount_below:10"]["churned_customers"] == ["Brightpath Consulting"]  # 8 staff
    assert declared["integration:quickbooks"]["churned_customers"] == ["Brightpath Consulting"]
    assert "not in the ACRA registry" in declared["integration:quickbooks"]["evidence"]
    notes = [r for r in neg if r["kind"] == "anti_icp"]
    assert {"food_service", "no_inventory"} <= {r["theme_key"] for r in notes}
    assert all(r["evidence"].startswith("Intake (exclusion notes)") for r in notes)
    # The demo's own exclusions: its churned shop and restaurant fall under them, no best customer.
    demo = rows(built, "select * from marts.icp_negative_icp where tenant_id = %s and kind = 'declared_exclusion'", A)
    assert {r["theme_key"]: r["churned_customers"] for r in demo} == {
        "ssic:47": ["Urban Threads"],
        "ssic:56": ["Saffron Table"],
        "headcount_below:10": ["Brightpath Consulting"],
        "integration:square": ["Saffron Table"],
    }
    assert all(r["best_with"] == 0 for r in demo)


def test_targeting_pack_carries_deal_triggers_and_exclusions(built):
    intake = fixture.catalog.demo_intake()
    for pack in rows(built, "select * from marts.icp_targeting_pack where tenant_id = %s", A):
        assert (pack["acv_usd"], pack["price_floor_usd"], pack["sales_cycle_days"]) == (12000, 6000, 45)
        assert pack["triggers"] == intake["triggers"]
        assert pack["exclusion_terms"] == ["ssic2:47", "ssic2:56"] and pack["excluded_integrations"] == ["Square"]
        assert pack["headcount_floor"] == 10 and pack["headcount_ceiling"] is None
    for pack in rows(built, "select * from marts.icp_targeting_pack where tenant_id = %s", fixture.EXCLUDING):
        assert pack["exclusion_terms"] == ["section:J", "ssic3:521", "ssic:46304"]
        assert pack["excluded_integrations"] == ["QuickBooks"]
        assert (pack["headcount_floor"], pack["headcount_ceiling"]) == (10, 5000)
    coldbox = rows(built, "select * from marts.icp_targeting_pack where tenant_id = %s", B)
    assert coldbox and all(p["price_floor_usd"] is None and p["triggers"] == [] for p in coldbox)
    assert all(p["exclusion_terms"] == ["ssic3:561"] for p in coldbox)


def test_budget_churn_is_compared_with_the_price_floor(built):
    """Saffron Table left over price and the intake's price floor is USD 6,000: a negative theme,
    and a flag on the card that shares an attribute with it (10-49 staff: the food card)."""
    neg = rows(built, "select * from marts.icp_negative_icp where tenant_id = %s and kind = 'price_floor'", A)
    assert len(neg) == 1 and neg[0]["churned_customers"] == ["Saffron Table"]
    assert neg[0]["theme"].startswith("Lost on budget while the price floor is USD 6,000")
    assert "ACV USD 12,000" in neg[0]["evidence"]
    cards = _cards(built, A)
    food = next(c for c in cards if c["ssic_group"] == "463")
    assert food["negative_flags"][0].startswith("Lost on budget while your price floor is USD 6,000: Saffron Table")
    assert "10-49 staff" in food["negative_flags"][0]
    others = [f for c in cards if c["ssic_group"] != "463" for f in c["negative_flags"]]
    assert not any(f.startswith("Lost on budget") for f in others)
    # Coldbox's churned restaurant was too expensive too, but coldbox names no price floor.
    assert not rows(built, "select 1 from marts.icp_negative_icp where tenant_id = %s and kind = 'price_floor'", B)
    assert not any(f.startswith("Lost on budget") for c in _cards(built, B) for f in c["negative_flags"])


def test_builds_of_other_tenants_reuse_the_parsed_project(built, tmp_path):
    """The tenants are not a `--vars` value: a build for other tenants parses nothing again, even in
    a fresh target folder (the parsed state of the database's last build is handed on)."""
    for tenant in (A, B):
        work = tmp_path / tenant
        run_dbt_command(
            built, ["build", "--select", "tag:tenant", "--exclude-resource-type", "unit_test"], work, [tenant]
        )
        log = (work / "logs" / "dbt.log").read_text()
        assert "Unable to do partial parsing" not in log, tenant
        assert "Partial parse save file not found" not in log, tenant


def test_tenant_scoped_run_leaves_other_tenant_untouched(built):
    tables = [
        "intermediate.int_current_seeds",
        "intermediate.int_seed_attributes",
        "intermediate.int_attribute_pairs",
        *(f"marts.{mart}" for mart in MARTS),
    ]

    def snapshot(tenant):  # xmin changes when a row is deleted and re-inserted
        return {
            t: sorted(r["x"] for r in rows(built, f"select xmin::text as x from {t} where tenant_id = %s", tenant))
            for t in tables
        }

    before_b = snapshot(B)
    before_a = snapshot(A)
    # Tenant A refines its intake: 3 best customers in 3 different SSIC groups -> thin evidence.
    with psycopg.connect(built) as conn:
        new_response = fixture.insert_tenant(
            conn,
            A,
            fixture.catalog.VENDOR,
            (fixture.catalog.BEST_CUSTOMERS[0], fixture.catalog.BEST_CUSTOMERS[3], fixture.catalog.BEST_CUSTOMERS[6]),
            fixture.catalog.CHURNED_CUSTOMERS,
        )
    # The invocation a tenant partition uses: only tenant-scoped models, only tenant A.
    run_dbt(built, "build", "--select", "tag:tenant", tenants=[A])
    assert snapshot(B) == before_b
    after_a = snapshot(A)
    assert after_a["marts.icp_patterns"] and after_a["marts.icp_patterns"] != before_a["marts.icp_patterns"]
    refined = rows(built, "select reduced_evidence from marts.icp_suggestions where tenant_id = %s", A)
    assert len(refined) <= 2 and all(r["reduced_evidence"] for r in refined)
    patterns = rows(built, "select distinct response_id, seeds_total from marts.icp_patterns where tenant_id = %s", A)
    assert patterns == [{"response_id": new_response, "seeds_total": 3}]


def test_row_checks_name_every_broken_row_of_the_tenants_in_scope(built, tmp_path):
    """One row_checks test per model still catches what the per-column tests caught: a null, a
    value off the list, a condition broken, a reference to another tenant's row, a duplicate."""
    with psycopg.connect(built) as conn:
        saved = conn.execute(
            "select suggestion_id, title from marts.icp_suggestions where tenant_id = %s and rank = 1", (A,)
        ).fetchone()
        other_seed = conn.execute("select min(seed_id) from intermediate.int_current_seeds where tenant_id = %s", (B,))
        other_seed = other_seed.fetchone()[0]
        conn.execute("update marts.icp_suggestions set title = null where suggestion_id = %s", (saved[0],))
        conn.execute(
            "create temp table broken as select * from intermediate.int_seed_attributes where tenant_id = %s limit 1",
            (A,),
        )
        conn.execute("update broken set seed_id = %s, kind = 'other'", (other_seed,))
        conn.execute("insert into intermediate.int_seed_attributes select * from broken")
        conn.execute("insert into intermediate.int_seed_attributes select * from broken")
    checks = ["icp_suggestions_rows", "int_seed_attributes_rows"]
    try:
        with pytest.raises(DbtFailed):
            run_dbt_command(built, ["test", "--select", *checks, "--store-failures"], tmp_path, [A])
        run_dbt_command(built, ["test", "--select", *checks], tmp_path, [B])  # B's rows are not in scope
        failed = {
            r["failed_check"] for r in rows(built, "select failed_check from dbt_test__audit.icp_suggestions_rows")
        }
        assert failed == {"not_null title"}
        failed = [r["failed_check"] for r in rows(built, "select * from dbt_test__audit.int_seed_attributes_rows")]
        assert sorted(failed) == [
            "accepted_values kind",
            "accepted_values kind",
            "relationships seed_id -> int_current_seeds",
            "relationships seed_id -> int_current_seeds",
            "unique tenant_id || '|' || seed_id || '|' || namespace || '|' || attribute_key",
        ]
    finally:
        with psycopg.connect(built) as conn:
            conn.execute("update marts.icp_suggestions set title = %s where suggestion_id = %s", (saved[1], saved[0]))
            conn.execute(
                "delete from intermediate.int_seed_attributes where tenant_id = %s and seed_id = %s", (A, other_seed)
            )
            conn.execute("drop schema if exists dbt_test__audit cascade")


def test_a_changed_table_still_gets_the_models_columns(built):
    """The incremental materialization's shortcut (same columns: one catalog query) gives way to
    dbt's schema sync when the table's columns differ from the model's."""
    with psycopg.connect(built) as conn:
        conn.execute("alter table marts.icp_pattern_summary drop column recurring_themes")
        conn.execute("alter table marts.icp_pattern_summary add column stale integer")
    run_dbt(built, "build", "--select", "icp_pattern_summary", tenants=[A])
    run_dbt(built, "build", "--select", "icp_pattern_summary")  # every tenant's recurring_themes again
    columns = [
        r["column_name"]
        for r in rows(
            built,
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'icp_pattern_summary' order by ordinal_position",
        )
    ]
    assert "recurring_themes" in columns and "stale" not in columns
    assert all(r["recurring_themes"] is not None for r in rows(built, "select * from marts.icp_pattern_summary"))


def test_docs_generate(built):
    run_dbt(built, "docs", "generate")


def test_parse_needs_no_connection_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICP_PG_")}
    proc = subprocess.run(
        [
            str(DBT_EXECUTABLE),
            "parse",
            "--profiles-dir",
            str(DBT_PROJECT),
            "--project-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""Refine and compare (journey 4) on the real dbt models: every intake's cards kept in
marts.icp_suggestion_history, the changes in marts.icp_suggestion_changes agreeing with
`icp suggestions --compare`, and `icp audience export` writing exactly each card's audience.

The fixture's two tenants get a full build and their cards published; then stockwise refines its
intake (its three food distributors dropped, four more customers: a warehouse and three
wholesalers of a new segment) and a tenant-scoped build runs, as a tenant partition's run does.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from demo.catalog import BEST_CUSTOMERS, CHURNED_CUSTOMERS, VENDOR, DemoCompany
from icp_assets.cli import EXIT_OK, main
from icp_assets.domain.cards.compare import compare_intakes
from icp_assets.domain.cards.publish import publish_cards
from icp_assets.platform.database import database_name
from icp_assets.platform.dbt_runner import DbtFailed
from icp_assets.platform.dbt_runner import run_dbt as run_dbt_command
from tests.dbt import fixture_data as fixture

pytestmark = pytest.mark.slow

A, B = fixture.STOCKWISE, fixture.COLDBOX
MORE_CUSTOMERS = (
    DemoCompany(
        "Tuas Storage Hub",
        "TUAS STORAGE HUB PTE. LTD.",
        "tuasstorage.sg",
        "201755501K",
        "52101",
        110,
        "638001",
        "2017-05-05",
        industries=("warehousing",),
        integrations=("NetSuite", "Salesforce"),
        job_titles=("Supply Chain Manager",),
    ),
    *(
        DemoCompany(
            f"{name} Trading",
            f"{name.upper()} TRADING PTE. LTD.",
            f"{name.lower()}trading.sg",
            uen,
            "46900",
            30,
            postal,
            "2012-02-02",
            industries=("general wholesale",),
            integrations=("QuickBooks", "Stripe"),
            job_titles=("Purchasing Manager",),
        )
        for name, uen, postal in (
            ("Bukit", "201233301A", "608001"),
            ("Changi", "201233302B", "486001"),
            ("Serangoon", "201233303C", "556001"),
        )
    ),
)


def run_dbt(url: str, *args: str, tenants: list[str] | None = None) -> None:
    try:
        run_dbt_command(url, args, Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", tenants)
    except DbtFailed as err:
        pytest.fail(str(err))


def rows(url: str, query: str, *params) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _tenant_build(url: str, tenant_id: str) -> None:
    """The dbt invocation of a tenant partition's run."""
    run_dbt(
        url,
        "build",
        "--select",
        "tag:tenant",
        "--exclude-resource-type",
        "unit_test",
        tenants=[tenant_id],
    )


@pytest.fixture(scope="module")
def refined(make_database: Callable[[], str]) -> dict:
    url = make_database()
    ids = fixture.insert_fixture(url)
    run_dbt(url, "build", "--exclude-resource-type", "unit_test")
    with psycopg.connect(url, autocommit=True) as conn:
        for tenant in (A, B):
            publish_cards(conn, tenant)
    first_history = rows(url, "select response_id, cluster from marts.icp_suggestion_history where tenant_id = %s", A)
    first_changes = rows(url, "select * from marts.icp_suggestion_changes where tenant_id = %s", A)
    coldbox_before = rows(url, "select xmin::text as x from marts.icp_suggestion_history where tenant_id = %s", B)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description,"
            " registration_incorporation_date, postal_code, primary_ssic_code) values (%s, %s, 'Live Company', %s, %s, %s)",
            [(c.uen, c.legal_name, c.incorporated, c.postal_code, c.ssic) for c in MORE_CUSTOMERS],
        )
        refined_id = fixture.insert_tenant(conn, A, VENDOR, (*BEST_CUSTOMERS[3:], *MORE_CUSTOMERS), CHURNED_CUSTOMERS)
    run_dbt(url, "build", "--select", "tag:registry")  # the registry refresh after a load
    _tenant_build(url, A)
    with psycopg.connect(url, autocommit=True) as conn:
        publish_cards(conn, A)
    yield {
        "url": url,
        "first": ids["stockwise"],
        "refined": refined_id,
        "first_history": first_history,
        "first_changes": first_changes,
        "coldbox_before": coldbox_before,
    }
    shutil.rmtree(Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", ignore_errors=True)


def test_a_first_intake_lists_every_card_as_appeared(refined: dict) -> None:
    assert {r["response_id"] for r in refined["first_history"]} == {refined["first"]}
    assert len(refined["first_changes"]) == len(refined["first_history"]) == 3
    assert {(r["change"], r["previous_response_id"]) for r in refined["first_changes"]} == {("appeared", None)}


def test_history_keeps_the_earlier_intakes_cards(refined: dict) -> None:
    url = refined["url"]
    history = rows(
        url, "select response_id, cluster, title from marts.icp_suggestion_history where tenant_id = %s order by 1", A
    )
    by_intake = {
        r: {tuple(h["cluster"]) for h in history if h["response_id"] == r} for r in {h["response_id"] for h in history}
    }
    assert set(by_intake) == {refined["first"], refined["refined"]}
    assert by_intake[refined["first"]] == {tuple(r["cluster"]) for r in refined["first_history"]}
    current = rows(url, "select cluster from marts.icp_suggestions where tenant_id = %s", A)
    assert by_intake[refined["refined"]] == {tuple(sorted(r["cluster"])) for r in current}
    # The other tenant's rows were not rebuilt.
    assert (
        rows(url, "select xmin::text as x from marts.icp_suggestion_history where tenant_id = %s", B)
        == refined["coldbox_before"]
    )
    # A rebuild of the same intake (the nightly run) replaces its cards and keeps the earlier ones.
    _tenant_build(url, A)
    again = rows(
        url, "select response_id, cluster, title from marts.icp_suggestion_history where tenant_id = %s order by 1", A
    )
    assert sorted(map(str, again)) == sorted(map(str, history))


def test_the_changes_mart_lists_what_the_refined_intake_changed(refined: dict) -> None:
    changes = rows(refined["url"], "select * from marts.icp_suggestion_changes where tenant_id = %s", A)
    by_segment = {next(a for a in c["cluster"] if a.startswith("ssic")): c for c in changes}
    assert all((c["response_id"], c["previous_response_id"]) == (refined["refined"], refined["first"]) for c in changes)
    # Food distribution is gone, the general wholesalers are new, warehousing gained a customer and
    # freight forwarding kept its two out of more.
    assert set(by_segment) == {"ssic3:463", "ssic5:46900", "ssic3:521", "ssic5:52292"}
    assert by_segment["ssic3:463"]["change"] == "disappeared" and by_segment["ssic3:463"]["previous_rank"]
    assert by_segment["ssic5:46900"]["change"] == "appeared" and by_segment["ssic5:46900"]["seeds_covered"] == 3
    warehousing = by_segment["ssic3:521"]
    assert warehousing["change"] == "changed" and "coverage" in warehousing["changed_fields"]
    assert (warehousing["previous_seeds_covered"], warehousing["previous_seeds_total"]) == (3, 8)
    assert (warehousing["seeds_covered"], warehousing["seeds_total"]) == (4, 9)
    # Tuas Storage Hub joined the registry and the tenant's customers: the audience is the same 6.
    assert warehousing["audience_size"] == warehousing["previous_audience_size"] == 6
    assert "audience_size" not in warehousing["changed_fields"]
    freight = by_segment["ssic5:52292"]
    assert freight["change"] == "changed" and (freight["previous_seeds_total"], freight["seeds_total"]) == (8, 9)


def test_the_cli_comparison_agrees_with_the_mart(refined: dict, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = refined["url"]
    monkeypatch.setenv("ICP_DATABASE_URL", url)
    assert main(["suggestions", "--tenant", A, "--compare", "previous", "--format", "json"]) == EXIT_OK
    comparison = json.loads(capsys.readouterr().out)
    assert comparison["previous_response_id"] == refined["first"]
    cli = {
        (tuple(c["cluster"]), c["change"], tuple(sorted(c["changed_fields"])))
        for c in comparison["changes"]
        if c["change"] != "unchanged"
    }
    mart = {
        (tuple(c["cluster"]), c["change"], tuple(sorted(c["changed_fields"])))
        for c in rows(url, "select * from marts.icp_suggestion_changes where tenant_id = %s", A)
    }
    assert cli == mart and len(mart) >= 3
    with psycopg.connect(url) as conn:
        assert compare_intakes(conn, A).previous_response_id == refined["first"]


def test_export_writes_exactly_each_cards_audience(
    refined: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    url = refined["url"]
    monkeypatch.setenv("ICP_DATABASE_URL", url)
    audiences = rows(
        url,
        "select suggestion_id, precision_total from marts.icp_audience where tenant_id = %s and precision_total > 0",
        A,
    )
    assert len(audiences) >= 2
    for audience in audiences:
        out = tmp_path / f"{audience['suggestion_id']}.csv"
        assert (
            main(["audience", "export", "--tenant", A, "--suggestion", audience["suggestion_id"], "--out", str(out)])
            == EXIT_OK
        )
        assert capsys.readouterr().err == ""  # no warning: the file holds the published audience
        with out.open(newline="", encoding="utf-8") as handle:
            exported = list(csv.DictReader(handle))
        assert len(exported) == audience["precision_total"]
        own = {c.uen for c in (*BEST_CUSTOMERS[3:], *MORE_CUSTOMERS)}
        assert not own & {r["UEN"] for r in exported}
        assert all(r["Status"] == "Live Company" and r["Industry"] for r in exported)

"""Acting on cards from the command line: `icp suggestions --compare`, `icp rules`, `icp audience export`.

One database for the module: a registry with a 100,000-company audience (plus names a
spreadsheet would run as formulas, a struck-off company, the tenant's own customer and a customer
only an earlier intake named), a tenant with two intakes of published cards and another tenant.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.audience import size_audience
from icp_assets.domain.cards import export
from icp_assets.domain.cards.accept import accept_card
from icp_assets.domain.cards.export import CSV_COLUMNS
from tests.support.cards import make_card, store_cards, submit
from tests.support.tables import row_counts

TENANT, RIVAL = "exporter", "rival"
BULK = 100_000
WAREHOUSING = make_card("integration:netsuite", "ssic3:521", audience_expression="status:live AND ssic:52101")
FOOD = make_card("integration:xero", "ssic3:463", rank=2, audience_size=None, audience_expression=None)
FREIGHT = make_card("integration:sap", "ssic3:522", title="Freight forwarders on SAP")
# Registry rows besides the bulk ones: uen -> (name, status); all SSIC 52101.
SPECIAL = {
    "A0000001A": ('=HYPERLINK("http://evil.example","click")', "Live Company"),
    "A0000002A": ("+65 STORAGE PTE. LTD.", "Live Company"),
    "A0000003A": ("-MINUS WAREHOUSING PTE. LTD.", "Live Company"),
    "A0000004A": ("@HOME DEPOT PTE. LTD.", "Live Company"),
    "A0000005A": ("DROPPED CUSTOMER PTE. LTD.", "Live Company"),  # named by the earlier intake only
    "A0000006A": ("OWN CUSTOMER PTE. LTD.", "Live Company"),  # the current intake's customer: left out
    "A0000007A": ("STRUCK OFF STORES PTE. LTD.", "Struck Off"),
}
AUDIENCE = BULK + 5


def _matched_seed(conn: psycopg.Connection, tenant_id: str, response_id: int, name: str, uen: str) -> None:
    seed = conn.execute(
        "insert into icp.customer_seeds (response_id, tenant_id, kind, name) values (%s, %s, 'best', %s)"
        " returning seed_id",
        (response_id, tenant_id, name),
    ).fetchone()[0]
    conn.execute(
        "insert into icp.seed_matches (seed_id, tenant_id, uen, status) values (%s, %s, %s, 'matched')",
        (seed, tenant_id, uen),
    )


@pytest.fixture(scope="module")
def world(make_database: Callable[[], str]) -> dict:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into registry.ssic_codes (code, level, title) values ('52101', 'subclass', 'General warehousing')"
        )
        conn.execute(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description,"
            " registration_incorporation_date, postal_code, primary_ssic_code, block, street_name, level_no, unit_no,"
            " building_name)"
            " select 'B' || lpad(i::text, 8, '0') || 'X', 'BULK STORAGE ' || i || ' PTE. LTD.', 'Live Company',"
            " date '2010-01-01' + i %% 3000, '629587', '52101', '10', 'ANSON ROAD', '12', '01', 'INTERNATIONAL PLAZA'"
            " from generate_series(1, %s) as i",
            (BULK,),
        )
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description, primary_ssic_code,"
            " other_address_line1) values (%s, %s, %s, '52101', 'PO BOX 1')",
            [(uen, name, status) for uen, (name, status) in SPECIAL.items()],
        )
        first = submit(conn, TENANT)
        _matched_seed(conn, TENANT, first, "Dropped Customer", "A0000005A")
        retail = make_card("integration:stripe", "ssic3:471", rank=3, title="Retailers on Stripe")
        store_cards(conn, TENANT, first, [make_card("integration:xero", "ssic3:463"), FREIGHT | {"rank": 2}, retail])
        current = submit(conn, TENANT)
        _matched_seed(conn, TENANT, current, "Own Customer", "A0000006A")
        store_cards(conn, TENANT, current, [WAREHOUSING | {"audience_size": AUDIENCE}, FOOD, FREIGHT | {"rank": 3}])
        theirs = submit(conn, RIVAL)
        store_cards(conn, RIVAL, theirs, [make_card("integration:square", "ssic3:561", title="Their restaurants")])
        accept_card(conn, TENANT, WAREHOUSING["suggestion_id"], "lead@vendor")
        accept_card(conn, RIVAL, make_card("integration:square", "ssic3:561")["suggestion_id"], "rival@elsewhere")
    return {"url": url, "first": first, "current": current, "theirs": theirs}


@pytest.fixture
def cli(world: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `icp ...` in-process against the module's database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("ICP_DATABASE_URL", world["url"])

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# --------------------------------------------------------------------------------------------
# icp audience export


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_every_company_of_the_audience_with_crm_columns(cli, world: dict, tmp_path: Path) -> None:
    out = tmp_path / "audience.csv"
    code, stdout, stderr = cli(
        "audience", "export", "--tenant", TENANT, "--suggestion", WAREHOUSING["suggestion_id"], "--out", str(out)
    )
    assert (code, stderr) == (EXIT_OK, "")
    assert stdout == f"{AUDIENCE} companies written to {out}\n"
    with out.open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(CSV_COLUMNS)
    rows = _read(out)
    assert len(rows) == AUDIENCE  # exactly the card's audience size, as published
    with psycopg.connect(world["url"]) as conn:
        assert size_audience(conn, TENANT, WAREHOUSING["audience_expression"], 0).total == AUDIENCE
    uens = [r["UEN"] for r in rows]
    assert uens == sorted(uens) and len(set(uens)) == AUDIENCE
    # The current intake's customer and the struck-off company are left out; a customer only the
    # earlier intake named is in the audience again.
    assert "A0000006A" not in uens and "A0000007A" not in uens and "A0000005A" in uens
    bulk = next(r for r in rows if r["UEN"] == "B00000001X")
    assert bulk == {
        "Company Name": "BULK STORAGE 1 PTE. LTD.",
        "UEN": "B00000001X",
        "Industry Code": "52101",
        "Industry": "General warehousing",
        "Status": "Live Company",
        "Street Address": "10 ANSON ROAD #12-01 INTERNATIONAL PLAZA",
        "Postal Code": "629587",
        "Country": "Singapore",
        "Incorporation Date": "2010-01-02",
    }
    special = {r["UEN"]: r for r in rows if r["UEN"].startswith("A")}
    # Names a spreadsheet would run as a formula start with an apostrophe; the rest are as registered.
    assert [special[uen]["Company Name"] for uen in sorted(special)] == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'+65 STORAGE PTE. LTD.",
        "'-MINUS WAREHOUSING PTE. LTD.",
        "'@HOME DEPOT PTE. LTD.",
        "DROPPED CUSTOMER PTE. LTD.",
    ]
    assert {(r["Street Address"], r["Postal Code"], r["Country"]) for r in special.values()} == {("PO BOX 1", "", "")}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audience.csv"]  # no temporary file left


@pytest.mark.parametrize(
    ("suggestion", "reason"),
    [
        ("no-such-card", "has no current card 'no-such-card'"),
        (make_card("integration:square", "ssic3:561")["suggestion_id"], "has no current card"),  # the rival's
        (FREIGHT["suggestion_id"] + "x", "has no current card"),
        (FOOD["suggestion_id"], "has no audience: none of its customers matched the ACRA registry"),
    ],
    ids=["unknown", "another-tenants", "near-miss", "unsized"],
)
def test_export_refuses_a_card_that_is_not_the_tenants_or_has_no_audience(
    cli, world: dict, tmp_path: Path, suggestion: str, reason: str
) -> None:
    before = row_counts(world["url"])
    code, stdout, stderr = cli(
        "audience", "export", "--tenant", TENANT, "--suggestion", suggestion, "--out", str(tmp_path / "a.csv")
    )
    assert code == EXIT_BAD_INPUT and stdout == ""
    assert stderr.startswith(f"audience export: tenant {TENANT!r} " if "current" in reason else "audience export: card")
    assert reason in stderr and stderr.endswith("; nothing written\n")
    assert "Their restaurants" not in stderr
    assert list(tmp_path.iterdir()) == [] and row_counts(world["url"]) == before


def test_another_tenants_card_is_refused_in_the_same_words_as_a_made_up_one(cli, tmp_path: Path) -> None:
    theirs = make_card("integration:square", "ssic3:561")["suggestion_id"]
    messages = [
        cli("audience", "export", "--tenant", TENANT, "--suggestion", s, "--out", str(tmp_path / "a.csv"))[2].replace(
            s, "ID"
        )
        for s in (theirs, "f" * 32)
    ]
    assert messages[0] == messages[1]


def test_export_refuses_an_output_that_cannot_be_a_file(cli, tmp_path: Path) -> None:
    for out, reason in (
        (tmp_path, "is a directory, not a file"),
        (tmp_path / "missing" / "a.csv", "is not a directory"),
    ):
        code, _, stderr = cli(
            "audience", "export", "--tenant", TENANT, "--suggestion", WAREHOUSING["suggestion_id"], "--out", str(out)
        )
        assert code == EXIT_BAD_INPUT and reason in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_the_previous_file_untouched_and_no_temporary_file(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "audience.csv"
    out.write_text("the export of last week\n")
    written = 0
    real_row = export.csv_row

    def failing_row(row: dict) -> list[str]:  # the disk fills up after 5,000 rows
        nonlocal written
        written += 1
        if written > 5000:
            raise OSError(28, "No space left on device")
        return real_row(row)

    monkeypatch.setattr(export, "csv_row", failing_row)
    code, stdout, stderr = cli(
        "audience", "export", "--tenant", TENANT, "--suggestion", WAREHOUSING["suggestion_id"], "--out", str(out)
    )
    assert code == 1 and stdout == ""
    assert stderr == f"audience export: cannot write {out}: No space left on device; nothing written\n"
    assert out.read_text() == "the export of last week\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audience.csv"]


@pytest.mark.parametrize("tenant", ["Exporter", "exporter\n", "-x", ""], ids=repr)
def test_export_and_rules_check_the_tenant(cli, tenant: str, tmp_path: Path) -> None:
    for argv in (
        ["audience", "export", "--suggestion", "x", "--out", str(tmp_path / "a.csv")],
        ["rules"],
        ["suggestions", "--compare", "previous"],
    ):
        code, _, stderr = cli(*argv, f"--tenant={tenant}")
        assert code == EXIT_BAD_INPUT and "must be 1-63 lowercase letters" in stderr
    assert list(tmp_path.iterdir()) == []


def test_audience_still_asks_for_tenant_and_expression(cli) -> None:
    code, _, stderr = cli("audience", "--tenant", TENANT)
    assert code == EXIT_BAD_INPUT and stderr.endswith("icp audience: the following arguments are required: --expr\n")
    code, stdout, _ = cli("audience", "--tenant", TENANT, "--expr", "ssic:52101 AND status:live", "--sample", "0")
    assert code == EXIT_OK and stdout.startswith(f"{AUDIENCE} registry entities match")


# --------------------------------------------------------------------------------------------
# icp rules


def test_rules_lists_the_tenants_accepted_rules_only(cli, world: dict) -> None:
    code, stdout, _ = cli("rules", "--tenant", TENANT)
    assert code == EXIT_OK
    assert stdout.startswith(f"{TENANT}: 1 accepted rule(s)\n\nrule ")
    assert f": {WAREHOUSING['title']}\n" in stdout
    assert f"card {WAREHOUSING['suggestion_id']} of intake {world['current']} (current)" in stdout
    assert "Integrations NetSuite, Salesforce" in stdout and "Audience     status:live AND ssic:52101" in stdout
    assert "by lead@vendor at " in stdout
    assert "Their restaurants" not in stdout and "rival@" not in stdout

    code, stdout, _ = cli("rules", "--tenant", TENANT, "--format", "json")
    (rule,) = json.loads(stdout)
    assert (rule["response_id"], rule["suggestion_id"], rule["accepted_by"]) == (
        world["current"],
        WAREHOUSING["suggestion_id"],
        "lead@vendor",
    )
    assert rule["from_current_intake"] is True
    assert rule["rule"] == {
        "title": WAREHOUSING["title"],
        "ssic_codes": ["52101"],
        "headcount_band": "50-249",
        "integrations": ["NetSuite", "Salesforce"],
        "champion_titles": ["Supply Chain Manager"],
        "cluster": ["integration:netsuite", "ssic3:521"],
        "audience_expression": "status:live AND ssic:52101",
    }


def test_rules_of_a_tenant_without_intake_or_rules(cli, world: dict) -> None:
    code, _, stderr = cli("rules", "--tenant", "ghost")
    assert code == EXIT_BAD_INPUT and "tenant 'ghost' has no intake" in stderr
    with psycopg.connect(world["url"], autocommit=True) as conn:
        submit(conn, "newcomer")
    code, stdout, _ = cli("rules", "--tenant", "newcomer")
    assert code == EXIT_OK and "newcomer: no accepted rule yet" in stdout


# --------------------------------------------------------------------------------------------
# icp suggestions --compare


def test_compare_with_the_previous_intake(cli, world: dict) -> None:
    code, stdout, _ = cli("suggestions", "--tenant", TENANT, "--compare", "previous")
    assert code == EXIT_OK
    lines = stdout.splitlines()
    assert lines[0] == (
        f"{TENANT}: intake {world['current']} (3 cards) against intake {world['first']} (3 cards):"
        " 1 appeared, 1 disappeared, 1 changed, 1 unchanged"
    )
    assert [line.split()[0] for line in lines[1:] if line.startswith("  ") and not line.startswith("   ")] == [
        "appeared",
        "changed",
        "unchanged",
        "disappeared",
    ]
    assert "#3 (was #2) Freight forwarders on SAP" in stdout and "was #3 Retailers on Stripe" in stdout
    assert "               audience size 120 -> not sized\n" in stdout

    code, stdout, _ = cli("suggestions", "--tenant", TENANT, "--compare", str(world["first"]), "--format", "json")
    comparison = json.loads(stdout)
    assert (comparison["previous_response_id"], comparison["appeared"], comparison["changed"]) == (world["first"], 1, 1)
    assert [c["change"] for c in comparison["changes"]] == ["appeared", "changed", "unchanged", "disappeared"]
    assert comparison["changes"][1]["changed_fields"] == {"audience_size": {"before": 120, "after": None}}
    assert comparison["changes"][0]["cluster"] == ["integration:netsuite", "ssic3:521"]


def test_compare_refuses_another_tenants_intake_like_an_unknown_one(cli, world: dict) -> None:
    unknown = world["theirs"] + 1000
    outcomes = [cli("suggestions", "--tenant", TENANT, "--compare", str(r)) for r in (world["theirs"], unknown)]
    assert [(code, out) for code, out, _ in outcomes] == [(EXIT_BAD_INPUT, "")] * 2
    assert [err for _, _, err in outcomes] == [
        f"tenant {TENANT!r} has no intake {world['theirs']}\n",
        f"tenant {TENANT!r} has no intake {unknown}\n",
    ]


def test_compare_without_an_earlier_intake_with_cards(cli, world: dict) -> None:
    code, stdout, stderr = cli("suggestions", "--tenant", RIVAL, "--compare", "previous")
    assert (code, stdout) == (EXIT_BAD_INPUT, "")
    assert (
        stderr
        == f"tenant {RIVAL!r} has no intake with cards before intake {world['theirs']}: nothing to compare with\n"
    )
    for bad in ("0", "-1", "last", "1.5", "١"):
        code, _, stderr = cli("suggestions", "--tenant", TENANT, "--compare", bad)
        assert code == EXIT_BAD_INPUT and "must be `previous` or an intake's response id" in stderr

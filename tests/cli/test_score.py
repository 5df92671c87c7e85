"""`icp score` end to end: accounts matched to ACRA, their sites (served on 127.0.0.1) crawled within
ICP_RUN_NOW_LIMIT and the rest left pending, graded, and the scored file written; bad files refused
whole (exit 2, nothing written), bad websites graded on ACRA alone, formula cells defused."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from demo.scoring_world import FOOD_CARD, LabelledAccount, account_sites, labelled_accounts
from demo.vhost import VirtualHostServer
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain import scoring
from tests.support.scoring import load_accounts_registry, tenant_with_card

TENANT, NO_CARDS, NO_INTAKE = "scorecli", "scorecli-nocards", "scorecli-nothing"
ACCOUNTS = labelled_accounts(seed=21)


def first(kind: str, ssic: str = "463") -> LabelledAccount:
    return next(a for a in ACCOUNTS if a.kind == kind and a.company.ssic.startswith(ssic))


IN_ICP, NEAR_MISS, BLOCKED = first("in_icp"), first("near_miss"), first("blocked_in")
OTHER = next(a for a in ACCOUNTS if a.kind == "other_industry" and "Xero" in a.company.integrations)
FILE_ORDER = (IN_ICP, NEAR_MISS, OTHER, BLOCKED)


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    with VirtualHostServer(account_sites(ACCOUNTS)) as running:
        yield running


@pytest.fixture
def env(
    make_database: Callable[[], str], server: VirtualHostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A database with the accounts' ACRA rows, a tenant with an accepted card, one with an intake
    and no card; `icp` pointed at it, crawling the fixture sites."""
    url = make_database()
    with psycopg.connect(url) as conn:
        load_accounts_registry(conn, ACCOUNTS)
        tenant_with_card(conn, TENANT, FOOD_CARD, accept=True)
        tenant_with_card(conn, NO_CARDS, FOOD_CARD, accept=False)
        conn.execute("delete from icp.icp_suggestions where tenant_id = %s", (NO_CARDS,))
    monkeypatch.setenv("ICP_DATABASE_URL", url)
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ICP_CRAWL_HOST_MAP", json.dumps(server.host_map()))
    monkeypatch.setenv("ICP_CRAWL_DELAY", "0")
    return url


def accounts_file(path: Path, rows: list[tuple[str, str]], header: str = "name,website") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(header + "\n")
        csv.writer(handle).writerows(rows)
    return path


def read_scored(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == scoring.OUTPUT_COLUMNS
        return list(reader)


def stored(url: str, tenant: str = TENANT) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        return {
            name: rest
            for name, *rest in conn.execute(
                "select name, crawl_status, grade from icp.account_scores where tenant_id = %s", (tenant,)
            )
        }


def test_the_first_accounts_are_crawled_now_and_the_rest_left_pending(
    env: str, server: VirtualHostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("ICP_RUN_NOW_LIMIT", "2")
    source = accounts_file(tmp_path / "accounts.csv", [(a.name, a.website) for a in FILE_ORDER])
    out = tmp_path / "scored.csv"
    assert main(["score", "--tenant", TENANT, "--accounts", str(source), "--out", str(out)]) == EXIT_OK

    rows = read_scored(out)
    assert [r["name"] for r in rows] == [a.name for a in FILE_ORDER]
    assert {a.company.domain for a in FILE_ORDER[:2]} == {h.host for h in server.hits()}  # only the first two
    status = stored(env)
    assert [status[a.name][0] for a in FILE_ORDER] == ["crawled", "crawled", "pending", "pending"]

    in_icp, near_miss, other, blocked = rows
    assert in_icp["grade"] in ("A", "B") and in_icp["uen"] == IN_ICP.company.uen
    assert in_icp["best_rule"].endswith(FOOD_CARD["title"])
    assert f"uses Xero = Xero (http://{IN_ICP.company.domain}/integrations)" in in_icp["matched"]
    assert f"SSIC group 463 = {IN_ICP.company.ssic} (acra:{IN_ICP.company.uen}/primary_ssic_code)" in in_icp["matched"]
    assert in_icp["evidence_urls"].split(" ")[0] == f"acra:{IN_ICP.company.uen}/primary_ssic_code"
    assert near_miss["grade"] == "C"  # its SSIC group, not Xero and Shopify (missed, not unknown)
    assert "uses Xero" not in near_miss["matched"] + near_miss["unknown"]
    # Not crawled yet: graded on ACRA alone, the site's attributes stated unknown.
    queued = "its site is not crawled yet (queued for the tenant's next run)"
    assert other["grade"] == "D" and other["matched"] == "" and f"uses Xero: {queued}" in other["unknown"]
    assert blocked["grade"] == "C" and blocked["matched"].startswith("SSIC group 463 = ")
    printed = capsys.readouterr().out
    assert "4 accounts graded against 1 accepted rule: A " in printed
    assert "2 sites crawled now (0 failed); 2 pending, crawled by the tenant's next run" in printed


def test_a_bad_file_is_refused_and_nothing_is_written(env: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "scored.csv"
    too_many = [(f"Company {i}", "") for i in range(scoring.MAX_ACCOUNTS + 1)]
    for source, message in (
        (
            accounts_file(tmp_path / "a.csv", [("Acme", "acme.sg")], header="company,url"),
            "missing column name, website",
        ),
        (accounts_file(tmp_path / "b.csv", too_many), f"more than {scoring.MAX_ACCOUNTS} accounts"),
        (accounts_file(tmp_path / "c.csv", [("Ac\x1bme", "acme.sg")]), "line 2: name: contains a control character"),
        (tmp_path / "missing.csv", "cannot read"),
    ):
        assert main(["score", "--tenant", TENANT, "--accounts", str(source), "--out", str(out)]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert "\x1b" not in err
    assert not out.exists() and stored(env) == {}


def test_the_tenant_and_the_output_are_checked_before_anything_is_stored(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    source = accounts_file(tmp_path / "accounts.csv", [(IN_ICP.name, IN_ICP.website)])
    out = tmp_path / "scored.csv"
    cases = [
        (["--tenant", NO_INTAKE, "--out", str(out)], "has no intake"),
        (["--tenant", NO_CARDS, "--out", str(out)], "no accepted rule and no current card"),
        (["--tenant", TENANT, "--out", str(tmp_path / "nowhere" / "scored.csv")], "not a file in an existing folder"),
    ]
    for arguments, message in cases:
        assert main(["score", "--accounts", str(source), *arguments]) == EXIT_BAD_INPUT
        assert message in capsys.readouterr().err
    for limit in ("ten", "\u00b2", "1001", "-1"):  # "²" is a digit to str.isdigit, not to int()
        monkeypatch.setenv("ICP_RUN_NOW_LIMIT", limit)
        assert main(["score", "--tenant", TENANT, "--accounts", str(source), "--out", str(out)]) == EXIT_BAD_INPUT
        assert "ICP_RUN_NOW_LIMIT must be a whole number from 0 to 1000" in capsys.readouterr().err
    assert not out.exists()
    for tenant in (TENANT, NO_CARDS, NO_INTAKE):
        assert stored(env, tenant) == {}


def test_bad_websites_are_graded_on_acra_and_formula_cells_defused(
    env: str, server: VirtualHostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_RUN_NOW_LIMIT", "10")
    before = len(server.hits())
    rows = [
        (IN_ICP.name, "http://127.0.0.1/"),
        (NEAR_MISS.name, f"https://{NEAR_MISS.company.domain}:8443/"),
        ('=HYPERLINK("http://evil.example/","click")', ""),
        ("+SUM(1,2)", "-x.example"),
        ("@Acme", "ftp://acme.example/"),
    ]
    out = tmp_path / "scored.csv"
    source = accounts_file(tmp_path / "accounts.csv", rows)
    assert main(["score", "--tenant", TENANT, "--accounts", str(source), "--out", str(out)]) == EXIT_OK
    assert len(server.hits()) == before  # nothing crawlable: nothing fetched
    scored = read_scored(out)
    ip, port, *formulas = scored
    assert ip["grade"] == "C" and ip["uen"] == IN_ICP.company.uen and ip["website"] == "http://127.0.0.1/"
    assert "uses Xero: website is an IP address, not a host name, so its site was not crawled" in ip["unknown"]
    assert port["grade"] == "C" and "port the crawler does not use" in port["unknown"]
    assert [r["name"] for r in formulas] == ["'" + name for name, _ in rows[2:]]
    assert formulas[1]["website"] == "'-x.example"
    assert all(r["grade"] == "unknown" and r["uen"] == "" and r["best_rule"] == "" for r in formulas)
    assert "it is not found in ACRA" in formulas[0]["unknown"]
    with psycopg.connect(env) as conn:  # stored as given: defusing is the file's business
        names = {r[0] for r in conn.execute("select name from icp.account_scores")}
    assert '=HYPERLINK("http://evil.example/","click")' in names

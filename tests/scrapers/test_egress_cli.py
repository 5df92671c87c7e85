"""The egress policy where the product meets it: `icp crawl` refuses internal start URLs and shows
every refusal of a crawl, the intake refuses IP addresses and odd ports, and a tenant's crawl
stores each site's refusals (icp.crawl_outcomes.refused_by_policy)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from demo.catalog import BEST_CUSTOMERS, demo_intake
from demo.egress_sites import CANARY_NAME, Canary, canary_test_dns, canary_urls, egress_site_name, egress_sites
from demo.fixture_sites import company_sites
from demo.vhost import VirtualHostServer
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.crawl import record_crawl
from icp_assets.domain.intake import Intake, IntakeError, parse_intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from scrapers.runner import CrawlResult

HEALTHY = company_sites(1, pages=6, seed=21)


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with Canary() as running:
        yield running


@pytest.fixture(scope="module")
def server(canary: Canary) -> Iterator[VirtualHostServer]:
    with VirtualHostServer({**egress_sites(canary.port), **{s.domain: s.pages for s in HEALTHY}}) as running:
        yield running


@pytest.fixture
def crawl_env(
    server: VirtualHostServer, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_CRAWL_HOST_MAP", json.dumps(server.host_map()))
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)  # the shared crawl cache's
    monkeypatch.setenv("ICP_CRAWL_TEST_DNS", json.dumps(canary_test_dns()))
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("form", [f for f in canary_urls(1) if f not in ("seam_name",)])
def test_icp_crawl_refuses_internal_start_urls(
    canary: Canary, form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = canary_urls(canary.port)[form]
    out = tmp_path / "evidence.jsonl"
    assert main(["crawl", url, "--output", str(out), "--delay", "0"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert url in err and "refused" in err
    assert not out.exists() and canary.hits == 0


@pytest.mark.usefixtures("crawl_env")
def test_icp_crawl_shows_each_refusal_and_crawls_the_rest(
    canary: Canary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = [
        f"https://{egress_site_name('hex', '302')}/",
        f"https://{egress_site_name('ipv6_loopback', '301')}/",
        f"https://{egress_site_name('seam_name', 'meta')}/",
        f"https://{egress_site_name('metadata', '307')}/",
        f"http://{CANARY_NAME}/",  # a start URL whose name resolves to 127.0.0.1
    ]
    healthy = f"https://{HEALTHY[0].domain}/"
    out = tmp_path / "evidence.jsonl"
    assert main(["crawl", *hostile, healthy, "--output", str(out), "--delay", "0"]) == EXIT_OK
    printed = capsys.readouterr().out
    lines = {line.split(": ", 1)[0]: line for line in printed.splitlines()[:-1]}
    assert "1 refused by the egress policy (ip_literal)" in lines[hostile[0]]
    assert "1 refused by the egress policy (ip_literal)" in lines[hostile[1]]
    assert "1 refused by the egress policy (port)" in lines[hostile[2]]  # the canary's port: not 80 or 443
    assert "1 refused by the egress policy (ip_literal)" in lines[hostile[3]]
    assert "1 refused by the egress policy (address)" in lines[hostile[4]]
    assert not lines[healthy].startswith(f"{healthy}: 0 pages") and "egress" not in lines[healthy]
    assert canary.hits == 0, canary.requests
    assert any(json.loads(line)["company_key"] == HEALTHY[0].domain for line in out.read_text().splitlines())


@pytest.mark.parametrize(
    ("website", "problem"),
    [
        ("http://0x7f.0x0.0x0.0x1/", "IP address"),
        ("http://2130706433/", "IP address"),
        ("http://[::ffff:127.0.0.1]/", "IP address"),
        ("https://shop.example.com.sg:8080/", "port 8080"),
    ],
)
def test_the_intake_refuses_ip_addresses_and_other_ports(website: str, problem: str) -> None:
    payload = demo_intake()
    payload["best_customers"][0]["website"] = website
    with pytest.raises(IntakeError) as refused:
        parse_intake(json.dumps(payload))
    assert problem in str(refused.value)


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        submit_intake(conn, "egress", Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, "egress")
        yield conn


def test_a_tenant_crawl_stores_each_sites_refusals(conn: psycopg.Connection) -> None:
    refused, clean = BEST_CUSTOMERS[0], BEST_CUSTOMERS[1]
    keys = {
        c.domain: str(conn.execute("select company_id from icp.companies where domain = %s", (c.domain,)).fetchone()[0])
        for c in (refused, clean)
    }
    outcomes = [
        {
            "company_key": keys[c.domain],
            "site_url": f"https://{c.domain}/",
            "pages_fetched": pages,
            "robots_refused": 0,
            "http_errors": 0,
            "timeouts": 0,
            "refused_by_policy": refusals,
            "reduced_evidence": pages < 3,
            "issues": {"egress_ip_literal": refusals} if refusals else {},
        }
        for c, pages, refusals in ((refused, 0, 2), (clean, 5, 0))
    ]
    counts = record_crawl(conn, "egress", CrawlResult(outcomes=outcomes))
    assert counts.refused_sites == [f"https://{refused.domain}/"] and counts.refused_requests == 2
    rows = conn.execute(
        "select site_url, refused_by_policy from icp.crawl_outcomes where tenant_id = 'egress' order by 2 desc"
    ).fetchall()
    assert rows == [(f"https://{refused.domain}/", 2), (f"https://{clean.domain}/", 0)]

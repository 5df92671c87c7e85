"""The tenant's crawl through the crawl_evidence asset, on sites full of personal email addresses:
nothing personal is stored anywhere (any table of icp and registry, the HTTP cache), a re-run
inside the cache TTL sends no request and leaves the evidence count unchanged; and `icp crawl`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from icp_assets.assets.crawl import crawl_evidence
from icp_assets.cli import main
from icp_assets.demo.catalog import demo_intake
from icp_assets.demo.fixture_sites import company_sites, hostile_sites
from icp_assets.demo.vhost import VirtualHostServer
from icp_assets.intake import Intake, submit_intake
from icp_assets.partitions import tenant_partitions
from icp_assets.stages import link_seeds_to_companies, record_crawl
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource
from scrapers.runner import CrawlResult

TENANT = "crawltest"
SITES = company_sites(4, pages=8, seed=9, personal_emails=30)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+ \[at\] \w+")
EMAIL_BYTES = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+ \[at\] \w+")


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    pdf = {"pdfonly.com.sg": hostile_sites()["pdfonly.com.sg"]}
    with VirtualHostServer({**{s.domain: s.pages for s in SITES}, **pdf}) as running:
        yield running


@pytest.fixture(scope="module")
def runs(server: VirtualHostServer, make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Submit an intake naming the fixture sites, then materialize crawl_evidence twice."""
    url = make_database()
    home = tmp_path_factory.mktemp("icp_home")
    intake = {
        "website": f"https://{SITES[0].domain}/",
        "best_customers": [{"name": s.domain.split("-")[0], "website": f"https://{s.domain}/"} for s in SITES[1:]]
        + [{"name": "PDF Only", "website": "https://pdfonly.com.sg/"}],
    }
    with psycopg.connect(url) as conn:
        submit_intake(conn, TENANT, Intake.model_validate(intake), "test")
        link_seeds_to_companies(conn, TENANT)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
    resources = {
        "postgres": PostgresResource(database_url=url),
        "crawler": CrawlerResource(host_map_json=json.dumps(server.host_map()), delay_s=0, page_cap=8),
    }
    materializations, evidence_counts, requests_sent = [], [], []
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ICP_HOME", str(home))
        for _ in range(2):
            before = len(server.hits())
            result = dg.materialize([crawl_evidence], partition_key=TENANT, resources=resources, instance=instance)
            assert result.success
            materializations.append(result.asset_materializations_for_node("crawl_evidence")[0])
            requests_sent.append(len(server.hits()) - before)
            with psycopg.connect(url) as conn:
                evidence_counts.append(
                    conn.execute("select count(*) from icp.icp_evidence where tenant_id = %s", (TENANT,)).fetchone()[0]
                )
    return {
        "url": url,
        "cache": home / "crawl-cache",
        "materializations": materializations,
        "evidence_counts": evidence_counts,
        "requests_sent": requests_sent,
    }


def test_rerun_is_idempotent_and_served_from_the_cache(runs: dict) -> None:
    first, second = runs["evidence_counts"]
    assert first > 0 and second == first
    assert runs["requests_sent"][0] > 0 and runs["requests_sent"][1] == 0


def test_metadata_has_pages_evidence_per_site_and_blocked_sites(runs: dict) -> None:
    metadata = runs["materializations"][0].metadata
    assert metadata["pages"].value == 3 * 8 + 1 + 8  # three seeds and the vendor, and the PDF
    table = metadata["evidence_per_site"].value
    assert all(s.domain in table for s in SITES) and "pdfonly.com.sg/ | 0 | reduced evidence" in table
    assert metadata["blocked_sites"].value == []
    assert metadata["reduced_evidence_sites"].value == ["https://pdfonly.com.sg/"]


def test_no_email_address_in_any_table_or_cache_file(runs: dict) -> None:
    found = []
    with psycopg.connect(runs["url"]) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('icp', 'registry') and table_type = 'BASE TABLE'"
        ).fetchall()
        assert len(tables) > 5
        for schema, table in tables:
            for row in conn.execute(f'select t::text from "{schema}"."{table}" t'):
                found += EMAIL.findall(row[0])
    assert found == []
    files = [p for p in runs["cache"].rglob("*") if p.is_file()]
    assert len(files) > 30 and any(b"Talk to a person" in p.read_bytes() for p in files)  # bodies are cached
    assert [p for p in files if EMAIL_BYTES.search(p.read_bytes())] == []


def test_icp_crawl_writes_evidence_without_a_tenant(
    server: VirtualHostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ICP_CRAWL_HOST_MAP", json.dumps(server.host_map()))
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))
    out = tmp_path / "evidence.jsonl"
    site = SITES[1]
    assert main(["crawl", f"https://{site.domain}/", "--output", str(out), "--delay", "0"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["value"]["label"] for r in records if r["signal_key"] == "integration"} == site.labels["integration"]
    assert {r["kind"] for r in records} == {"evidence"}
    assert f"https://{site.domain}/: 8 pages" in capsys.readouterr().out
    assert main(["crawl", "ftp://example.com/", "--output", str(out)]) == 2
    assert "not an http(s) URL: ftp://example.com/" in capsys.readouterr().err


def test_a_recrawl_replaces_a_companys_pages_whatever_their_url_variant(fresh_database_url: str) -> None:
    """The same page reached as https://www.x and http://x is one page of the company, not two."""
    with psycopg.connect(fresh_database_url) as conn:
        submit_intake(conn, "variants", Intake.model_validate(demo_intake()), None)
        link_seeds_to_companies(conn, "variants")
        company_id = conn.execute("select company_id from icp.companies where domain = 'harbourline.sg'").fetchone()[0]

        def crawl(url: str) -> CrawlResult:
            page = {"company_key": str(company_id), "url": url, "page_type": "home", "http_status": 200}
            outcome = {
                "company_key": str(company_id),
                "site_url": url,
                "pages_fetched": 1,
                "robots_refused": 0,
                "http_errors": 0,
                "timeouts": 0,
                "reduced_evidence": True,
            }
            return CrawlResult(pages=[page], evidence=[], outcomes=[outcome])

        record_crawl(conn, "variants", crawl("http://harbourline.sg/"))
        record_crawl(conn, "variants", crawl("https://www.harbourline.sg/"))
        urls = [r[0] for r in conn.execute("select url from icp.crawl_pages where company_id = %s", (company_id,))]
    assert urls == ["https://www.harbourline.sg/"]

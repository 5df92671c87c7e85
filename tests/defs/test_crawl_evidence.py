"""The tenant's crawl through the crawl_evidence asset, on sites full of personal email addresses:
nothing personal is stored anywhere (any table of icp and registry, the shared HTTP cache), and a
re-run inside the re-crawl period sends no request and leaves the evidence unchanged."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator

import dagster as dg
import psycopg
import pytest

from demo.fixture_sites import company_sites, hostile_sites
from demo.vhost import VirtualHostServer
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import crawl_evidence
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from resources.crawler import CrawlerResource
from resources.postgres import PostgresResource

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
        "crawler": CrawlerResource(
            host_map_json=json.dumps(server.host_map()), delay_s=0, page_cap=8, database_url=url
        ),
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
    with psycopg.connect(runs["url"]) as conn:  # the shared crawl cache, its records uncompressed
        cached = [zlib.decompress(r) for (r,) in conn.execute("select record from icp.crawl_cache")]
    assert len(cached) > 30 and any(b"Talk to a person" in c for c in cached)  # bodies are cached
    assert [c for c in cached if EMAIL_BYTES.search(c)] == []

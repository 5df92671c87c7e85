"""`icp crawl`: sites crawled without a tenant, evidence written as JSON lines, bad URLs refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.fixture_sites import company_sites
from demo.vhost import VirtualHostServer
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main

SITES = company_sites(2, pages=8, seed=9, personal_emails=30)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+ \[at\] \w+")


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    with VirtualHostServer({s.domain: s.pages for s in SITES}) as running:
        yield running


@pytest.fixture
def crawl_env(
    server: VirtualHostServer, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_CRAWL_HOST_MAP", json.dumps(server.host_map()))
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)  # the shared crawl cache's
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("crawl_env")
def test_icp_crawl_writes_each_sites_evidence_without_a_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "evidence.jsonl"
    out.parent.mkdir()  # `icp crawl` creates no folders (an output in a missing folder exits 2)
    urls = [f"https://{s.domain}/" for s in SITES]
    assert main(["crawl", *urls, urls[0].rstrip("/") + "/about", "--output", str(out), "--delay", "0"]) == EXIT_OK
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["kind"] for r in records} == {"evidence"}
    for site in SITES:
        labels = {
            r["value"]["label"] for r in records if r["company_key"] == site.domain and r["signal_key"] == "integration"
        }
        assert labels == site.labels["integration"], site.domain
    assert EMAIL.findall(out.read_text()) == []  # the sites are full of personal email addresses
    printed = capsys.readouterr().out
    assert [line.split(": ", 1)[0] for line in printed.splitlines()[:-1]] == urls  # a site's second URL is not crawled
    assert all(f"{url}: 8 pages" in printed for url in urls)
    assert printed.splitlines()[-1] == f"{len(records)} evidence records written to {out}"


def test_icp_crawl_refuses_a_url_that_is_not_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "evidence.jsonl"
    assert main(["crawl", "https://fine.example.com/", "ftp://example.com/", "--output", str(out)]) == EXIT_BAD_INPUT
    assert "ftp://example.com/ must be an http or https address: refused" in capsys.readouterr().err
    assert not out.exists()  # nothing crawled, nothing written

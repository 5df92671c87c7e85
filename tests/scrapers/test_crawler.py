"""The crawler end to end: demo websites on a local virtual-host server, a real Scrapy process,
real HTTP on 127.0.0.1, records read back from the JSON lines file."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.catalog import BEST_CUSTOMERS, CHURNED_CUSTOMERS, VENDOR, all_companies
from demo.vhost import Reply, VirtualHostServer
from demo.websites import build_sites
from scrapers.runner import CrawlError, CrawlResult, CrawlTarget, run_crawl

COMPANIES = (VENDOR, BEST_CUSTOMERS[0], BEST_CUSTOMERS[3], CHURNED_CUSTOMERS[0])
BLOCKED_HOST = "closedshop.com.sg"
PAGE_CAP = 6  # the vendor's site has 7 useful pages, so its crawl hits the cap
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    sites = build_sites(COMPANIES)
    sites[BLOCKED_HOST] = {
        "/": ("text/html", b"<html><body><a href='/about'>About us</a></body></html>"),
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /\n"),
    }
    with VirtualHostServer(sites) as running:
        yield running


@pytest.fixture(scope="module")
def crawl(server: VirtualHostServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    work = tmp_path_factory.mktemp("crawl")
    targets = [CrawlTarget("vendor", f"https://www.{VENDOR.domain}/")]
    targets += [CrawlTarget(c.domain, f"http://{c.domain}") for c in COMPANIES[1:]]
    targets.append(CrawlTarget(BLOCKED_HOST, f"http://www.{BLOCKED_HOST}/"))
    out = work / "crawl.jsonl"
    result = run_crawl(
        targets,
        out,
        host_map=server.host_map(),
        page_cap=PAGE_CAP,
        cache_dir=work / "cache",
        timeout_s=5,
        delay_s=0,
    )
    return result, out


def evidence_labels(result: CrawlResult, company_key: str, signal_key: str) -> set[str]:
    return {
        e["value"]["label"]
        for e in result.evidence
        if e["company_key"] == company_key and e["signal_key"] == signal_key
    }


def test_virtual_host_server_dispatches_on_host_and_proxy_request_lines(server: VirtualHostServer) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", f"http://www.{VENDOR.domain}/pricing")  # proxy-style request line
    response = connection.getresponse()
    assert response.status == 200 and b"SGD 890" in response.read()
    connection.request("GET", "/robots.txt", headers={"Host": f"{BEST_CUSTOMERS[0].domain}:80"})
    response = connection.getresponse()
    assert response.status == 200 and b"Disallow: /admin" in response.read()
    connection.request("GET", "/", headers={"Host": "unknown.example"})
    response = connection.getresponse()
    assert response.status == 404
    response.read()
    connection.close()
    assert server.host_map()[f"www.{VENDOR.domain}"] == f"127.0.0.1:{server.port}"


def test_healthy_sites_are_crawled_within_the_cap(crawl: tuple[CrawlResult, Path]) -> None:
    result, _ = crawl
    outcomes = {o["company_key"]: o for o in result.outcomes}
    assert set(outcomes) == {"vendor", *(c.domain for c in COMPANIES[1:]), BLOCKED_HOST}
    for key in ["vendor", *(c.domain for c in COMPANIES[1:])]:
        pages = [p for p in result.pages if p["company_key"] == key]
        assert 1 < len(pages) <= PAGE_CAP, key
        assert outcomes[key]["pages_fetched"] == len(pages)
        assert outcomes[key]["robots_refused"] == outcomes[key]["http_errors"] == 0
        assert outcomes[key]["reduced_evidence"] is False
        assert len({p["url"] for p in pages}) == len(pages)  # no page fetched twice
    assert outcomes["vendor"]["pages_fetched"] == PAGE_CAP
    # Only useful page types are followed: no blog, privacy or robots-disallowed /admin pages.
    assert {p["page_type"] for p in result.pages} <= {
        "home",
        "about",
        "customers",
        "industries",
        "integrations",
        "pricing",
        "careers",
    }
    assert all(p["http_status"] == 200 and len(p["content_hash"]) == 64 for p in result.pages)
    home = next(p for p in result.pages if p["company_key"] == "vendor" and p["page_type"] == "home")
    assert home["title"] == "Stockwise - Food distribution | Stockwise"


def test_planted_evidence_is_found(crawl: tuple[CrawlResult, Path]) -> None:
    result, _ = crawl
    lim_bros, harbourline = BEST_CUSTOMERS[0], BEST_CUSTOMERS[3]
    assert evidence_labels(result, lim_bros.domain, "integration") >= {"Xero", "Shopify"}
    assert evidence_labels(result, harbourline.domain, "integration") >= {"NetSuite", "Salesforce"}
    assert evidence_labels(result, lim_bros.domain, "buyer_title") >= {
        "Head of Operations",
        "Finance Manager",
        "Delivery Driver",
    }  # "Finance Mgr" on the page
    assert evidence_labels(result, harbourline.domain, "buyer_title") >= {
        "Supply Chain Manager",
        "Head of Operations",
        "Forklift Operator",
    }
    assert evidence_labels(result, lim_bros.domain, "headcount") == {"45"}
    assert evidence_labels(result, harbourline.domain, "headcount") == {"120"}
    assert f"Singapore {lim_bros.postal_code}" in evidence_labels(result, lim_bros.domain, "location")
    assert evidence_labels(result, lim_bros.domain, "industry_served") >= {"food distribution", "groceries wholesale"}
    assert evidence_labels(result, harbourline.domain, "technology") == {"HubSpot"}
    assert evidence_labels(result, "vendor", "technology") == {"HubSpot", "Google Analytics", "Intercom"}
    assert evidence_labels(result, "vendor", "customer") == set(VENDOR.customers)
    postal = next(
        e
        for e in result.evidence
        if e["company_key"] == lim_bros.domain and e["signal_key"] == "location" and e["value"].get("postal_code")
    )
    assert postal["value"] == {
        "label": f"Singapore {lim_bros.postal_code}",
        "country": "SG",
        "postal_code": lim_bros.postal_code,
    }
    assert postal["url"].startswith(f"http://{lim_bros.domain}")


def test_each_fact_is_recorded_once(crawl: tuple[CrawlResult, Path]) -> None:
    """The demo pages state some facts twice (a headcount in JSON-LD and in the text, an industry
    in a list and in a sentence): the output holds one record each, the most confident."""
    result, _ = crawl
    facts = [(e["company_key"], e["signal_key"], e["value"]["label"].lower(), e["url"]) for e in result.evidence]
    assert len(facts) == len(set(facts))
    headcount = [
        e for e in result.evidence if e["company_key"] == BEST_CUSTOMERS[3].domain and e["signal_key"] == "headcount"
    ]
    assert [e["confidence"] for e in headcount] == [0.9]


def test_robots_blocked_site_gets_an_outcome(crawl: tuple[CrawlResult, Path]) -> None:
    result, _ = crawl
    blocked = next(o for o in result.outcomes if o["company_key"] == BLOCKED_HOST)
    assert blocked["robots_refused"] > 0
    assert blocked["pages_fetched"] == 0 and blocked["reduced_evidence"] is True
    assert not [p for p in result.pages if p["company_key"] == BLOCKED_HOST]


def test_no_email_address_reaches_the_output(crawl: tuple[CrawlResult, Path]) -> None:
    _, out = crawl
    text = out.read_text(encoding="utf-8")
    assert f"tan@{VENDOR.domain}" not in text and f"sales@{VENDOR.domain}" not in text
    assert EMAIL.findall(text) == []


def test_crawl_failure_raises_with_stderr(tmp_path: Path) -> None:
    duplicate = [CrawlTarget("acme", "http://acme.sg/"), CrawlTarget("acme", "http://acme.sg/about")]
    with pytest.raises(CrawlError, match="duplicate company_key"):
        run_crawl(duplicate, tmp_path / "out.jsonl", delay_s=0)


def test_a_cache_left_in_another_layout_is_a_miss_not_an_error(tmp_path: Path) -> None:
    """Scrapy's own cache layout stores a directory where ours stores a file: crawl on regardless."""
    cache = tmp_path / "cache"
    companies = [c for c in all_companies() if c.domain == "harbourline.sg"]
    with VirtualHostServer(build_sites(companies)) as server:
        targets = [CrawlTarget("1", "https://harbourline.sg")]
        run_crawl(targets, tmp_path / "first.jsonl", host_map=server.host_map(), cache_dir=cache)
        for entry in (cache / "sites").glob("*/*"):
            entry.unlink()
            (entry / "pickled_meta").mkdir(parents=True)
        result = run_crawl(targets, tmp_path / "second.jsonl", host_map=server.host_map(), cache_dir=cache)
    assert result.outcomes[0]["pages_fetched"] > 1 and result.outcomes[0]["http_errors"] == 0


def test_gzipped_pages_are_read_and_cached_without_their_emails(tmp_path: Path) -> None:
    """Real servers compress: the scrubber must see the decompressed text, and so must the cache."""
    page = (
        "<html><body><h1>Gzip Co</h1><p>Works with Xero and NetSuite.</p>"
        + "".join(f"<p>Write to staff{i}.person@gzip.example</p>" for i in range(200))
        + "</body></html>"
    )
    body = gzip.compress(page.encode())
    site = {"/": Reply(200, body, headers=(("Content-Encoding", "gzip"),)), "/robots.txt": ("text/plain", b"")}
    cache = tmp_path / "cache"
    with VirtualHostServer({"gzip.example": site}) as server:
        result = run_crawl(
            [CrawlTarget("gz", "http://gzip.example/")],
            tmp_path / "out.jsonl",
            host_map=server.host_map(),
            cache_dir=cache,
            delay_s=0,
        )
    assert result.outcomes[0]["pages_fetched"] == 1 and result.outcomes[0]["http_errors"] == 0
    assert {"Xero", "NetSuite"} <= {e["value"]["label"] for e in result.evidence if e["signal_key"] == "integration"}
    cached = [p.read_bytes() for p in cache.rglob("*") if p.is_file()]
    assert any(b"Works with Xero" in data for data in cached)  # stored decompressed
    assert not any(b"@gzip.example" in data for data in cached)
    assert "@gzip.example" not in (tmp_path / "out.jsonl").read_text()

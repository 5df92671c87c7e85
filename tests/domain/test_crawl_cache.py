"""The shared crawl cache: rows of icp.crawl_cache become the files of one crawl's private cache
folder and what the crawl wrote goes back, fresh entries only, the crawl's own hosts only."""

from __future__ import annotations

import json
import os
import pickle
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from demo.fixture_sites import company_sites
from demo.vhost import Reply, VirtualHostServer
from icp_assets.domain.crawl_cache import SPIDER, download_entries, upload_entries
from resources.crawler import CrawlerResource
from scrapers.cache import CompactCacheStorage, read_record
from scrapers.runner import CrawlTarget

WEEK = timedelta(days=7)
HOSTS = ["acme.sg", "globex.sg"]


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        yield conn


def _storage(cachedir: Path) -> tuple[CompactCacheStorage, Spider]:
    """The cache storage the crawl process uses, writing into ``cachedir``."""
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(cachedir), "HTTPCACHE_EXPIRATION_SECS": 0})
    spider = Spider(SPIDER)
    spider.crawler = crawler
    storage = CompactCacheStorage(crawler.settings)
    storage.open_spider(spider)
    return storage, spider


def _store(cachedir: Path, url: str, body: bytes = b"<p>Works with Xero</p>", status: int = 200) -> Path:
    """An entry as the crawl stores it; its path."""
    storage, spider = _storage(cachedir)
    request = Request(url)
    storage.store_response(spider, request, HtmlResponse(url, status=status, body=body))
    return storage._path(spider, request)


def _rows(conn: psycopg.Connection) -> dict[str, tuple]:
    return {
        url: (host, stored_at, read_record(zlib.decompress(record)))
        for url, host, stored_at, record in conn.execute("select url, host, stored_at, record from icp.crawl_cache")
    }


def _age(conn: psycopg.Connection, url: str, age: timedelta) -> None:
    conn.execute("update icp.crawl_cache set stored_at = now() - %s where url = %s", (age, url))


def test_a_crawls_entries_go_up_and_come_down_for_its_hosts(conn: psycopg.Connection, tmp_path: Path) -> None:
    crawled = tmp_path / "crawled"
    for url in ("https://acme.sg/", "https://www.acme.sg/about", "https://globex.sg/missing"):
        _store(crawled, url, status=404 if url.endswith("missing") else 200)
    assert upload_entries(conn, HOSTS, crawled, {}, WEEK) == 3
    rows = _rows(conn)
    assert {url: host for url, (host, _, _) in rows.items()} == {
        "https://acme.sg/": "acme.sg",
        "https://www.acme.sg/about": "acme.sg",  # www. is the same site
        "https://globex.sg/missing": "globex.sg",
    }
    assert rows["https://globex.sg/missing"][2]["status"] == 404  # what the cache keeps, it shares

    later = tmp_path / "later"
    downloaded = download_entries(conn, ["acme.sg"], later, WEEK)
    assert len(downloaded) == 2  # globex.sg is not this crawl's
    storage, spider = _storage(later)
    for url, (_, stored_at, _) in rows.items():
        path = storage._path(spider, Request(url))
        if "globex" in url:
            assert not path.exists()
            continue
        assert path.stat().st_mtime == pytest.approx(stored_at.timestamp())  # the crawl's expiry reads it
        assert storage.retrieve_response(spider, Request(url)).body == b"<p>Works with Xero</p>"


def test_an_expired_row_is_not_downloaded_and_is_deleted(conn: psycopg.Connection, tmp_path: Path) -> None:
    crawled = tmp_path / "crawled"
    _store(crawled, "https://acme.sg/")
    _store(crawled, "https://acme.sg/about")
    upload_entries(conn, HOSTS, crawled, {}, WEEK)
    _age(conn, "https://acme.sg/about", WEEK + timedelta(minutes=1))
    _age(conn, "https://acme.sg/", WEEK - timedelta(minutes=1))

    downloaded = download_entries(conn, ["acme.sg"], tmp_path / "later", WEEK)
    assert list(_rows(conn)) == ["https://acme.sg/"] and len(downloaded) == 1


def test_the_upload_sends_what_the_crawl_wrote_or_refreshed_and_upserts(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    crawled = tmp_path / "crawled"
    _store(crawled, "https://acme.sg/", b"<p>old home</p>")
    _store(crawled, "https://acme.sg/about", b"<p>about</p>")
    upload_entries(conn, HOSTS, crawled, {}, WEEK)
    _age(conn, "https://acme.sg/", timedelta(days=1))
    first = _rows(conn)

    folder = tmp_path / "next"
    downloaded = download_entries(conn, HOSTS, folder, WEEK)
    _store(folder, "https://acme.sg/", b"<p>new home</p>")  # refetched: the file is rewritten
    _store(folder, "https://acme.sg/contact", b"<p>contact</p>")  # new
    assert upload_entries(conn, HOSTS, folder, downloaded, WEEK) == 2  # not the untouched /about
    rows = _rows(conn)
    assert rows["https://acme.sg/"][2]["body"] == b"<p>new home</p>"
    assert rows["https://acme.sg/"][1] > first["https://acme.sg/"][1]
    assert rows["https://acme.sg/about"] == first["https://acme.sg/about"]
    assert rows["https://acme.sg/contact"][2]["body"] == b"<p>contact</p>"


def test_a_newer_stored_row_is_kept(conn: psycopg.Connection, tmp_path: Path) -> None:
    """Two crawls of one page: the one that fetched it last wins, whichever sends it last."""
    slow, fast = tmp_path / "slow", tmp_path / "fast"
    older = _store(slow, "https://acme.sg/", b"<p>fetched first</p>")
    os.utime(older, (time.time() - 60, time.time() - 60))
    _store(fast, "https://acme.sg/", b"<p>fetched last</p>")
    upload_entries(conn, HOSTS, fast, {}, WEEK)
    upload_entries(conn, HOSTS, slow, {}, WEEK)
    assert _rows(conn)["https://acme.sg/"][2]["body"] == b"<p>fetched last</p>"


def test_the_upload_deletes_expired_rows_of_any_host(conn: psycopg.Connection, tmp_path: Path) -> None:
    _store(tmp_path / "a", "https://globex.sg/")
    upload_entries(conn, HOSTS, tmp_path / "a", {}, WEEK)
    _age(conn, "https://globex.sg/", timedelta(days=30))
    _store(tmp_path / "b", "https://acme.sg/")
    upload_entries(conn, ["acme.sg"], tmp_path / "b", {}, WEEK)
    assert list(_rows(conn)) == ["https://acme.sg/"]


def test_only_data_records_of_the_crawls_hosts_are_shared(conn: psycopg.Connection, tmp_path: Path) -> None:
    """The crawl process reads hostile websites: what it leaves in its folder is checked before it
    is shared. A record that would load a class (code) or names another site is not taken."""
    crawled = tmp_path / "crawled"
    _store(crawled, "https://acme.sg/")
    _store(crawled, "https://bank.sg/login", b"<p>planted</p>")  # not one of this crawl's sites
    planted = _store(crawled, "https://acme.sg/about")
    planted.write_bytes(pickle.dumps({"format": 3, "url": "https://acme.sg/about", "status": 200,
                                      "headers": {}, "body": b"", "x": datetime.now(UTC)}))  # fmt: skip
    (crawled / SPIDER / "no-entry").write_bytes(b"junk")
    assert upload_entries(conn, ["acme.sg"], crawled, {}, WEEK) == 1
    assert list(_rows(conn)) == ["https://acme.sg/"]


# --- through the crawler resource: every product crawl shares the cache ----------------------------

SITES = company_sites(2, pages=5, seed=13)


@pytest.fixture(scope="module")
def server() -> Iterator[VirtualHostServer]:
    pages = {s.domain: {**s.pages, "/old": Reply(301, headers=(("Location", "/"),))} for s in SITES}
    with VirtualHostServer(pages) as running:
        yield running


def _crawl(server: VirtualHostServer, url: str, out: Path) -> set[tuple[str, str]]:
    """What the server was asked for (host, path) in one crawl of both sites (each site's home and a moved page)."""
    before = len(server.hits())
    crawler = CrawlerResource(host_map_json=json.dumps(server.host_map()), delay_s=0, page_cap=8, database_url=url)
    targets = [CrawlTarget(s.domain, f"https://{s.domain}/") for s in SITES]
    targets += [CrawlTarget(f"{s.domain}/old", f"https://{s.domain}/old") for s in SITES]
    result = crawler.crawl(targets, out)
    assert len(result.outcomes) == 4
    return {(hit.host, hit.path) for hit in server.hits()[before:]}


def test_a_second_crawl_within_the_recrawl_period_sends_no_request(
    server: VirtualHostServer, fresh_database_url: str, tmp_path: Path
) -> None:
    assert _crawl(server, fresh_database_url, tmp_path / "first.jsonl")
    with psycopg.connect(fresh_database_url) as conn:
        statuses = {
            read_record(zlib.decompress(r))["status"] for (r,) in conn.execute("select record from icp.crawl_cache")
        }
    assert {200, 301, 404} <= statuses  # pages, the moved page, the missing sitemap: all shared
    assert _crawl(server, fresh_database_url, tmp_path / "second.jsonl") == set()


def test_past_the_recrawl_period_pages_are_fetched_again(
    server: VirtualHostServer, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_RECRAWL_DAYS", "2")
    first = _crawl(server, fresh_database_url, tmp_path / "first.jsonl")
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("update icp.crawl_cache set stored_at = stored_at - interval '2 days 1 minute'")
    assert _crawl(server, fresh_database_url, tmp_path / "second.jsonl") == first
    monkeypatch.setenv("ICP_RECRAWL_DAYS", "0")
    with pytest.raises(ValueError, match="ICP_RECRAWL_DAYS"):
        _crawl(server, fresh_database_url, tmp_path / "third.jsonl")


def test_an_unchanged_binary_response_is_not_uploaded_twice(conn: psycopg.Connection, tmp_path: Path) -> None:
    """A binary body is cached without it (scrapers.cache): shared the same way, body empty."""
    storage, spider = _storage(tmp_path / "crawled")
    request = Request("https://acme.sg/brochure.pdf")
    storage.store_response(
        spider, request, Response(request.url, body=b"%PDF-1.4 x", headers={"Content-Type": "application/pdf"})
    )
    assert upload_entries(conn, HOSTS, tmp_path / "crawled", {}, WEEK) == 1
    downloaded = download_entries(conn, HOSTS, tmp_path / "next", WEEK)
    assert upload_entries(conn, HOSTS, tmp_path / "next", downloaded, WEEK) == 0
    assert _rows(conn)["https://acme.sg/brochure.pdf"][2]["body"] == b""

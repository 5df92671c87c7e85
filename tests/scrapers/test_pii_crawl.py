"""The personal-data corpus end to end: a website carrying every form of demo.fixture_sites.PII_FORMS
(page text, attributes, scripts, JSON-LD, link and redirect URLs, response headers, cookies) is
crawled by the real crawler and recorded into a migrated database; no form is found in any JSON
line, any HTTP cache file (raw bytes, and the unpickled record decoded), or any column of any table."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from demo.fixture_sites import (
    PII_DOMAIN,
    PII_FORMS,
    PII_ROLE_ADDRESS,
    PII_TITLES,
    PiiForm,
    pii_site,
    pii_views,
    squash,
)
from demo.vhost import VirtualHostServer
from icp_assets.domain.crawl import crawl_targets, record_crawl
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from scrapers.cache import FORMAT, CompactCacheStorage
from scrapers.pii import BODY_SHA256_HEADER, decode_text
from scrapers.runner import CrawlResult, run_crawl
from scrapers.spiders.sites import SitesSpider

TENANT = "piitest"
CUSTOMER_DOMAIN = "piicustomer.com.sg"
# Names are cut from what is extracted (labels, snippets); page text in the cache keeps them.
IN_CACHE = [f for f in PII_FORMS if f.where != "title"]


@pytest.fixture(scope="module")
def crawled(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("pii_crawl")
    url = make_database()
    intake = {
        "website": f"https://{PII_DOMAIN}/",
        "best_customers": [{"name": "PII Customer", "website": f"https://{CUSTOMER_DOMAIN}/"}],
    }
    with VirtualHostServer({PII_DOMAIN: pii_site(), CUSTOMER_DOMAIN: pii_site()}) as server:
        with psycopg.connect(url) as conn:
            submit_intake(conn, TENANT, Intake.model_validate(intake), "test")
            link_seeds_to_companies(conn, TENANT)
            targets = crawl_targets(conn, TENANT)
        result = run_crawl(
            targets, work / "crawl.jsonl", host_map=server.host_map(), cache_dir=work / "cache", delay_s=0, timeout_s=5
        )
        hits = server.hits()
    with psycopg.connect(url) as conn:
        record_crawl(conn, TENANT, result)
    return {"url": url, "result": result, "out": work / "crawl.jsonl", "cache": work / "cache", "hits": hits}


def _texts_of_cache_file(path: Path) -> list[str]:
    raw = path.read_bytes()
    texts = [raw.decode("latin-1"), raw.decode("utf-8", errors="replace")]
    record = pickle.loads(raw)  # noqa: S301 (the test's own cache)
    body = record["body"].decode("utf-8", errors="replace")
    texts += [record["url"], repr(record["headers"]), body, decode_text(body), record["body"].decode("latin-1")]
    return texts


def _absent(form: PiiForm, texts: list[str], where: str) -> None:
    for text in texts:
        for view in pii_views(text):  # as stored, percent escapes decoded, tags out, PDF streams inflated
            seen = squash(view)
            for needle in form.needles:
                assert squash(needle) not in seen, f"{form.id}: {needle!r} found in {where}"


def test_the_site_was_crawled_with_every_page_and_the_redirect(crawled: dict) -> None:
    result: CrawlResult = crawled["result"]
    paths = {h.path.split("?")[0] for h in crawled["hits"]}
    assert {"/", "/about", "/careers", "/customers", "/industries", "/company", "/about/team"} <= paths
    assert {f"/about/{f.id}.pdf" for f in PII_FORMS if f.where == "file"} <= paths  # the PDFs too
    assert any("?" in h.path for h in crawled["hits"])  # the links and the redirect with personal data in them
    titles = {e["value"]["label"] for e in result.evidence if e["signal_key"] == "buyer_title"}
    assert titles == PII_TITLES | {"Finance Manager"}


@pytest.mark.parametrize("form", PII_FORMS, ids=lambda f: f.id)
def test_form_is_in_no_json_line(crawled: dict, form: PiiForm) -> None:
    lines = crawled["out"].read_text(encoding="utf-8").splitlines()
    assert lines
    _absent(form, lines + [decode_text(line) for line in lines] + [json.dumps(json.loads(x)) for x in lines], "output")


@pytest.mark.parametrize("form", IN_CACHE, ids=lambda f: f.id)
def test_form_is_in_no_cache_file(crawled: dict, form: PiiForm) -> None:
    files = [p for p in crawled["cache"].rglob("*") if p.is_file()]
    assert len(files) >= 8
    for path in files:
        _absent(form, _texts_of_cache_file(path), f"cache file {path.name}")


@pytest.mark.parametrize("form", PII_FORMS, ids=lambda f: f.id)
def test_form_is_in_no_table(crawled: dict, form: PiiForm) -> None:
    rows = []
    with psycopg.connect(crawled["url"]) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('icp', 'registry') and table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            rows += [row[0] for row in conn.execute(f'select t::text from "{schema}"."{table}" t')]
        assert conn.execute("select count(*) from icp.icp_evidence where tenant_id = %s", (TENANT,)).fetchone()[0] > 0
    _absent(form, rows, "the database")


def test_cache_entries_are_scrubbed_records_of_the_current_format(crawled: dict) -> None:
    records = [pickle.loads(p.read_bytes()) for p in crawled["cache"].rglob("*") if p.is_file()]  # noqa: S301
    assert all(r["format"] == FORMAT for r in records)
    header_names = {bytes(k).lower() for r in records for k in r["headers"]}
    assert b"x-contact" not in header_names and b"x-phone" not in header_names and b"content-type" in header_names
    assert any(b"Singapore 048616" in r["body"] for r in records)  # what is not personal stays
    assert not any(PII_ROLE_ADDRESS.encode() in r["body"] for r in records)  # role addresses go too


def test_an_old_format_cache_entry_is_not_read(tmp_path: Path) -> None:
    """Entries stored before this format (every header, the raw URL, phone numbers in bodies)
    are never served: the page is fetched again and the entry replaced."""
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_EXPIRATION_SECS": 0})
    spider = Spider("sites")
    spider.crawler = crawler
    storage = CompactCacheStorage(crawler.settings)
    storage.open_spider(spider)
    request = Request("https://acme.sg/about")
    path = storage._path(spider, request)
    path.parent.mkdir(parents=True)
    old = {"url": request.url, "status": 200, "headers": {b"X-Contact": [b"jane@acme.sg"]}, "body": b"+65 9123 4567"}
    path.write_bytes(pickle.dumps(old))
    assert storage.retrieve_response(spider, request) is None


def _storage(tmp_path: Path) -> tuple[CompactCacheStorage, Spider]:
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_EXPIRATION_SECS": 0})
    spider = Spider("sites")
    spider.crawler = crawler
    storage = CompactCacheStorage(crawler.settings)
    storage.open_spider(spider)
    return storage, spider


@pytest.mark.parametrize(
    ("cls", "content_type", "body"),
    [
        (Response, b"application/pdf", next(f for f in PII_FORMS if f.where == "file").markup.encode("latin-1")),
        (HtmlResponse, b"text/html", next(f for f in PII_FORMS if f.where == "file").markup.encode("latin-1")),
        (TextResponse, b"text/plain", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4),
        (Response, b"application/octet-stream", b"\x00\x01jane.tan@acme.sg\x02" * 10),
    ],
)
def test_a_binary_body_is_cached_without_its_body_but_with_its_hash(
    tmp_path: Path, cls: type[Response], content_type: bytes, body: bytes
) -> None:
    """A PDF or any binary body (whatever its Content-Type says) can hide personal data no text
    scrub reads: the entry keeps the status, the headers and the body's hash, not the body."""
    storage, spider = _storage(tmp_path)
    request = Request("https://acme.sg/about/profile.pdf")
    storage.store_response(spider, request, cls(request.url, body=body, headers={"Content-Type": content_type}))
    record = pickle.loads(storage._path(spider, request).read_bytes())  # noqa: S301
    assert record["body"] == b"" and record["status"] == 200
    assert record["headers"][BODY_SHA256_HEADER] == [hashlib.sha256(body).hexdigest().encode()]
    cached = storage.retrieve_response(spider, request)
    assert cached is not None and cached.body == b""


def test_text_bodies_are_cached_as_they_are(tmp_path: Path) -> None:
    """What the spider reads from the cache: HTML, XML sitemaps, robots.txt; control bytes here
    and there (tag soup) do not make a page binary."""
    storage, spider = _storage(tmp_path)
    for url, content_type, body in [
        ("https://acme.sg/", b"text/html", b"<html><body><p>Hi \x00 there</p>" + b"<p>Works with Xero</p>" * 20),
        ("https://acme.sg/sitemap.xml", b"application/xml", b'<?xml version="1.0"?><urlset></urlset>'),
        ("https://acme.sg/robots.txt", b"text/plain", b"User-agent: *\nAllow: /\n"),
    ]:
        request = Request(url)
        response = TextResponse(url, body=body, headers={"Content-Type": content_type})
        storage.store_response(spider, request, response)
        assert storage.retrieve_response(spider, request).body == body


def test_a_cached_binary_page_keeps_its_content_hash() -> None:
    """The spider's content hash of a PDF served from the cache is the hash of the body fetched
    (the header counts only on a cached response)."""
    body = b"%PDF-1.4 whatever"
    digest = hashlib.sha256(body).hexdigest()
    cached = Response("https://acme.sg/a.pdf", headers={BODY_SHA256_HEADER: digest}, flags=["cached"])
    fresh = Response("https://acme.sg/a.pdf", body=body, headers={BODY_SHA256_HEADER: "0" * 64})
    assert SitesSpider.content_hash(cached) == digest == SitesSpider.content_hash(fresh)

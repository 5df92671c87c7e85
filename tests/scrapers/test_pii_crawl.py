"""The personal-data corpus end to end: a website carrying every form of demo.fixture_sites.PII_FORMS
(page text, attributes, scripts, JSON-LD, link and redirect URLs, response headers, cookies) is
crawled by the real crawler and recorded into a migrated database; no form is found in any JSON
line, any HTTP cache file (raw bytes, and the unpickled record decoded), or any column of any table."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from demo.fixture_sites import PII_DOMAIN, PII_FORMS, PII_ROLE_ADDRESS, PII_TITLES, PiiForm, pii_site, squash
from demo.vhost import VirtualHostServer
from icp_assets.domain.crawl import crawl_targets, record_crawl
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import link_seeds_to_companies
from scrapers.cache import FORMAT, CompactCacheStorage
from scrapers.pii import decode_text
from scrapers.runner import CrawlResult, run_crawl

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
    texts += [record["url"], repr(record["headers"]), body, decode_text(body)]
    return texts


def _absent(form: PiiForm, texts: list[str], where: str) -> None:
    for text in texts:
        seen = squash(text)
        for needle in form.needles:
            assert squash(needle) not in seen, f"{form.id}: {needle!r} found in {where}"


def test_the_site_was_crawled_with_every_page_and_the_redirect(crawled: dict) -> None:
    result: CrawlResult = crawled["result"]
    paths = {h.path.split("?")[0] for h in crawled["hits"]}
    assert {"/", "/about", "/careers", "/customers", "/industries", "/company", "/about/team"} <= paths
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

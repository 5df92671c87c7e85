"""The hostile web in one crawl next to healthy sites: every hostile site ends with a recorded
outcome, nothing crashes, and the healthy sites keep all their evidence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.fixture_sites import SIGNALS, FixtureSite, company_sites, hostile_sites
from demo.vhost import VirtualHostServer
from scrapers.runner import CrawlResult, CrawlTarget, run_crawl

PAGE_CAP = 10
HEALTHY = company_sites(3, pages=PAGE_CAP, seed=5)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CrawlResult, VirtualHostServer]]:
    work = tmp_path_factory.mktemp("hostile")
    sites = {**hostile_sites(), **{s.domain: s.pages for s in HEALTHY}}
    with VirtualHostServer(sites) as server:
        targets = [CrawlTarget(domain, f"https://{domain}/") for domain in sites]
        result = run_crawl(
            targets,
            work / "crawl.jsonl",
            host_map=server.host_map(),
            page_cap=PAGE_CAP,
            cache_dir=work / "cache",
            timeout_s=1.5,
            delay_s=0,
        )
        yield result, server


def outcome(result: CrawlResult, domain: str) -> dict:
    return next(o for o in result.outcomes if o["company_key"] == domain)


def labels(result: CrawlResult, domain: str, signal: str) -> set[str]:
    return {e["value"]["label"] for e in result.evidence if e["company_key"] == domain and e["signal_key"] == signal}


def test_every_site_has_an_outcome(crawl: tuple[CrawlResult, VirtualHostServer]) -> None:
    result, _ = crawl
    assert sorted(o["company_key"] for o in result.outcomes) == sorted([*hostile_sites(), *(s.domain for s in HEALTHY)])


@pytest.mark.parametrize("site", HEALTHY, ids=lambda s: s.domain)
def test_healthy_sites_keep_all_their_evidence(crawl: tuple[CrawlResult, VirtualHostServer], site: FixtureSite) -> None:
    result, _ = crawl
    done = outcome(result, site.domain)
    assert done["pages_fetched"] == len(site.crawlable) == PAGE_CAP
    assert (done["http_errors"], done["timeouts"], done["reduced_evidence"]) == (0, 0, False)
    for signal in SIGNALS:
        assert labels(result, site.domain, signal) == site.labels[signal], signal


def test_blocked_failing_and_slow_sites_are_recorded(crawl: tuple[CrawlResult, VirtualHostServer]) -> None:
    result, server = crawl
    closed = outcome(result, "closedshop.com.sg")
    assert closed["robots_refused"] >= 1 and closed["pages_fetched"] == 0 and closed["reduced_evidence"]
    assert outcome(result, "forbidden.com.sg")["issues"] == {"http_403": 1, "sitemap_unavailable": 1}
    broken = outcome(result, "brokenserver.com.sg")
    assert broken["http_errors"] == 1 and broken["issues"]["http_500"] == 1
    assert len([h for h in server.hits("brokenserver.com.sg") if h.path == "/"]) == 3  # two retries
    slow = outcome(result, "slowpoke.com.sg")
    assert slow["timeouts"] == 1 and slow["pages_fetched"] == 0
    assert outcome(result, "loopy.com.sg")["issues"].get("redirect_loop") == 1


def test_rate_limited_site_is_retried_after_its_retry_after(crawl: tuple[CrawlResult, VirtualHostServer]) -> None:
    result, server = crawl
    limited = outcome(result, "ratelimited.com.sg")
    assert limited["pages_fetched"] == 2 and limited["http_errors"] == 0
    assert labels(result, "ratelimited.com.sg", "integration") == {"Xero", "HubSpot"}
    home = [h.at for h in server.hits("ratelimited.com.sg") if h.path == "/"]
    assert len(home) == 2 and home[1] - home[0] >= 1.0  # Retry-After: 1 was honoured


def test_endless_huge_and_odd_pages_are_bounded(crawl: tuple[CrawlResult, VirtualHostServer]) -> None:
    result, _ = crawl
    calendar = outcome(result, "eventcal.com.sg")
    assert 1 < calendar["pages_fetched"] <= PAGE_CAP
    huge = outcome(result, "hugepage.com.sg")
    assert huge["pages_fetched"] == 1 and huge["issues"]["too_large"] == 1
    assert labels(result, "hugepage.com.sg", "integration") == {"Shopify"}
    pdf = outcome(result, "pdfonly.com.sg")
    assert pdf["pages_fetched"] == 1 and pdf["issues"]["non_html"] == 1 and pdf["reduced_evidence"]
    assert not [e for e in result.evidence if e["company_key"] == "pdfonly.com.sg"]
    assert {"Xero", "Shopify"} <= labels(result, "tagsoup.com.sg", "integration")
    shell = outcome(result, "jsshell.com.sg")
    assert shell["pages_fetched"] == 1 and shell["reduced_evidence"]

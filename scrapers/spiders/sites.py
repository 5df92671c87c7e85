"""The ``sites`` spider: a bounded crawl of many company websites at once.

Each site starts at its given URL and follows same-host links, and the URLs of its sitemaps
(robots.txt ``Sitemap:`` lines, else /sitemap.xml), to the page types that carry ICP evidence
(about, customers, industries, integrations, pricing, careers); everything else is skipped. The
spider only crawls: pages go to every extractor of the registry, records go out as items (the
item pipelines scrub and de-duplicate them), and every site ends with an outcome record saying
what was fetched and what went wrong. Hosts are compared as scrapers.hosts normalises them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    DontCloseSpider,
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    UnsupportedURLSchemeError,
)
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from scrapers.egress_middleware import RefusedByPolicy
from scrapers.extractors import EXTRACTORS, classify_page
from scrapers.extractors.titles import people_named, without_people
from scrapers.hosts import normalise_host
from scrapers.items import EvidenceItem, OutcomeItem, PageItem
from scrapers.pii import BODY_SHA256_HEADER

# Higher priority is fetched earlier, so the most telling pages make it under the page cap.
PAGE_TYPE_PRIORITY = {
    "home": 70,
    "customers": 60,
    "integrations": 50,
    "industries": 40,
    "careers": 30,
    "about": 20,
    "pricing": 10,
}


class SiteBudgetExceeded(IgnoreRequest):
    """A site's request dropped because its time budget (ICP_SITE_BUDGET_S) is used up."""


def page_key(url: str) -> str:
    """Identity of a page regardless of scheme, "www." and fragment (the site's home page is
    often linked as both https://www.x/ and http://x/)."""
    parts = urlsplit(canonicalize_url(url))
    return f"{normalise_host(url)}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


@dataclass
class SiteCrawl:
    """Bookkeeping for one site: what was requested and how it went."""

    company_key: str
    site_url: str
    host: str
    requested: set[str] = field(default_factory=set)
    sitemaps_read: int = 0
    pages_fetched: int = 0
    robots_refused: int = 0
    http_errors: int = 0
    timeouts: int = 0
    refused_by_policy: int = 0  # requests the egress policy refused (issues say why: egress_<reason>)
    redirect_hops: int = 0  # they count against the page cap like requested pages
    started: float | None = None  # time.monotonic() of the site's first request
    issues: Counter[str] = field(default_factory=Counter)  # finer reasons: http_403, too_large, ...

    def outcome(self, min_useful_pages: int) -> OutcomeItem:
        return OutcomeItem(
            company_key=self.company_key,
            site_url=self.site_url,
            pages_fetched=self.pages_fetched,
            robots_refused=self.robots_refused,
            http_errors=self.http_errors,
            timeouts=self.timeouts,
            refused_by_policy=self.refused_by_policy,
            reduced_evidence=self.pages_fetched < min_useful_pages,
            issues=dict(sorted(self.issues.items())),
        )


class SitesSpider(scrapy.Spider):
    """``-a targets=FILE``: a JSON list of {"company_key", "url"}."""

    name = "sites"

    def __init__(self, targets: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sites: dict[str, SiteCrawl] = {}
        for target in json.loads(Path(targets).read_text()):
            key, url = target["company_key"], target["url"].strip()
            if key in self.sites:
                raise ValueError(f"duplicate company_key in targets: {key}")
            self.sites[key] = SiteCrawl(key, url, normalise_host(url))
        self.outcomes_scheduled = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SitesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_scheduled, signal=signals.request_scheduled)
        return spider

    @property
    def page_cap(self) -> int:
        return self.settings.getint("ICP_PAGE_CAP")

    @property
    def sitemap_cap(self) -> int:
        return self.settings.getint("ICP_SITEMAP_CAP")

    def over_budget(self, site: SiteCrawl) -> bool:
        """Has the site used up its time (ICP_SITE_BUDGET_S since its first request)?"""
        budget = self.settings.getfloat("ICP_SITE_BUDGET_S")
        return bool(budget) and site.started is not None and time.monotonic() - site.started > budget

    def on_scheduled(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """Every request the engine schedules (the spider's, redirects and meta refreshes,
        retries): none of a site after its time budget, and each redirect hop counted against
        the page cap (a hop over it is dropped). Raising IgnoreRequest here drops the request
        (ExecutionEngine._schedule_request)."""
        site = self.sites.get(request.meta.get("company_key", ""))
        if site is None:
            return
        if self.over_budget(site):
            site.issues["site_time_budget"] += 1
            raise SiteBudgetExceeded(f"{site.company_key}: site time budget used up")
        hops = request.meta.get("redirect_times", 0)
        if hops > request.meta.get("icp_hops_counted", 0):  # a new hop, not a retry of a counted one
            request.meta["icp_hops_counted"] = hops
            if len(site.requested) + site.redirect_hops >= self.page_cap:
                site.issues["redirect_over_page_cap"] += 1
                raise IgnoreRequest(f"{site.company_key}: redirect hop over the page cap")
            site.redirect_hops += 1

    def before_download(self, request: scrapy.Request) -> None:
        """Called by the download handler (scrapers.handlers) as a request is really sent: none of
        a site past its time budget, even if it was queued in the site's download slot before."""
        site = self.sites.get(request.meta.get("company_key", ""))
        if site is not None and self.over_budget(site):
            site.issues["site_time_budget"] += 1
            raise SiteBudgetExceeded(f"{site.company_key}: site time budget used up")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for site in self.sites.values():
            if urlsplit(site.site_url).scheme not in ("http", "https") or not site.host:
                self.logger.warning("Skipping %s: not an http(s) URL: %r", site.company_key, site.site_url)
                continue
            site.started = time.monotonic()
            yield self.page_request(site, site.site_url, "home")

    def page_request(self, site: SiteCrawl, url: str, page_type: str) -> scrapy.Request:
        """Pages are de-duplicated per site by page_key, so Scrapy's filter is off: it would
        silently swallow a redirect loop's second hop, which must end as a recorded failure."""
        site.requested.add(page_key(url))
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=PAGE_TYPE_PRIORITY.get(page_type, 0),
            dont_filter=True,
            meta={"company_key": site.company_key, "page_type": page_type, "download_slot": site.host},
        )

    def on_robots(self, robotparser: RobotParser, request: scrapy.Request) -> None:
        """Once a site's robots.txt is read, queue its sitemaps: the Sitemap: lines, else /sitemap.xml."""
        site = self.sites.get(request.meta.get("company_key", ""))
        if site is None or site.sitemaps_read:
            return
        parts = urlsplit(request.url)
        listed = getattr(getattr(robotparser, "rp", None), "sitemaps", None) or []  # Protego, the default parser
        sitemaps = [u for u in listed if normalise_host(u) == site.host][: self.sitemap_cap]
        for url in sitemaps or [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]:
            site.sitemaps_read += 1
            self.crawler.engine.crawl(self.sitemap_request(site, url))

    def sitemap_request(self, site: SiteCrawl, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_sitemap_error,
            priority=PAGE_TYPE_PRIORITY["home"] - 1,
            dont_filter=True,
            meta={"company_key": site.company_key, "download_slot": site.host},
        )

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Useful pages listed in a sitemap (a sitemap index leads to its child sitemaps)."""
        site = self.sites[response.meta["company_key"]]
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml raises several kinds on junk; a bad sitemap is just no sitemap
            site.issues["bad_sitemap"] += 1
            return
        locs = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for url in locs:
                if site.sitemaps_read < self.sitemap_cap and normalise_host(url) == site.host:
                    site.sitemaps_read += 1
                    yield self.sitemap_request(site, url)
            return
        candidates = {}
        for url in locs:
            key = page_key(url)
            if (
                urlsplit(url).scheme in ("http", "https")
                and normalise_host(url) == site.host
                and key not in site.requested
            ):
                page_type = classify_page(url)
                if page_type in PAGE_TYPE_PRIORITY:
                    candidates.setdefault(key, (url, page_type))
        yield from self.within_cap(site, candidates)

    def on_sitemap_error(self, failure: Failure) -> None:
        site = self.sites[failure.request.meta["company_key"]]
        if failure.check(RefusedByPolicy):
            self.count_refusal(site, failure)
            return
        if failure.check(SiteBudgetExceeded):  # counted where it was raised
            return
        site.issues["sitemap_unavailable"] += 1
        self.logger.info(
            "%s: sitemap %s not read: %s", site.company_key, failure.request.url, failure.getErrorMessage()
        )

    def parse_page(self, response: Response) -> Iterator[Any]:
        site = self.sites[response.meta["company_key"]]
        page_type = response.meta["page_type"]
        site.pages_fetched += 1
        content_type = response.headers.get("Content-Type", b"").lower()
        # PDFs, feeds and scripts can arrive as text responses; only HTML goes to the extractors.
        is_html = isinstance(response, TextResponse) and (
            b"html" in content_type if content_type else isinstance(response, HtmlResponse)
        )
        title = (response.css("title::text").get() or "").strip() if is_html else ""
        yield PageItem(
            company_key=site.company_key,
            url=response.url,
            page_type=page_type,
            http_status=response.status,
            title=title or None,
            content_hash=self.content_hash(response),
        )
        if not is_html:
            site.issues["non_html"] += 1
            return
        headers = {
            k.decode("latin-1").lower(): "\n".join(v.decode("latin-1") for v in values)
            for k, values in response.headers.items()
        }
        people = people_named(response.url, response.text, page_type=page_type)  # out of every snippet
        for extract in EXTRACTORS.values():
            for evidence in extract(response.url, response.text, headers, page_type=page_type):
                evidence["snippet"] = without_people(evidence["snippet"], people)
                yield EvidenceItem(company_key=site.company_key, **evidence)
        yield from self.follow_links(site, response)

    @staticmethod
    def content_hash(response: Response) -> str:
        """SHA-256 of the body; for a binary body served from the HTTP cache, which keeps only its
        hash (scrapers.cache), that hash."""
        cached = response.headers.get(BODY_SHA256_HEADER) if "cached" in response.flags else None
        return cached.decode("ascii") if cached else hashlib.sha256(response.body).hexdigest()

    def follow_links(self, site: SiteCrawl, response: TextResponse) -> Iterator[scrapy.Request]:
        """Same-host links to useful page types, best types first, within the page cap."""
        # Checked here rather than left to DepthMiddleware so the page cap counts only real requests.
        depth_limit = self.settings.getint("DEPTH_LIMIT")
        if depth_limit and response.meta.get("depth", 0) + 1 > depth_limit:
            return
        candidates: dict[str, tuple[str, str]] = {}
        for link in response.css("a[href]"):
            url = response.urljoin(link.attrib["href"]).split("#", 1)[0]
            if urlsplit(url).scheme not in ("http", "https") or normalise_host(url) != site.host:
                continue
            key = page_key(url)
            if key in site.requested or key in candidates:
                continue
            page_type = classify_page(url)  # the link text is read only when the URL says nothing
            if page_type == "other":
                page_type = classify_page(url, " ".join(link.css("::text").getall()))
            if page_type in PAGE_TYPE_PRIORITY:
                candidates[key] = (url, page_type)
        yield from self.within_cap(site, candidates)

    def within_cap(self, site: SiteCrawl, candidates: dict[str, tuple[str, str]]) -> Iterator[scrapy.Request]:
        """Requests for the best candidate pages that still fit under the site's page cap."""
        if self.over_budget(site):
            return
        ranked = sorted(candidates.values(), key=lambda c: -PAGE_TYPE_PRIORITY[c[1]])
        for url, page_type in ranked[: max(0, self.page_cap - len(site.requested) - site.redirect_hops)]:
            yield self.page_request(site, url, page_type)

    def on_error(self, failure: Failure) -> None:
        """Count why a page was not fetched, per site."""
        request = failure.request
        site = self.sites[request.meta["company_key"]]
        if failure.check(RefusedByPolicy):
            self.count_refusal(site, failure)
            return
        if failure.check(SiteBudgetExceeded):  # counted where it was raised
            return
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            site.robots_refused += 1
            return
        if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
            site.timeouts += 1
            return
        site.http_errors += 1  # every other failure: an HTTP error status or no usable response
        if failure.check(HttpError):
            site.issues[f"http_{failure.value.response.status}"] += 1
        elif failure.check(DownloadCancelledError):
            site.issues["too_large"] += 1
        elif failure.check(IgnoreRequest) and "redirections" in str(failure.value):
            site.issues["redirect_loop"] += 1
        elif failure.check(UnsupportedURLSchemeError):
            site.issues["unsupported_scheme"] += 1
        else:  # DNS failures, refused connections, broken responses
            site.issues["connection"] += 1
        self.logger.info("%s: %s not fetched: %s", site.company_key, request.url, failure.getErrorMessage())

    def count_refusal(self, site: SiteCrawl, failure: Failure) -> None:
        site.refused_by_policy += 1
        site.issues[f"egress_{failure.value.reason}"] += 1
        self.logger.warning(
            "%s: %s refused by the egress policy: %s", site.company_key, failure.request.url, failure.value
        )

    def on_idle(self) -> None:
        """When all pages are done, schedule one local data: request whose callback emits the
        outcome records, so every site, even one that failed entirely, gets one through the
        normal item path."""
        if self.outcomes_scheduled:
            return
        self.outcomes_scheduled = True
        self.crawler.engine.crawl(
            scrapy.Request(
                "data:,",
                callback=self.emit_outcomes,
                dont_filter=True,
                meta={"dont_cache": True, "dont_obey_robotstxt": True, "icp_outcomes": True},
            )
        )
        raise DontCloseSpider

    def emit_outcomes(self, response: Response) -> Iterator[OutcomeItem]:
        min_useful = self.settings.getint("ICP_MIN_USEFUL_PAGES")
        for site in self.sites.values():
            outcome = site.outcome(min_useful)
            self.logger.info("Outcome %s", outcome)
            yield outcome

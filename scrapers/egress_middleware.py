"""The egress policy at URL level, as a downloader middleware every request passes.

It sits at 760, after the host map (700) and HttpProxyMiddleware (750), so it judges each request
as it will be sent, proxy included. Every request the crawler makes reaches it: start URLs and
the spider's pages and sitemaps (engine -> scheduler -> downloader), redirects and meta refreshes
(RedirectMiddleware and MetaRefreshMiddleware return a new Request from ``process_response``; the
engine schedules it again, ``ExecutionEngine._handle_downloader_output``, so it re-enters the
whole chain), retries (the same way), and robots.txt (RobotsTxtMiddleware fetches it with
``engine.download_async``, which runs the downloader middlewares and follows its redirects through
them too).

A refused request fails with RefusedByPolicy (an IgnoreRequest: not retried, the request's errback
counts it in the site's outcome) before any connection is opened. A refusal at connection time
(scrapers.resolver: the host resolved to non-public addresses only) surfaces as a DNS lookup
error; ``process_exception`` turns it into RefusedByPolicy before RetryMiddleware (550) would
retry it, since exceptions travel from high numbers to low.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from twisted.internet.error import DNSLookupError

from scrapers.egress import DEFAULT_ALLOWED_PORTS, EgressRefused, check_url
from scrapers.hosts import normalise_host
from scrapers.resolver import REFUSED, proxy_endpoints

logger = logging.getLogger(__name__)

OUTCOMES_URL = "data:,"  # the spider's own end-of-crawl request (meta icp_outcomes), never fetched from a network


class RefusedByPolicy(IgnoreRequest):
    """A request the egress policy refused; ``reason`` is a short code (ip_literal, port, scheme,
    userinfo, bad_host, local_name, proxy, address)."""

    def __init__(self, reason: str, detail: str, url: str):
        super().__init__(f"refused by egress policy ({reason}): {detail}: {url}")
        self.reason = reason
        self.detail = detail


class EgressPolicyMiddleware:
    """``ICP_ALLOWED_PORTS`` (default 80 and 443); ``ICP_HOST_MAP``: the only proxies a request may
    carry, each only for the host it maps."""

    def __init__(self, allowed_ports: frozenset[int], host_map: dict[str, str]):
        self.allowed_ports = allowed_ports
        self.host_map = {normalise_host(host): address for host, address in host_map.items()}
        self.refused = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressPolicyMiddleware:
        value = crawler.settings.get("ICP_ALLOWED_PORTS")
        if isinstance(value, str):  # from -s: "[80, 443]" or "80,443"
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        ports = frozenset(int(p) for p in value or ()) or DEFAULT_ALLOWED_PORTS
        return cls(ports, crawler.settings.getdict("ICP_HOST_MAP"))

    def _refuse(self, request: Request, reason: str, detail: str) -> RefusedByPolicy:
        self.refused += 1
        logger.warning("Egress policy refused %s (%s: %s)", request.url, reason, detail)
        return RefusedByPolicy(reason, detail, request.url)

    def process_request(self, request: Request) -> None:
        if request.url == OUTCOMES_URL and request.meta.get("icp_outcomes"):
            return None
        try:
            check_url(request.url, self.allowed_ports)
        except EgressRefused as refusal:
            raise self._refuse(request, refusal.reason, refusal.detail) from None
        proxy = request.meta.get("proxy")
        if proxy:
            mapped = self.host_map.get(normalise_host(request.url))
            parts = urlsplit(proxy if "//" in proxy else "//" + proxy)
            if mapped is None or (parts.hostname, parts.port) not in proxy_endpoints({"": mapped}):
                raise self._refuse(request, "proxy", f"proxy {proxy} is not the host map's for this host")
        return None

    def process_exception(self, request: Request, exception: Exception) -> Any:
        if isinstance(exception, RefusedByPolicy) or not isinstance(
            exception, (CannotResolveHostError, DNSLookupError)
        ):
            return None
        proxy = request.meta.get("proxy")
        host = urlsplit(proxy if proxy and "//" in proxy else f"//{proxy}" if proxy else request.url).hostname or ""
        why = REFUSED.get(host.rstrip("."))
        if why is not None:
            raise self._refuse(request, "address", f"{host} {why}")
        return None

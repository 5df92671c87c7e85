"""Downloader middlewares: local host routing, retries with backoff, personal data scrubbing.

Demo and test sites run on 127.0.0.1 under their real domain names. Sending the request to the
local server as an HTTP proxy request keeps the real URL in the request line and the real Host
header, so robots.txt, same-host link following and the records all see the real web addresses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

from scrapers.hosts import normalise_host
from scrapers.pii import remove_emails_bytes, scrub_headers, scrub_markup, scrub_url

logger = logging.getLogger(__name__)


class HostMapMiddleware:
    """``ICP_HOST_MAP`` {hostname: "127.0.0.1:PORT"}: requests to a mapped host (compared as
    normalised hosts, so with or without "www.", in any case, IDN or punycode) go through that
    address as their proxy.

    Local stand-ins speak plain HTTP only, so an https URL of a mapped host is re-issued as http
    (Scrapy would otherwise open a CONNECT tunnel and a TLS session the stand-in cannot serve).
    """

    def __init__(self, host_map: dict[str, str]):
        self.host_map = {normalise_host(host): address for host, address in host_map.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostMapMiddleware:
        host_map = crawler.settings.getdict("ICP_HOST_MAP")
        if not host_map:
            raise NotConfigured("ICP_HOST_MAP is empty")
        logger.info("Routing %d host names to local servers", len(host_map))
        return cls(host_map)

    def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        address = self.host_map.get(normalise_host(request.url))
        if address is None:  # decided per request by its own host: a redirect off a mapped host loses the proxy
            request.meta.pop("proxy", None)
            return None
        if parts.scheme == "https":
            return request.replace(url=parts._replace(scheme="http").geturl(), dont_filter=True)
        request.meta["proxy"] = f"http://{address}"
        logger.debug("%s -> proxy %s", request.url, address)
        return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header (delta seconds or an HTTP date) as seconds from now; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: exponential backoff (ICP_RETRY_BACKOFF_BASE x 2^n, at most
    ICP_RETRY_BACKOFF_MAX seconds), or the server's Retry-After on 429/503 when it asks for at most
    ICP_RETRY_AFTER_MAX seconds; a longer Retry-After gives the page up at once rather than stall
    the crawl. The wait does not hold a download slot: other requests go on meanwhile."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("ICP_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("ICP_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("ICP_RETRY_AFTER_MAX")

    def backoff(self, request: Request) -> float:
        return min(self.backoff_max, self.backoff_base * 2 ** request.meta.get("retry_times", 0))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self.backoff(request)
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get("Retry-After", b"").decode("latin-1"))
            if asked is not None and asked > self.retry_after_max:
                logger.info(
                    "%s: Retry-After %.0f s is over the %.0f s limit; giving up", request, asked, self.retry_after_max
                )
                return response
            wait = asked if asked is not None else wait
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self.backoff(request))
        return retry


class ScrubEmailsMiddleware:
    """Cut personal data (email addresses, phone numbers: scrapers.pii) out of every downloaded
    response: the body, the URL, and the headers, which are cut down to the few Scrapy and the
    technology fingerprints read. It sits next to the downloader (after the HTTP cache in the
    chain), so the cache, the spider and everything after them only ever see scrubbed responses."""

    def process_response(self, request: Request, response: Response) -> Response:
        changes: dict = {}
        headers = scrub_headers(response.headers)
        if headers != {k: list(v) for k, v in response.headers.items()}:
            changes["headers"] = Headers(headers)
        url = scrub_url(response.url)
        if url != response.url:
            changes["url"] = url
        if isinstance(response, TextResponse):
            text = response.text
            scrubbed = scrub_markup(text)
            if scrubbed != text:
                changes["body"] = scrubbed.encode(response.encoding, errors="xmlcharrefreplace")
        else:
            body = remove_emails_bytes(response.body)
            if body != response.body:
                changes["body"] = body
        return response.replace(**changes) if changes else response

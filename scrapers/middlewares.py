"""Downloader middleware that routes chosen host names to local servers.

Demo and test sites run on 127.0.0.1 under their real domain names. Sending the request to the
local server as an HTTP proxy request keeps the real URL in the request line and the real Host
header, so robots.txt, same-host link following and the records all see the real web addresses.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class HostMapMiddleware:
    """``ICP_HOST_MAP`` {hostname: "127.0.0.1:PORT"}: requests to a mapped host (with or without
    a leading "www.") go through that address as their proxy.

    Local stand-ins speak plain HTTP only, so an https URL of a mapped host is re-issued as http
    (Scrapy would otherwise open a CONNECT tunnel and a TLS session the stand-in cannot serve).
    """

    def __init__(self, host_map: dict[str, str]):
        self.host_map = {host.lower(): address for host, address in host_map.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostMapMiddleware:
        host_map = crawler.settings.getdict("ICP_HOST_MAP")
        if not host_map:
            raise NotConfigured("ICP_HOST_MAP is empty")
        logger.info("Routing %d host names to local servers", len(host_map))
        return cls(host_map)

    def address_for(self, host: str) -> str | None:
        host = host.lower()
        return self.host_map.get(host) or self.host_map.get(host.removeprefix("www."))

    def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        address = self.address_for(parts.hostname or "")
        if address is None:
            return None
        if parts.scheme == "https":
            return request.replace(url=parts._replace(scheme="http").geturl(), dont_filter=True)
        request.meta["proxy"] = f"http://{address}"
        logger.debug("%s -> proxy %s", request.url, address)
        return None

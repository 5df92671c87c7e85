"""The HTTP(S) download handler: Scrapy's HTTP/1.1 handler, asking the spider before each request
is really sent.

Downloader middlewares see a request when it enters the downloader, which can be long before it
leaves its site's download slot (politeness delays queue it there). A time budget has to be
checked at the moment of sending, so the spider's ``before_download(request)`` (if it has one)
runs here and may raise IgnoreRequest. Connections still go through Twisted's HostnameEndpoint
and the egress resolver (scrapers.resolver).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response


class GatedHTTPDownloadHandler(HTTP11DownloadHandler):
    async def download_request(self, request: Request) -> Response:
        gate = getattr(self._crawler.spider, "before_download", None)
        if gate is not None:
            gate(request)
        return await super().download_request(request)

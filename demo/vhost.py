"""A local web server that hosts many websites under their real domain names.

It picks the site from the Host header, or from the absolute URL of a proxy-style request line
(``GET http://limbrosfood.com.sg/about HTTP/1.1``), which is how the crawler's host map sends
requests here while keeping real URLs. Besides static pages it can play the hostile web (slow,
throttling, redirecting, huge or endless sites) and it logs every request, so tests can see
what the crawler really asked for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from scrapers.hosts import normalise_host

logger = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer; ``delay_s`` holds it back (a slow server), ``headers`` adds to it."""

    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0


Page = tuple[str, bytes] | Reply  # (content type, body) for a plain 200 page
# A site is either its pages by path, or a function of (path, earlier hits on that path).
Site = Mapping[str, Page] | Callable[[str, int], Page | None]


@dataclass(frozen=True)
class Hit:
    host: str
    path: str
    at: float  # time.monotonic()


def _reply(site: Site | None, path: str, hits: int) -> Reply:
    page = None
    if callable(site):
        page = site(path, hits)
    elif site is not None:
        page = site.get(path)
    if page is None:
        return Reply(404, b"Not found\n", "text/plain; charset=utf-8")
    if isinstance(page, Reply):
        return page
    return Reply(200, page[1], page[0])


class _VirtualHostHandler(BaseHTTPRequestHandler):
    server: _SitesHTTPServer
    protocol_version = "HTTP/1.1"

    def _resolve(self) -> tuple[str, str]:
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = parts.path or "/"
            return normalise_host(parts.netloc), path + (f"?{parts.query}" if parts.query else "")
        parts = urlsplit(self.path)
        return normalise_host(self.headers.get("Host", "")), (parts.path or "/") + (
            f"?{parts.query}" if parts.query else ""
        )

    def _respond(self, with_body: bool) -> None:
        host, path = self._resolve()
        hits = self.server.record(host, path)
        reply = _reply(self.server.sites.get(host), path, hits)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, size cap)
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        logger.debug("%s " + format, self.address_string(), *args)


class _SitesHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, sites: Mapping[str, Site], port: int):
        super().__init__(("127.0.0.1", port), _VirtualHostHandler)
        self.sites = {normalise_host(host): pages for host, pages in sites.items()}
        self.hits: list[Hit] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def record(self, host: str, path: str) -> int:
        """Log a request; return how many times that path was asked for before."""
        with self._lock:
            earlier = self._seen[host, path]
            self._seen[host, path] += 1
            self.hits.append(Hit(host, path, time.monotonic()))
        return earlier


class VirtualHostServer:
    """``VirtualHostServer(build_sites(companies))`` serves every site on one 127.0.0.1 port
    (0 = any free port); ``host_map()`` tells the crawler where each domain lives and
    ``hits()`` lists the requests served so far."""

    def __init__(self, sites: Mapping[str, Site], port: int = 0):
        self._server = _SitesHTTPServer(sites, port)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def host_map(self) -> dict[str, str]:
        address = f"127.0.0.1:{self.port}"
        return {name: address for domain in self._server.sites for name in (domain, f"www.{domain}")}

    def hits(self, host: str | None = None) -> list[Hit]:
        with self._server._lock:
            return [h for h in self._server.hits if host is None or h.host == normalise_host(host)]

    def start(self) -> VirtualHostServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="vhost", daemon=True)
        self._thread.start()
        logger.info("Serving %d sites on 127.0.0.1:%d", len(self._server.sites), self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> VirtualHostServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

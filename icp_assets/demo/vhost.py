"""A local web server that hosts many demo websites under their real domain names.

It picks the site from the Host header, or from the absolute URL of a proxy-style request line
(``GET http://limbrosfood.com.sg/about HTTP/1.1``), which is how the crawler's host map sends
requests here while keeping real URLs.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from icp_assets.demo.websites import Site

logger = logging.getLogger(__name__)


def _bare_host(host: str) -> str:
    return host.split(":", 1)[0].strip().lower().removeprefix("www.")


class _VirtualHostHandler(BaseHTTPRequestHandler):
    server: _SitesHTTPServer
    protocol_version = "HTTP/1.1"

    def _resolve(self) -> tuple[str, str]:
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            return _bare_host(parts.netloc), parts.path or "/"
        return _bare_host(self.headers.get("Host", "")), urlsplit(self.path).path or "/"

    def _respond(self, with_body: bool) -> None:
        host, path = self._resolve()
        page = self.server.sites.get(host, {}).get(path)
        if page is None:
            content_type, body = "text/plain; charset=utf-8", b"Not found\n"
            self.send_response(404)
        else:
            content_type, body = page
            self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        logger.debug("%s " + format, self.address_string(), *args)


class _SitesHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sites: dict[str, Site], port: int):
        super().__init__(("127.0.0.1", port), _VirtualHostHandler)
        self.sites = {_bare_host(host): pages for host, pages in sites.items()}


class VirtualHostServer:
    """``VirtualHostServer(build_sites(companies))`` serves every site on one 127.0.0.1 port
    (0 = any free port); ``host_map()`` tells the crawler where each domain lives."""

    def __init__(self, sites: dict[str, Site], port: int = 0):
        self._server = _SitesHTTPServer(sites, port)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def host_map(self) -> dict[str, str]:
        address = f"127.0.0.1:{self.port}"
        return {name: address for domain in self._server.sites for name in (domain, f"www.{domain}")}

    def start(self) -> VirtualHostServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="vhost", daemon=True)
        self._thread.start()
        logger.info("Serving %d demo sites on 127.0.0.1:%d", len(self._server.sites), self.port)
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

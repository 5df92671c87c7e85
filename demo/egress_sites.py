"""Fixtures for the crawler's egress policy: a canary server standing for everything internal, and
public-looking sites that try to send the crawler to it.

``Canary`` listens on 127.0.0.1 (and on ::1 at the same port when the machine has IPv6 loopback)
and counts every request it gets, whatever its Host: a policy that holds leaves it at zero.
``canary_urls(port)`` spells the canary's address in every form an attacker would: dotted,
hex, octal, integer and short IPv4, IPv6 loopback and IPv4-mapped, localhost, full-width digits,
a trailing dot, a name that resolves to 127.0.0.1 (through the resolver's test seam,
``canary_test_dns()``), plus private and metadata addresses that must be refused before any
connection is tried. ``egress_sites(port)`` serves, per form, a site whose home page redirects
there (301, 302, 307, 308) or meta-refreshes there, sites whose robots.txt or sitemap redirect
there, and a chain that leaves the host map (a mapped host redirecting to a mapped host that
redirects to a name the map does not hold).
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from demo.vhost import HTML, Page, Reply, Site

logger = logging.getLogger(__name__)

CANARY_NAME = "canary-rebound.test"  # resolves to 127.0.0.1 through ICP_TEST_DNS
OUTSIDE_NAME = "outside-the-map.test"  # not in the host map; resolves to 127.0.0.1 through ICP_TEST_DNS
REDIRECT_STATUSES = (301, 302, 307, 308)


class _CanaryHandler(BaseHTTPRequestHandler):
    server: _CanaryHTTPServer
    protocol_version = "HTTP/1.1"

    def _count(self) -> None:
        self.server.canary.record(f"{self.command} {self.path} Host={self.headers.get('Host')}")
        body = b"internal secret page: canary-token-7f3a\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_CONNECT = _count  # noqa: N815 (http.server naming)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        logger.debug("canary: " + format, *args)


class _CanaryHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], canary: Canary, family: int = socket.AF_INET):
        self.address_family = family
        self.canary = canary
        super().__init__(address, _CanaryHandler)


class Canary:
    """``with Canary() as canary:`` a server counting every request (``canary.hits``)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._servers = [_CanaryHTTPServer(("127.0.0.1", 0), self)]
        self.port = self._servers[0].server_address[1]
        try:
            self._servers.append(_CanaryHTTPServer(("::1", self.port), self, socket.AF_INET6))
            self.ipv6 = True
        except OSError:  # no IPv6 loopback here: [::1] URLs are still refused, by their form
            self.ipv6 = False
        self._threads: list[threading.Thread] = []

    def record(self, line: str) -> None:
        with self._lock:
            self.requests.append(line)

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.requests)

    def __enter__(self) -> Canary:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, name="canary", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def canary_urls(port: int) -> dict[str, str]:
    """The canary (127.0.0.1:port) in every spelling, by a short name of the form; the private
    and metadata forms use the default port and must be refused without a connection."""
    return {
        "loopback": f"http://127.0.0.1:{port}/",
        "ipv6_loopback": f"http://[::1]:{port}/",
        "localhost": f"http://localhost:{port}/",
        "hex": f"http://0x7f.0x0.0x0.0x1:{port}/",
        "octal": f"http://0177.0.0.1:{port}/",
        "integer": f"http://2130706433:{port}/",
        "short": f"http://127.1:{port}/",
        "ipv4_mapped": f"http://[::ffff:127.0.0.1]:{port}/",
        "trailing_dot": f"http://127.0.0.1.:{port}/",
        "fullwidth": f"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/",
        "seam_name": f"http://{CANARY_NAME}:{port}/",
        "private": "http://10.0.0.1/",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "cgnat": "http://100.64.0.1/",
    }


def canary_test_dns() -> dict[str, str]:
    """The resolver test seam's answers (setting ICP_TEST_DNS / env ICP_CRAWL_TEST_DNS)."""
    return {CANARY_NAME: "127.0.0.1", OUTSIDE_NAME: "127.0.0.1"}


def _redirect(status: int, target: str) -> Page:
    # http.server writes headers as latin-1: a non-ASCII target goes out as its raw UTF-8 bytes.
    return Reply(status, b"", headers=(("Location", target.encode("utf-8").decode("latin-1")),))


def _meta_refresh(target: str) -> Page:
    body = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head><body>Moved</body></html>'
    return (HTML, body.encode())


def _home(text: str) -> Page:
    return (HTML, f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode())


def egress_site_name(form: str, mechanism: str) -> str:
    return f"to-{form.replace('_', '-')}-{mechanism}.com.sg"


def egress_sites(port: int) -> dict[str, Site]:
    """Hostile sites by domain (serve them with demo.vhost and its host map)."""
    sites: dict[str, Site] = {}
    for form, target in canary_urls(port).items():
        for status in REDIRECT_STATUSES:
            sites[egress_site_name(form, str(status))] = {"/": _redirect(status, target)}
        sites[egress_site_name(form, "meta")] = {"/": _meta_refresh(target)}
    loopback = canary_urls(port)["loopback"]
    sites["robots-to-canary.com.sg"] = {"/robots.txt": _redirect(302, loopback + "robots.txt"), "/": _home("ok")}
    sites["sitemap-to-canary.com.sg"] = {
        "/robots.txt": (
            "text/plain",
            b"User-agent: *\nAllow: /\nSitemap: http://sitemap-to-canary.com.sg/sitemap.xml\n",
        ),
        "/sitemap.xml": _redirect(302, f"http://{CANARY_NAME}:{port}/sitemap.xml"),
        "/": _home("ok"),
    }
    # A chain that leaves the host map: mapped -> mapped -> a name the map does not hold.
    sites["chain-start.com.sg"] = {"/": _redirect(302, "http://chain-middle.com.sg/next")}
    sites["chain-middle.com.sg"] = {"/next": _redirect(302, f"http://{OUTSIDE_NAME}/landing")}
    sites[OUTSIDE_NAME] = {"/landing": _home("outside the map: must never be served through the proxy")}
    return sites

"""The crawler's DNS resolver: the egress policy at connection time.

Scrapy installs the class named by ``TWISTED_DNS_RESOLVER`` on the reactor
(``CrawlerProcessBase._setup_reactor``). This one is an ``IHostnameResolver`` installed with
``reactor.installNameResolver``, which is what every connection of the HTTP/1.1 download handler
goes through: Twisted's ``Agent`` connects with a ``HostnameEndpoint``, whose ``connect`` hands
the host (name or literal) to ``reactor.nameResolver.resolveHostName`` and then connects only to
the addresses that resolver delivers; proxy connections of the host map go the same way. The
reactor's simple resolver (``reactor.resolve``, used by ``connectTCP`` for names) becomes a
wrapper around this one too.

Each answer is filtered before the endpoint sees it: only globally routable addresses
(scrapers.egress.is_public_address) pass, so the address checked is the address connected to,
with no second lookup a rebinding DNS server could answer differently. The one exception is the
host map (demo and tests): exactly its proxy addresses, as written ("127.0.0.1" and the port),
may be connected to; a host name that resolves to the same address is still refused.

A name left without addresses ends the connection attempt with a DNS lookup error; the name is
recorded in ``REFUSED`` so the egress middleware can tell a policy refusal from a missing name.
Answers are cached (``DNSCACHE_ENABLED``/``DNSCACHE_SIZE``) after filtering, so a name keeps the
addresses it was checked with for the whole crawl.

``ICP_TEST_DNS`` ({name: address or [addresses]}) replaces DNS when set: names it lists get its
answers, other names none, and no lookup leaves the machine. It is a test seam only, never set by
the product; its answers are filtered like any other.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from twisted.internet._resolver import GAIResolver
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from scrapers.egress import is_public_address

logger = logging.getLogger(__name__)

# host name -> why its answer was refused, for the middleware (one crawl per process).
REFUSED: dict[str, str] = {}


def proxy_endpoints(host_map: dict[str, str]) -> frozenset[tuple[str, int]]:
    """The (host, port) pairs of a host map's addresses ("127.0.0.1:8080" -> ("127.0.0.1", 8080))."""
    endpoints = set()
    for address in host_map.values():
        host, _, port = str(address).rpartition(":")
        endpoints.add((host.strip("[]"), int(port)))
    return frozenset(endpoints)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - HostnameEndpoint does not cancel resolutions
        pass


@provider(IResolutionReceiver)
class _Collector:
    """Collects the underlying resolver's answer, then lets the egress resolver filter it."""

    def __init__(self, on_done: Any):
        self.addresses: list[IAddress] = []
        self._on_done = on_done

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 (Twisted interface)
        pass

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        self._on_done(self.addresses)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _address(ip: str, port: int) -> IAddress:
    parsed = ipaddress.ip_address(ip)
    return (IPv6Address if parsed.version == 6 else IPv4Address)("TCP", str(parsed), port)


@implementer(IHostnameResolver)
class EgressResolver:
    def __init__(
        self,
        reactor: Any,
        *,
        proxies: frozenset[tuple[str, int]] = frozenset(),
        test_dns: dict[str, Any] | None = None,
        cache_size: int = 10000,
        underlying: IHostnameResolver | None = None,
    ):
        self.reactor = reactor
        self.proxies = proxies
        self.test_dns = None if test_dns is None else {name.lower().rstrip("."): v for name, v in test_dns.items()}
        self.cache_size = cache_size
        self._cache: OrderedDict[str, list[str]] = OrderedDict()
        self._underlying = underlying or GAIResolver(reactor, reactor.getThreadPool)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> EgressResolver:
        settings = crawler.settings
        return cls(
            reactor,
            proxies=proxy_endpoints(settings.getdict("ICP_HOST_MAP")),
            test_dns=settings.getdict("ICP_TEST_DNS") if settings.get("ICP_TEST_DNS") is not None else None,
            cache_size=settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0,
        )

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def permits(self, name: str, ip: str, port: int) -> bool:
        """May a connection to ``name`` go to ``ip``? Public addresses, or the host map's own
        proxy endpoints named exactly as the map writes them."""
        if is_public_address(ip):
            return True
        if (name, port) not in self.proxies:
            return False
        try:
            return ipaddress.ip_address(name) == ipaddress.ip_address(ip)
        except ValueError:  # a proxy written as a name: never trusted, whatever it resolves to
            return False

    def resolveHostName(  # noqa: N802 (Twisted interface)
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        key = f"{hostName}:{portNumber}"

        def deliver(ips: list[str]) -> None:
            for ip in ips:
                resolutionReceiver.addressResolved(_address(ip, portNumber))
            resolutionReceiver.resolutionComplete()

        def filtered(addresses: list[IAddress]) -> None:
            answer = [a.host for a in addresses if isinstance(a, (IPv4Address, IPv6Address))]
            allowed = [ip for ip in answer if self.permits(hostName, ip, portNumber)]
            if answer and not allowed:
                REFUSED[hostName.lower().rstrip(".")] = f"resolves to non-public {', '.join(sorted(set(answer)))}"
                logger.warning("Egress policy: %s resolves to %s only; not connecting", hostName, answer)
            elif len(allowed) < len(answer):
                logger.info("Egress policy: %s: dropped non-public addresses %s", hostName, set(answer) - set(allowed))
            if allowed and self.cache_size:
                self._cache[key] = allowed
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            deliver(allowed)

        if key in self._cache:
            self._cache.move_to_end(key)
            deliver(self._cache[key])
            return resolution
        if self.test_dns is not None:
            seam = self.test_dns.get(hostName.lower().rstrip("."))
            if seam is None and _is_ip(hostName):
                seam = hostName  # a literal (the host map's proxy) needs no lookup
            ips = [] if seam is None else [seam] if isinstance(seam, str) else list(seam)
            filtered([_address(ip, portNumber) for ip in ips])
            return resolution
        self._underlying.resolveHostName(_Collector(filtered), hostName, portNumber, addressTypes, transportSemantics)
        return resolution

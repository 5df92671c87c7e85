"""The crawler's egress policy, as pure functions: which URLs may be fetched and which addresses
may be connected to. Intake websites are tenant input, and so is every page those sites serve
(redirects, meta refreshes, robots.txt, sitemaps), so every request goes through this policy
twice: its URL before it is sent (scrapers.middlewares.EgressPolicyMiddleware) and the address
it connects to once the host name is resolved (scrapers.resolver.EgressResolver).

- A URL is refused when it is not http(s), carries a user name, has a port outside the allowed
  set (80 and 443 by default), names a host that is not a plain DNS name, or names an IP address
  in any notation an HTTP stack or ``inet_aton`` accepts: dotted decimal, hex ("0x7f.1"), octal
  ("0177.0.0.1"), short ("127.1"), a single integer ("2130706433"), mixed forms, full-width or
  ideographic digits and dots (IDNA maps them to ASCII), and IPv6 in brackets ("[::1]",
  "[::ffff:127.0.0.1]", zone ids). "localhost" and names under it are refused too.
- An address is allowed only when it is globally routable: loopback, private, link-local,
  shared (CGNAT), multicast, reserved, unspecified, documentation, benchmarking, IPv4-mapped,
  IPv4-compatible, NAT64, Teredo, ORCHID, 6to4 around a non-global IPv4 address, and everything
  else IANA's special-purpose registries call not globally reachable are refused. The lists are
  explicit rather than left to ``ipaddress.is_global``, whose answers changed between Python
  patch releases.

No Scrapy and no Twisted here: the intake's URL check (scrapers.hosts.website_domain) uses it too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from urllib.parse import urlsplit

import idna

DEFAULT_ALLOWED_PORTS = frozenset({80, 443})
_DEFAULT_PORT = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_REFUSED = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (CGNAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata at 169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast 255.255.255.255 included
    )
)
_V6_REFUSED = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local-use prefix
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID, documentation...
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")

_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")  # what the WHATWG URL parser calls "ends in a number"
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")  # LDH, underscores tolerated (real sites use them)


class EgressRefused(ValueError):
    """A URL or address the policy refuses; ``reason`` is a short code for outcome records
    (ip_literal, port, scheme, userinfo, bad_host, local_name, address)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def is_public_address(address: str | IPAddress) -> bool:
    """True only for a globally routable unicast address. A string that is not an IP address
    (or carries an IPv6 zone id) is False."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id is not None:
            return False
        if any(ip in net for net in _V6_REFUSED):
            return False
        if ip in _SIX_TO_FOUR and ip.sixtofour is not None and not is_public_address(ip.sixtofour):
            return False
    elif any(ip in net for net in _V4_REFUSED):
        return False
    return bool(
        ip.is_global
        and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback or ip.is_link_local)
    )


def _ipv4_number(part: str) -> int:
    """One part of a legacy IPv4 address: 0x-prefixed hex, 0-prefixed octal, else decimal."""
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part[1:], 8)  # raises for "08": not a number, but still an IP-like host
    return int(part, 10)


def parse_ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host means in any legacy notation (inet_aton's and the WHATWG URL
    parser's: 1 to 4 parts, each decimal, octal or hex, the last filling the remaining bytes),
    None when the host is a name. A host whose last label is a number but which is no valid
    address ("1.2.3.4.5", "0x7g.1", "08.1") raises EgressRefused: no DNS name ends in a number."""
    parts = host.lower().rstrip(".").split(".")
    if not parts or not _NUMBER.match(parts[-1]):
        return None
    try:
        if len(parts) > 4 or not all(_NUMBER.match(p) for p in parts):
            raise ValueError(host)
        numbers = [_ipv4_number(p) for p in parts]
        *head, last = numbers
        if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
            raise ValueError(host)
        value = last
        for index, number in enumerate(head):
            value += number << (8 * (3 - index))
        return ipaddress.IPv4Address(value)
    except ValueError as err:
        raise EgressRefused("ip_literal", f"{host!r} is a malformed IPv4 address") from err


def ascii_host(host: str) -> str:
    """A host as the network stack sees it: lower-case ASCII after IDNA's UTS 46 mapping (so
    full-width digits and ideographic full stops become "0-9" and "."), no trailing dot. Raises
    EgressRefused for a host IDNA cannot map."""
    host = host.strip().lower()
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as err:
            try:  # IDNA refuses all-digit labels' neighbours sometimes; the mapping alone is enough to spot an IP
                host = idna.uts46_remap(host, std3_rules=False, transitional=False)
            except (idna.IDNAError, UnicodeError):
                raise EgressRefused("bad_host", f"{host!r} is not a valid host name") from err
            if not host.isascii():
                raise EgressRefused("bad_host", f"{host!r} is not a valid host name") from err
    return host.rstrip(".")


def check_host(host: str) -> str:
    """The ASCII form of a host name that may be looked up; raises EgressRefused for an IP
    literal in any notation, localhost, or anything that is not a dotted DNS name."""
    if not host:
        raise EgressRefused("bad_host", "no host")
    if ":" in host or host.startswith("["):
        raise EgressRefused("ip_literal", f"{host!r} is an IPv6 address")
    name = ascii_host(host)
    address = parse_ipv4_literal(name)
    if address is not None:
        raise EgressRefused("ip_literal", f"{host!r} is the IPv4 address {address}")
    labels = name.split(".")
    if not all(_DNS_LABEL.match(label) for label in labels):
        raise EgressRefused("bad_host", f"{host!r} is not a valid host name")
    if name == "localhost" or name.endswith(".localhost"):
        raise EgressRefused("local_name", f"{host!r} is a local name")
    if len(labels) < 2:
        raise EgressRefused("local_name", f"{host!r} is not a dotted public name")
    return name


def check_url(url: str, allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS) -> tuple[str, str, int]:
    """(scheme, ASCII host, port) of a URL the crawler may fetch; raises EgressRefused otherwise.
    Only the host's name is judged here: the address it resolves to is judged at connection
    time (is_public_address)."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORT:
            raise EgressRefused("scheme", f"{scheme or 'no'} scheme in {url!r}")
        netloc = parts.netloc
        if "@" in netloc:
            raise EgressRefused("userinfo", f"a user name in {url!r}")
        if "[" in netloc:
            raise EgressRefused("ip_literal", f"an IPv6 address in {url!r}")
        if "\\" in netloc or "%" in netloc:
            raise EgressRefused("bad_host", f"an escaped or back-slashed host in {url!r}")
        raw_host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORT[scheme]
    except ValueError as err:  # a bad port or an unclosed IPv6 bracket
        if isinstance(err, EgressRefused):
            raise
        raise EgressRefused("bad_host", f"{url!r}: {err}") from err
    host = check_host(raw_host)
    if port not in allowed_ports:
        raise EgressRefused("port", f"port {port} is not one of {sorted(allowed_ports)}")
    return scheme, host, port


def url_refusal(url: str, allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS) -> EgressRefused | None:
    """check_url as a value: the refusal, or None when the URL may be fetched."""
    try:
        check_url(url, allowed_ports)
    except EgressRefused as refusal:
        return refusal
    return None

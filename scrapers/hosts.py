"""Host names, normalised one way for the whole product: the crawler's download slots and host map,
the intake's company domains, the matcher's domain labels and the demo's virtual hosts.

Internationalised names become ASCII through IDNA (UTS 46, the mapping browsers use), and
registrable domains come from the Public Suffix List via tldextract's bundled snapshot: never
fetched, so a crawl or an intake needs no network for it and gives the same answer everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from urllib.parse import urlsplit

import idna
import tldextract

from scrapers.egress import DEFAULT_ALLOWED_PORTS, EgressRefused, parse_ipv4_literal, url_refusal

# No suffix list URLs and no cache directory: the snapshot shipped in the wheel, read-only.
_PUBLIC_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@lru_cache(maxsize=4096)
def _ascii_host(host: str) -> str:
    """A lower-case host as IDNA ASCII; raises idna.IDNAError (a ValueError) for a malformed name."""
    return host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")


def _hostname(url_or_host: str) -> str:
    text = url_or_host.strip()
    if "//" not in text:  # a bare host, perhaps with a port or path: read it as a network location
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").rstrip(".")  # lower case, no port, no user
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""


def normalise_host(url_or_host: str) -> str:
    """The host of a URL or host name as one key: lower-case ASCII (IDNA), no port, no trailing
    dot, no leading "www." ("https://WWW.Bücher.de:443/x" -> "xn--bcher-kva.de"); "" without a
    host. Never raises: a name IDNA refuses (an underscore, say) is kept as it is, lower case,
    because the crawler still has to compare it."""
    host = _hostname(url_or_host)
    try:
        host = _ascii_host(host)
    except idna.IDNAError:
        pass
    return host.removeprefix("www.")


def registrable_domain(url_or_host: str) -> str:
    """The domain a company registers under its public suffix: "shop.acme.com.sg" -> "acme.com.sg";
    "" for hosts without a public suffix (localhost, IP addresses)."""
    return _PUBLIC_SUFFIXES(normalise_host(url_or_host)).top_domain_under_public_suffix


def domain_label(url_or_host: str) -> str:
    """The label that names the company: "https://www.limbrosfood.com.sg/about" -> "limbrosfood",
    in Unicode for internationalised names (to compare with company names); a host without a
    public suffix is its own label ("localhost")."""
    label = _PUBLIC_SUFFIXES(normalise_host(url_or_host)).domain
    if label.startswith("xn--"):
        try:
            return idna.decode(label)
        except idna.IDNAError:
            pass
    return label


def website_domain(website: str) -> str:
    """The host of a website as a person types it ("www.Acme.sg/about" -> "acme.sg"), checked:
    raises ValueError for anything but an http(s) address of a dotted, public-looking host name."""
    text = website.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http or https address")
    try:
        host = (parts.hostname or "").rstrip(".")
    except ValueError as err:  # e.g. a bad IPv6 literal
        raise ValueError("is not a valid address") from err
    if parts.username is not None:
        raise ValueError("must not contain a user name")
    if not host or " " in host:
        raise ValueError("has no valid host name")
    try:
        _ = parts.port  # raises for a port out of range
        ascii_host = _ascii_host(host).removeprefix("www.")
    except ValueError as err:  # idna.IDNAError included
        raise ValueError("has an invalid host name") from err
    try:  # an IP address in any notation ("0x7f.1", "2130706433", "127.1", "[::1]") is no website
        if parse_ipv4_literal(ascii_host) is not None or ":" in host:
            raise EgressRefused("ip_literal", host)
    except EgressRefused as err:
        raise ValueError("is an IP address, not a host name") from err
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("is not a public host name")
    return ascii_host


def crawlable_website(website: str, allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS) -> str:
    """website_domain, stricter where the crawler is concerned: an explicit port the egress policy
    does not allow (by default any but 80 and 443) is refused too, since the crawler would refuse
    every page of it. The intake and ``icp crawl`` check websites with this."""
    domain = website_domain(website)
    text = website.strip()
    refusal = url_refusal(text if "://" in text else "http://" + text, allowed_ports)
    if refusal is not None and refusal.reason == "port":
        raise ValueError(f"has a port the crawler does not use ({refusal.detail})")
    return domain

"""The egress policy as pure functions (scrapers.egress), the resolver that enforces it at
connection time (scrapers.resolver), and the intake's URL check that uses it (scrapers.hosts)."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.address import IPv4Address, IPv6Address

from scrapers import resolver as resolver_module
from scrapers.egress import (
    EgressRefused,
    check_url,
    is_public_address,
    parse_ipv4_literal,
    url_refusal,
)
from scrapers.hosts import crawlable_website, website_domain
from scrapers.resolver import EgressResolver, proxy_endpoints

# --- URLs -------------------------------------------------------------------------------------

REFUSED_URLS = [
    # IPv4 in every notation inet_aton or a browser accepts
    ("http://127.0.0.1/", "ip_literal"),
    ("http://0x7f.0x0.0x0.0x1:8080/", "ip_literal"),
    ("http://0x7f000001/", "ip_literal"),
    ("http://0177.0.0.1/", "ip_literal"),
    ("http://0177.0000.0000.0001/", "ip_literal"),
    ("http://2130706433/", "ip_literal"),
    ("http://017700000001/", "ip_literal"),
    ("http://127.1/", "ip_literal"),
    ("http://127.0.1/", "ip_literal"),
    ("http://0x7f.1/", "ip_literal"),
    ("http://127.0.0.1./", "ip_literal"),
    ("http://10.0.0.1/", "ip_literal"),
    ("http://169.254.169.254/latest/meta-data/", "ip_literal"),
    ("http://8.8.8.8/", "ip_literal"),  # even a public literal: sites are named
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "ip_literal"),  # full-width digits
    ("http://127\u30020\u30020\u30021/", "ip_literal"),  # ideographic full stops
    ("http://1.2.3.4.5/", "ip_literal"),  # ends in a number: never a DNS name
    ("http://08.0.0.1/", "ip_literal"),
    ("http://0x/", "ip_literal"),
    # IPv6 in brackets, mapped forms and zone ids
    ("http://[::1]/", "ip_literal"),
    ("http://[::ffff:127.0.0.1]/", "ip_literal"),
    ("http://[::ffff:7f00:1]:80/", "ip_literal"),
    ("http://[0:0:0:0:0:0:0:1]/", "ip_literal"),
    ("http://[fe80::1%25eth0]/", "ip_literal"),
    ("http://[64:ff9b::7f00:1]/", "ip_literal"),
    ("http://[2606:4700::1111]/", "ip_literal"),
    # names
    ("http://localhost/", "local_name"),
    ("http://LOCALHOST./", "local_name"),
    ("http://api.localhost/", "local_name"),
    ("http://intranet/", "local_name"),
    ("http://exa%6dple.com/", "bad_host"),
    ("http://ex!ample.com/", "bad_host"),
    ("http://user@example.com/", "userinfo"),
    ("http://example.com@127.0.0.1/", "userinfo"),
    # ports and schemes
    ("http://example.com:8080/", "port"),
    ("https://example.com:22/", "port"),
    ("http://example.com:443/", None),
    ("ftp://example.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("data:,hello", "scheme"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS, ids=[u for u, _ in REFUSED_URLS])
def test_urls_refused_by_form(url: str, reason: str | None) -> None:
    refusal = url_refusal(url)
    assert (refusal.reason if refusal else None) == reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.stockwise.sg/",
        "http://limbrosfood.com.sg/about?x=1",
        "https://bücher.de/katalog",
        "https://xn--bcher-kva.de/",
        "https://shop.example.com.sg:443/x",
        "http://a-b.example.com.:80/",
        "http://my_host.example.com/",  # underscores occur in real sub-domains
        "http://1password.com/",  # a digit-led label is a name; only a numeric last label is an address
        "http://123.example.com/",
        "http://example.co1/",
    ],
)
def test_public_names_pass(url: str) -> None:
    assert url_refusal(url) is None


def test_check_url_returns_scheme_host_and_port() -> None:
    assert check_url("HTTPS://WWW.Example.COM./x") == ("https", "www.example.com", 443)
    assert check_url("http://example.com:8080/", allowed_ports={80, 8080}) == ("http", "example.com", 8080)
    with pytest.raises(EgressRefused) as refused:
        check_url("http://example.com:8080/")
    assert refused.value.reason == "port"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("0xa9.254.0xa9.254", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("example.com", None),
        ("1password.com", None),
    ],
)
def test_ipv4_literals_in_every_notation(host: str, address: str | None) -> None:
    parsed = parse_ipv4_literal(host)
    assert (str(parsed) if parsed else None) == address


# --- addresses ----------------------------------------------------------------------------------

NOT_PUBLIC = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "192.0.2.1", "198.18.0.1",
    "198.51.100.7", "203.0.113.9", "192.88.99.1",
    "::", "::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1", "64:ff9b::7f00:1",
    "64:ff9b::808:808", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a00:1::1", "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:db8::1", "fc00::1", "fd12:3456::1", "fe80::1",
    "fec0::1", "ff02::1", "100::1", "fe80::1%eth0", "not-an-address",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "2001:4860:4860::8888", "2002:808:808::1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


# --- the intake's check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "website",
    [
        "http://0x7f.0x0.0x0.0x1:8080/",
        "0177.0.0.1",
        "2130706433",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "https://1.2.3.4.5",
    ],
)
def test_website_domain_refuses_ip_literals_in_every_notation(website: str) -> None:
    with pytest.raises(ValueError, match="IP address"):
        website_domain(website)


def test_crawlable_website_refuses_ports_other_than_80_and_443() -> None:
    assert crawlable_website("https://www.acme.com.sg:443/about") == "acme.com.sg"
    assert crawlable_website("acme.com.sg") == "acme.com.sg"
    with pytest.raises(ValueError, match="port 8080"):
        crawlable_website("http://shop.acme.com.sg:8080/")
    assert website_domain("http://shop.acme.com.sg:8080/") == "shop.acme.com.sg"  # the domain alone is fine


# --- the resolver -------------------------------------------------------------------------------


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802
        pass

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


class _FakeDns:
    """An underlying resolver whose answers change between lookups (a rebinding server)."""

    def __init__(self, answers: list[list[str]]):
        self.answers = answers
        self.lookups = 0

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any) -> None:  # noqa: N802
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        receiver.resolutionBegan(None)
        for ip in answer:
            receiver.addressResolved((IPv6Address if ":" in ip else IPv4Address)("TCP", ip, port))
        receiver.resolutionComplete()


def _resolve(resolver: EgressResolver, name: str, port: int = 80) -> list[str]:
    receiver = _Receiver()
    resolver.resolveHostName(receiver, name, port)
    assert receiver.complete
    return receiver.addresses


@pytest.fixture(autouse=True)
def _fresh_refusals() -> None:
    resolver_module.REFUSED.clear()


def test_resolver_delivers_only_public_addresses() -> None:
    dns = _FakeDns([["93.184.216.34", "127.0.0.1", "10.0.0.5", "2606:4700::1111", "::1"]])
    resolver = EgressResolver(None, underlying=dns)
    assert _resolve(resolver, "mixed.example") == ["93.184.216.34", "2606:4700::1111"]
    assert "mixed.example" not in resolver_module.REFUSED


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "::1", "::ffff:127.0.0.1"]
)
def test_a_name_resolving_to_a_private_address_gets_no_address(address: str) -> None:
    resolver = EgressResolver(None, underlying=_FakeDns([[address]]))
    assert _resolve(resolver, "evil.example") == []
    assert "evil.example" in resolver_module.REFUSED


def test_dns_rebinding_is_refused_without_a_cache() -> None:
    """Public at the first lookup, loopback at the next: the second connection gets nothing."""
    dns = _FakeDns([["93.184.216.34"], ["127.0.0.1"]])
    resolver = EgressResolver(None, underlying=dns, cache_size=0)
    assert _resolve(resolver, "rebind.example") == ["93.184.216.34"]
    assert _resolve(resolver, "rebind.example") == []
    assert dns.lookups == 2 and "rebind.example" in resolver_module.REFUSED


def test_dns_rebinding_is_pinned_with_the_cache() -> None:
    """With the cache the name keeps the checked answer: no second lookup to rebind."""
    dns = _FakeDns([["93.184.216.34"], ["127.0.0.1"]])
    resolver = EgressResolver(None, underlying=dns)
    assert _resolve(resolver, "rebind.example") == ["93.184.216.34"]
    assert _resolve(resolver, "rebind.example") == ["93.184.216.34"]
    assert dns.lookups == 1


def test_test_seam_answers_are_checked_like_dns() -> None:
    dns = _FakeDns([["93.184.216.34"]])
    resolver = EgressResolver(None, underlying=dns, test_dns={"Evil.Test": "127.0.0.1", "good.test": "8.8.8.8"})
    assert _resolve(resolver, "evil.test") == []
    assert _resolve(resolver, "good.test") == ["8.8.8.8"]
    assert dns.lookups == 0


def test_the_test_seam_replaces_dns_so_no_lookup_leaves_the_machine() -> None:
    dns = _FakeDns([["93.184.216.34"]])
    resolver = EgressResolver(None, underlying=dns, test_dns={}, proxies=proxy_endpoints({"a.sg": "127.0.0.1:8123"}))
    assert _resolve(resolver, "unlisted.example") == []
    assert _resolve(resolver, "127.0.0.1", port=8123) == ["127.0.0.1"]  # the host map's proxy, a literal
    assert dns.lookups == 0


def test_only_the_host_maps_own_proxy_endpoints_reach_loopback() -> None:
    proxies = proxy_endpoints({"acme.sg": "127.0.0.1:8123", "www.acme.sg": "127.0.0.1:8123"})
    assert proxies == {("127.0.0.1", 8123)}
    resolver = EgressResolver(None, proxies=proxies, underlying=_FakeDns([["127.0.0.1"]]), cache_size=0)
    assert _resolve(resolver, "127.0.0.1", 8123) == ["127.0.0.1"]  # the proxy, as the map writes it
    assert _resolve(resolver, "127.0.0.1", 8124) == []  # another port on loopback
    assert _resolve(resolver, "localhost", 8123) == []  # another name for it
    assert _resolve(resolver, "evil.example", 8123) == []  # a name resolving to it

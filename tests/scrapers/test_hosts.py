"""scrapers.hosts: one normalisation of host names for the crawler, the intake and the matcher."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scrapers.hosts import crawlable_website, domain_label, normalise_host, registrable_domain, website_domain


@pytest.mark.parametrize(
    ("url_or_host", "host"),
    [
        ("https://WWW.Acme.COM.sg:8443/about?x=1#top", "acme.com.sg"),
        ("www.acme.sg", "acme.sg"),
        ("acme.sg:80", "acme.sg"),
        ("http://bücher.de/katalog", "xn--bcher-kva.de"),
        ("WWW.BÜCHER.DE", "xn--bcher-kva.de"),
        ("XN--BCHER-KVA.de", "xn--bcher-kva.de"),
        ("https://straße.de", "xn--strae-oqa.de"),  # UTS 46 keeps ß (IDNA 2003 made it "strasse")
        ("https://例え.jp/", "xn--r8jz45g.jp"),
        ("example.com.", "example.com"),
        ("shop.www.acme.sg", "shop.www.acme.sg"),  # only a leading www. goes
        ("wwwacme.sg", "wwwacme.sg"),
        ("my_host.Example.com", "my_host.example.com"),  # IDNA refuses "_": kept, lower case
        ("http://[::1]:8080/", "::1"),
        ("http://[::1", ""),
        ("http://", ""),
        ("", ""),
    ],
)
def test_normalise_host(url_or_host: str, host: str) -> None:
    assert normalise_host(url_or_host) == host


@pytest.mark.parametrize(
    ("url_or_host", "domain"),
    [
        ("https://shop.acme.com.sg/x", "acme.com.sg"),
        ("www.limbrosfood.com.sg", "limbrosfood.com.sg"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("abc.gov.sg", "abc.gov.sg"),
        ("HTTP://Shop.Acme.SG:8080", "acme.sg"),
        ("shop.bücher.de", "xn--bcher-kva.de"),
        ("foo.github.io", "github.io"),  # private suffixes (github.io) are not public suffixes here
        ("localhost", ""),
        ("10.0.0.1", ""),
        ("", ""),
    ],
)
def test_registrable_domain(url_or_host: str, domain: str) -> None:
    assert registrable_domain(url_or_host) == domain


@pytest.mark.parametrize(
    ("url_or_host", "label"),
    [
        ("limbrosfood.com.sg", "limbrosfood"),
        ("www.harbourline.sg", "harbourline"),
        ("https://www.Kallangcoldchain.com/about?x=1", "kallangcoldchain"),
        ("http://www.brightpath.com.sg:8080", "brightpath"),
        ("shop.urbanthreads.sg", "urbanthreads"),
        ("m.shop.acme.com.au", "acme"),
        ("example.co.uk", "example"),
        ("xn--bcher-kva.de", "bücher"),  # Unicode, to compare with company names
        ("bücher.de", "bücher"),
        ("localhost", "localhost"),
        ("", ""),
    ],
)
def test_domain_label(url_or_host: str, label: str) -> None:
    assert domain_label(url_or_host) == label


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.Stockwise.sg/", "stockwise.sg"),
        ("stockwise.sg", "stockwise.sg"),
        ("http://shop.example.com.sg:8080/en/about?x=1#top", "shop.example.com.sg"),
        ("HTTPS://WWW.EXAMPLE.COM", "example.com"),
        ("https://bücher.de/katalog", "xn--bcher-kva.de"),
        ("https://例え.jp", "xn--r8jz45g.jp"),
        ("https://example.com.", "example.com"),
    ],
)
def test_website_domain(website: str, domain: str) -> None:
    assert website_domain(website) == domain


@pytest.mark.parametrize(
    "website",
    [
        "",
        "http://",
        "ftp://example.com",
        "https://exa mple.com",
        "localhost",
        "https://10.0.0.1",
        "https://-bad-.com",
        "https://my_host.example.com",
        "mailto:sales@example.com",
        "https://user@example.com",
        "https://example.com:99999",
        "https://a..b.com",
    ],
)
def test_website_domain_rejects(website: str) -> None:
    with pytest.raises(ValueError):
        website_domain(website)


def test_public_suffixes_come_from_the_bundled_snapshot_without_network(tmp_path: Path) -> None:
    """A fresh process with sockets disabled and an empty home still knows .com.sg, and leaves
    no suffix-list cache behind."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise AssertionError("network access attempted")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from scrapers.hosts import registrable_domain

        print(registrable_domain("https://shop.acme.com.sg/"), registrable_domain("x.example.co.uk"))
        """
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TLDEXTRACT_CACHE": str(tmp_path / "tldextract"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["acme.com.sg", "example.co.uk"]
    assert list(tmp_path.rglob("*")) == []


def test_crawlable_website_follows_the_configured_ports() -> None:
    with pytest.raises(ValueError, match="port"):
        crawlable_website("http://shop.example.com:8080/")
    assert crawlable_website("http://shop.example.com:8080/", allowed_ports={80, 443, 8080}) == "shop.example.com"

"""``technology``: what the site runs, from what the page loads and what the server sends."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.extractors.common import Evidence, Headers, evidence, selector
from scrapers.extractors.pages import classify_page


@dataclass(frozen=True)
class _Fingerprint:
    name: str
    assets: tuple[str, ...] = ()  # substrings of script src, link href or iframe src
    inline: tuple[str, ...] = ()  # substrings of inline script code
    generator: str | None = None  # regex on <meta name="generator">
    cookies: tuple[str, ...] = ()  # cookie name prefixes in Set-Cookie
    headers: tuple[tuple[str, str], ...] = ()  # (header name, regex on its value)


_FINGERPRINTS = (
    _Fingerprint(
        "HubSpot", ("js.hs-scripts.com", "js.hsforms.net", "js.hs-analytics.net"), cookies=("hubspotutk", "__hstc")
    ),
    _Fingerprint("Google Analytics", ("googletagmanager.com/gtag/js", "google-analytics.com/"), cookies=("_ga",)),
    _Fingerprint("Google Tag Manager", ("googletagmanager.com/gtm.js",)),
    _Fingerprint(
        "Intercom", ("widget.intercom.io", "js.intercomcdn.com"), ("intercomSettings",), cookies=("intercom-id",)
    ),
    _Fingerprint(
        "Shopify",
        ("cdn.shopify.com",),
        cookies=("_shopify_y",),
        headers=(("x-shopid", ""), ("powered-by", "(?i)shopify")),
    ),
    _Fingerprint(
        "WooCommerce", ("/wp-content/plugins/woocommerce/",), generator="(?i)woocommerce", cookies=("woocommerce_",)
    ),
    _Fingerprint("WordPress", ("/wp-content/", "/wp-includes/"), generator="(?i)wordpress"),
    _Fingerprint("Salesforce Pardot", ("pi.pardot.com", "go.pardot.com"), ("piAId",), cookies=("visitor_id",)),
    _Fingerprint("Stripe", ("js.stripe.com",)),
    _Fingerprint("Segment", ("cdn.segment.com",)),
    _Fingerprint("Zendesk", ("static.zdassets.com", "zendesk.com/embeddable")),
    _Fingerprint("Marketo", ("munchkin.marketo.net",)),
    _Fingerprint("Hotjar", ("static.hotjar.com",)),
    _Fingerprint("Wix", ("static.wixstatic.com",), generator="(?i)wix\\.com"),
    _Fingerprint("Squarespace", ("static1.squarespace.com",), generator="(?i)squarespace"),
    _Fingerprint("Cloudflare", headers=(("server", "(?i)cloudflare"),)),
)


def extract_technologies(
    url: str, html: str, headers: Headers = None, *, page_type: str | None = None
) -> list[Evidence]:
    """Technologies the site runs, one record per fingerprint: its strongest trace wins."""
    page_type = page_type or classify_page(url)
    sel = selector(html)
    assets = sel.xpath("//script/@src | //link/@href | //iframe/@src").getall()
    inline_code = "\n".join(sel.xpath("//script[not(@src)]/text()").getall())
    generators = sel.xpath("//meta[translate(@name,'GENERATOR','generator')='generator']/@content").getall()
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    cookie_names = re.findall(r"(?:^|\n)\s*([^=;\s]+)=", headers.get("set-cookie", ""))
    found = []
    for fp in _FINGERPRINTS:
        hit = (
            next((("asset", a) for a in assets for p in fp.assets if p in a), None)
            or next((("inline script", p) for p in fp.inline if p in inline_code), None)
            or next((("meta generator", g) for g in generators if fp.generator and re.search(fp.generator, g)), None)
            or next((("cookie", c) for c in cookie_names for p in fp.cookies if c.startswith(p)), None)
            or next(
                (
                    ("header", f"{h}: {headers[h]}")
                    for h, rx in fp.headers
                    if h in headers and re.search(rx, headers[h])
                ),
                None,
            )
        )
        if hit:
            source, detail = hit
            confidence = 0.9 if source in ("asset", "meta generator") else 0.75
            found.append(
                evidence(
                    "technology",
                    {"label": fp.name, "source": source},
                    url,
                    page_type,
                    confidence,
                    f"{source}: {detail}",
                )
            )
    return found

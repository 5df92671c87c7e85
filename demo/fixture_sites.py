"""Fixture websites for crawler tests and the crawl benchmark.

``company_sites()`` generates realistic multi-page company websites (tracking scripts, JSON-LD,
integrations, industries, case studies and careers pages with detail pages, a sitemap, robots.txt,
staff email addresses) together with the labels planted in them, so extraction can be scored.
``hostile_sites()`` is the web a crawler must survive: robots.txt disallowing everything, 403,
500, 429 with Retry-After, a server slower than any timeout, a redirect loop, endless calendar
links, a 20 MB page, non-HTML content, malformed HTML and a JavaScript-only shell.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from html import escape

from demo.vhost import HTML, Page, Reply, Site
from demo.websites import TECHNOLOGY_TAGS

SIGNALS = ("integration", "buyer_title", "industry_served", "headcount")
INDEX_PAGES = ("/", "/about", "/industries", "/integrations", "/customers", "/careers", "/pricing")
HUGE_PAGE_BYTES = 20 * 1024 * 1024

_PLACES = (
    "Harbour", "Lion City", "Kallang", "Orchid", "Merlion", "Straits", "Jurong", "Tampines", "Bukit Timah",
    "Marina", "Raffles", "Changi", "Sentosa", "Pasir Panjang", "Tiong Bahru", "Keppel", "Sembawang",
    "Clementi", "Novena", "Bedok", "Pioneer", "Tuas", "Serangoon", "Geylang",
)  # fmt: skip
_TRADES = (
    "Logistics", "Foods", "Trading", "Supplies", "Engineering", "Distribution", "Wholesale", "Marine",
    "Pharma", "Retail", "Cold Chain", "Provisions", "Industrial", "Packaging",
)  # fmt: skip
INTEGRATIONS = (
    "HubSpot", "Salesforce", "Shopify", "Xero", "Stripe", "Segment", "Intercom", "Zendesk", "Slack", "SAP",
    "NetSuite", "QuickBooks", "Magento", "WooCommerce", "Marketo", "Mailchimp", "Zapier", "Microsoft Dynamics",
    "Lazada", "Shopee", "Freshdesk", "PayPal",
)  # fmt: skip
TITLES = (
    "Head of Operations", "Finance Manager", "Operations Manager", "Procurement Manager", "Supply Chain Manager",
    "Warehouse Supervisor", "Account Executive", "Sales Director", "Customer Success Manager",
    "Software Engineer", "Logistics Coordinator", "Chief Financial Officer", "IT Manager", "Marketing Executive",
    "HR Manager", "Delivery Driver", "Forklift Operator", "Business Development Manager", "Inventory Analyst",
    "Purchasing Executive", "VP of Sales", "Head of Finance",
)  # fmt: skip
INDUSTRIES = (
    "food distribution", "cold chain logistics", "freight forwarding", "seafood wholesale",
    "beverage distribution", "pharmaceutical wholesale", "construction supplies", "electronics manufacturing",
    "hospitality", "retail", "healthcare", "marine engineering", "e-commerce fulfilment",
    "building maintenance", "education services", "ship chandling",
)  # fmt: skip
_FIRST_NAMES = ("jane", "wei.ming", "siti", "arjun", "mei.ling", "david", "nur.aisyah", "kenneth", "priya", "hui.min")
_LAST_NAMES = ("lim", "tan", "ng", "rahman", "kumar", "wong", "lee", "goh", "chua", "teo")
# Job boards abbreviate; the extractor must expand these again.
_ABBREVIATIONS = (("Manager", "Mgr"), ("Operations", "Ops"), ("Executive", "Exec"))
_PROSE = (
    "Our people know the suppliers, the seasons and the paperwork that keep goods moving across the region.",
    "We run a 12,000 square feet facility with temperature-controlled zones and same-day dispatch.",
    "Every customer segment gets a named account lead and a quarterly review of service levels.",
    "Orders placed before noon leave the same afternoon; the rest ship first thing the next morning.",
    "We invest in training so that our teams can handle peak season without a slack in quality.",
    "Compliance with local food safety and trade regulations is checked on every consignment.",
)


@dataclass(frozen=True)
class FixtureSite:
    """One generated website and what a perfect extractor would find on it."""

    domain: str
    pages: dict[str, Page]
    labels: dict[str, frozenset[str]]  # signal_key -> planted labels

    @property
    def crawlable(self) -> list[str]:
        """Paths of the pages worth crawling (what a complete crawl fetches)."""
        return [p for p in self.pages if p.startswith(INDEX_PAGES[1:]) or p == "/"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _abbreviate(title: str) -> str:
    for word, short in _ABBREVIATIONS:
        title = title.replace(word, short)
    return title


class _Writer:
    """Wraps page bodies in one company's chrome: head scripts, navigation, footer with emails."""

    def __init__(self, rng: random.Random, name: str, domain: str, postal: str, personal_emails: int):
        self.rng, self.name, self.domain, self.postal = rng, name, domain, postal
        self.technologies = rng.sample(sorted(TECHNOLOGY_TAGS), k=rng.randint(1, 3))
        self.personal_emails = personal_emails

    def emails(self) -> str:
        people = [
            f"{self.rng.choice(_FIRST_NAMES)}.{self.rng.choice(_LAST_NAMES)}" for _ in range(self.personal_emails)
        ]
        plain = ", ".join(f'<a href="mailto:{p}@{self.domain}">{p}@{self.domain}</a>' for p in people[::2])
        obfuscated = ", ".join(f"{p} [at] {self.domain.replace('.', ' [dot] ')}" for p in people[1::2])
        return f"<p>Talk to a person: {plain} {obfuscated} or sales@{self.domain}.</p>"

    def page(self, title: str, body: str) -> bytes:
        name = escape(self.name)
        head = "\n".join(TECHNOLOGY_TAGS[t] for t in self.technologies)
        nav = "".join(
            f'<li><a href="{href}">{text}</a></li>'
            for href, text in (
                ("/about", "About us"),
                ("/industries", "Industries"),
                ("/integrations", "Integrations"),
                ("/customers", "Customers"),
                ("/pricing", "Pricing"),
                ("/careers", "Careers"),
                ("/blog", "Blog"),
            )
        )
        prose = "".join(f"<p>{p}</p>" for p in self.rng.sample(_PROSE, k=2))
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/site.css">
{head}
<style>.hero{{padding:4rem 0}} .card{{border:1px solid #ddd;border-radius:8px}} nav ul{{display:flex}}</style>
</head><body>
<header><a href="/" class="logo">{name}</a><nav><ul>{nav}</ul></nav></header>
<main>
{body}
<section class="more">{prose}</section>
</main>
<footer><p>{name} Pte. Ltd. &middot; 10 Anson Road #12-01, Singapore {self.postal}</p>
{self.emails()}
<p><a href="/privacy">Privacy policy</a> &middot; <a href="/admin/">Staff login</a></p>
<p>&copy; 2025 {name}. All rights reserved.</p></footer>
<script src="/assets/site.js"></script>
</body></html>
""".encode()


def company_site(rng: random.Random, domain: str, name: str, pages: int = 30, personal_emails: int = 2) -> FixtureSite:
    """One company's website with ``pages`` crawlable pages (at least the 7 index pages)."""
    integrations = rng.sample(INTEGRATIONS, k=rng.randint(3, 6))
    titles = rng.sample(TITLES, k=rng.randint(3, 6))
    industries = rng.sample(INDUSTRIES, k=rng.randint(2, 4))
    headcount = rng.randint(8, 900)
    postal = f"{rng.randint(1, 82):02d}{rng.randint(0, 9999):04d}"
    write = _Writer(rng, name, domain, postal, personal_emails)
    customers = [f"{p} {t}" for p, t in zip(rng.sample(_PLACES, k=16), rng.choices(_TRADES, k=16), strict=True)]
    customers = [c for c in dict.fromkeys(customers) if c != name]
    nm = escape(name)

    details: list[tuple[str, str, str]] = []  # (path, title, body)
    for i in integrations:
        details.append(
            (
                f"/integrations/{_slug(i)}",
                f"{i} integration",
                f"<h1>{escape(i)} integration</h1><p>Connect {escape(i)} to {nm} in minutes: orders, invoices"
                " and stock levels stay in sync both ways.</p><h2>How it works</h2>"
                "<ol><li>Sign in to your account</li><li>Choose what to sync</li><li>Go live</li></ol>",
            )
        )
    for ind in industries:
        details.append(
            (
                f"/industries/{_slug(ind)}",
                ind.capitalize(),
                f"<h1>{escape(ind.capitalize())}</h1><h2>How we help {escape(ind)} teams</h2>"
                "<h3>Key challenges</h3><ul><li>Tight delivery windows</li><li>Cold storage compliance</li>"
                "<li>Supplier price swings</li></ul>",
            )
        )
    for n, title in enumerate(titles):
        manager = titles[(n + 1) % len(titles)]
        details.append(
            (
                f"/careers/{_slug(title)}",
                title,
                f"<h1>{escape(title)}</h1><p>Singapore &middot; Full-time</p><h2>About the role</h2>"
                f"<p>You will report to our {escape(manager)} and work with teams across the region.</p>"
                "<h2>Requirements</h2><ul><li>Three years of relevant experience</li>"
                "<li>Clear written and spoken English</li><li>Comfortable with spreadsheets</li></ul>",
            )
        )
    stories = max(0, pages - len(INDEX_PAGES) - len(details))
    customers = (customers * (stories // max(1, len(customers)) + 1))[: max(stories, 3)]
    story_paths = []
    for n, customer in enumerate(customers[:stories]):
        path = f"/customers/{_slug(customer)}-{n}"
        story_paths.append((path, customer))
        staff = rng.randint(50, 2000)
        details.append(
            (
                path,
                f"Case study: {customer}",
                f"<h1>Case study: {escape(customer)}</h1><h2>The challenge</h2><p>{escape(customer)}'s "
                f"{staff} employees were keying orders twice.</p><h2>The results</h2>"
                f"<p>&ldquo;{nm} cut our order processing time in half.&rdquo;</p>",
            )
        )
    details = details[: max(0, pages - len(INDEX_PAGES))]
    kept = {path for path, _, _ in details}

    def links(prefix: str) -> str:
        return "".join(
            f'<li><a href="{path}">{escape(title)}</a></li>' for path, title, _ in details if path.startswith(prefix)
        )

    org = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": f"{name} Pte. Ltd.",
        "url": f"https://{domain}/",
        "numberOfEmployees": {"@type": "QuantitativeValue", "value": headcount},
        "address": {"@type": "PostalAddress", "addressCountry": "SG", "postalCode": postal},
    }
    serve = ", ".join(industries[:-1]) + f" and {industries[-1]}"
    bodies = {
        "/": f'<section class="hero"><h1>{nm}</h1><p>We serve {escape(serve)}.</p>'
        f'<p>Trusted by 300+ customers across Singapore. <a href="/about">Learn more about us</a>.</p></section>',
        "/about": f"<h1>About {nm}</h1><p>Founded in Singapore, today we are a team of {headcount} people serving"
        f' customers across Singapore and Malaysia.</p><script type="application/ld+json">{json.dumps(org)}</script>',
        "/industries": "<h1>Industries we serve</h1><ul>"
        + "".join(f"<li>{escape(i.capitalize())}</li>" for i in industries)
        + f"</ul><ul>{links('/industries/')}</ul>",
        "/integrations": f"<h1>Integrations</h1><p>{nm} works with {escape(', '.join(integrations))}.</p>"
        + "".join(
            f'<div class="card"><h3>{escape(i)}</h3><p>Orders and invoices stay in sync.</p></div>'
            for i in integrations
        )
        + f"<ul>{links('/integrations/')}</ul>",
        "/customers": "<h1>Customer stories</h1>"
        + "".join(
            f'<article><h3><a href="{path}">{escape(c)}</a></h3><p>How {escape(c)} grew with us.</p></article>'
            for path, c in story_paths
            if path in kept
        ),
        "/careers": f"<h1>Careers at {nm}</h1><p>Join our {headcount}-strong team.</p><h2>Open positions</h2>"
        '<ul class="jobs">'
        + "".join(
            f'<li><a href="/careers/{_slug(t)}">{escape(_abbreviate(t) if n % 2 else t)}</a>'
            " - Singapore (Full-time)</li>"
            for n, t in enumerate(titles)
        )
        + "</ul>",
        "/pricing": f"<h1>Pricing</h1><p>From SGD {rng.choice((290, 490, 890, 1290))} per month, billed annually.</p>",
        "/blog": "<h1>News</h1><article><h2>We moved to a bigger office</h2></article>",
        "/privacy": "<h1>Privacy policy</h1><p>We keep only the data we need.</p>",
        "/admin/": '<h1>Staff login</h1><form><input name="user"></form>',
    }
    site: dict[str, Page] = {path: (HTML, write.page(path.strip("/") or name, b)) for path, b in bodies.items()}
    site.update({path: (HTML, write.page(title, body)) for path, title, body in details})
    site["/robots.txt"] = (
        "text/plain",
        f"User-agent: *\nDisallow: /admin\n\nSitemap: https://{domain}/sitemap.xml\n".encode(),
    )
    urls = "".join(f"<url><loc>https://{domain}{p}</loc></url>\n" for p in site if p not in ("/admin/", "/robots.txt"))
    site["/sitemap.xml"] = (
        "application/xml",
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n".encode(),
    )
    labels = {
        "integration": frozenset(integrations),
        "buyer_title": frozenset(titles),
        "industry_served": frozenset(industries),
        "headcount": frozenset({str(headcount)}),
    }
    return FixtureSite(domain, site, labels)


def company_sites(count: int, pages: int = 30, seed: int = 1, personal_emails: int = 2) -> list[FixtureSite]:
    """``count`` distinct company websites of ``pages`` crawlable pages each, reproducible by seed."""
    rng = random.Random(seed)
    sites = []
    for n in range(count):
        name = f"{rng.choice(_PLACES)} {rng.choice(_TRADES)}"
        sites.append(company_site(rng, f"{_slug(name)}-{n}.com.sg", name, pages, personal_emails))
    return sites


# ---------------------------------------------------------------------------------------------
# The hostile web
# ---------------------------------------------------------------------------------------------

_HUGE_BODY: list[bytes] = []


def _huge_body() -> bytes:
    if not _HUGE_BODY:
        _HUGE_BODY.append(b"<html><body>" + b"<p>" + b"x" * (HUGE_PAGE_BYTES - 30) + b"</p></body></html>")
    return _HUGE_BODY[0]


def _html(body: str) -> Page:
    return HTML, f"<!doctype html><html><head><title>Fixture</title></head><body>{body}</body></html>".encode()


def _rate_limited(path: str, hits: int) -> Page | None:
    """Every page answers 429 with Retry-After: 1 the first time it is asked for."""
    pages = {
        "/": _html('<h1>Rate Limited Co</h1><a href="/integrations">Integrations</a>'),
        "/integrations": _html("<h1>Integrations</h1><p>We work with Xero and HubSpot.</p>"),
    }
    if path not in pages:
        return None
    if hits == 0:
        return Reply(429, b"Too many requests\n", "text/plain", headers=(("Retry-After", "1"),))
    return pages[path]


def _calendar(path: str, hits: int) -> Page | None:
    """Endless calendar: every month links to the next month and to each of its days."""
    if path == "/":
        return _html('<h1>Events Co</h1><a href="/careers/calendar/2025-01">Careers events</a>')
    match = re.fullmatch(r"/careers/calendar/(\d{4})-(\d{2})(?:-(\d{2}))?", path)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    nxt = f"{year + month // 12}-{month % 12 + 1:02d}"
    days = "".join(f'<a href="/careers/calendar/{year}-{month:02d}-{d:02d}">{d}</a>' for d in range(1, 29))
    return _html(f'<h1>Events {year}-{month:02d}</h1><a href="/careers/calendar/{nxt}">Next month</a>{days}')


def _redirect_loop(path: str, hits: int) -> Page | None:
    target = {"/": "/start", "/start": "/"}.get(path)
    return Reply(302, b"", headers=(("Location", target),)) if target else None


def _slow(path: str, hits: int) -> Page | None:
    return Reply(200, _html("<h1>Slow Co</h1>")[1], delay_s=4.0) if path == "/" else None


def hostile_sites() -> dict[str, Site]:
    """Domain -> site, one misbehaviour each (see the module docstring)."""
    return {
        "closedshop.com.sg": {
            "/": _html('<a href="/about">About us</a>'),
            "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /\n"),
        },
        "forbidden.com.sg": lambda path, hits: Reply(403, b"Forbidden\n", "text/plain"),
        "brokenserver.com.sg": lambda path, hits: Reply(500, b"Internal Server Error\n", "text/plain"),
        "ratelimited.com.sg": _rate_limited,
        "slowpoke.com.sg": _slow,
        "loopy.com.sg": _redirect_loop,
        "eventcal.com.sg": _calendar,
        "hugepage.com.sg": {
            "/": _html('<h1>Huge Co</h1><p>We integrate with Shopify.</p><a href="/customers">Customers</a>'),
            "/customers": (HTML, _huge_body()),
        },
        "pdfonly.com.sg": {
            "/": ("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n% contact jane.lim@pdfonly.com.sg\n%%EOF\n")
        },
        "tagsoup.com.sg": {
            "/": (
                HTML,
                b"<html><head><title>Tag Soup</title><body><div><p>Welcome <b>friend<i>"
                b"</div></div></span><a href=/integrations>Our integrations<p><table><tr><td>Xero<td>Slack</table",
            ),
            "/integrations": (
                HTML,
                b"<h1>Integrations<h1><div class=card><h3>Xero</h3><p>Sync <i>invoices</p></div"
                b"><div><h3>Shopify<h3></div>\x00\xff<p>Also Slack</body></body></html>",
            ),
        },
        "jsshell.com.sg": {
            "/": _html('<div id="root"></div><noscript>Enable JavaScript.</noscript><script src="/app.js"></script>'),
            "/app.js": ("application/javascript", b"document.getElementById('root').innerHTML='<h1>Hi</h1>';"),
        },
    }

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
import zlib
from dataclasses import dataclass
from html import escape
from urllib.parse import unquote

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


# ---------------------------------------------------------------------------------------------
# Personal data in every form it hides in
# ---------------------------------------------------------------------------------------------

PII_DOMAIN = "piitest.com.sg"


@dataclass(frozen=True)
class PiiForm:
    """One way a personal email address, phone number or name appears on a website. ``markup`` is
    how the page, URL or header carries it; ``needles`` are what must be found nowhere after the
    scrub (compared with spaces, dots, dashes, brackets and "+" squeezed out, in any case)."""

    id: str
    markup: str
    needles: tuple[str, ...]
    # body | script | url | header | title (a buyer title naming a person) | page_title (in the
    # page's <title>) | file (a PDF's body, latin-1: served at /about/<id>.pdf, linked from the home page)
    where: str = "body"


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def _cfemail(address: str, key: int = 0x8A) -> str:
    """Cloudflare's email obfuscation: the key, then each character XOR the key, in hex."""
    return f"{key:02x}" + "".join(f"{ord(c) ^ key:02x}" for c in address)


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text is in a FlateDecode (zlib) stream, as PDF writers store it."""
    stream = zlib.compress(f"BT /F1 12 Tf ({text}) Tj ET".encode())
    return (
        b"%%PDF-1.4\n1 0 obj<</Length %d/Filter/FlateDecode>>stream\n" % len(stream)
        + stream
        + b"\nendstream endobj\n%%EOF\n"
    )


PII_FORMS: tuple[PiiForm, ...] = (
    # Email addresses.
    PiiForm("email_plain", "jane.tan01@acme.com.sg", ("jane.tan01",)),
    PiiForm("email_plus_tag", "jane.tan02+crm@acme.sg", ("jane.tan02",)),
    PiiForm("email_upper_case", "JANE.TAN03@ACME.SG", ("jane.tan03",)),
    PiiForm("email_spaced_at", "jane.tan04 @ acme.sg", ("jane.tan04",)),
    PiiForm("email_bracket_at_dot", "jane.tan05 [at] acme [dot] sg", ("jane.tan05",)),
    PiiForm("email_paren_at_dot", "jane.tan06 (at) acme (dot) com (dot) sg", ("jane.tan06",)),
    PiiForm("email_brace_at_dot", "jane.tan07{at}acme{dot}sg", ("jane.tan07",)),
    PiiForm("email_upper_bracket_at", "JANE.TAN08 [AT] ACME [DOT] SG", ("jane.tan08",)),
    PiiForm("email_worded_at_dot", "jane.tan09 at acme dot sg", ("jane.tan09",)),
    PiiForm("email_worded_upper", "jane.tan10 AT acme DOT com DOT sg", ("jane.tan10",)),
    PiiForm("email_worded_at_real_dots", "jane.tan11 at acme.com.sg", ("jane.tan11",)),
    PiiForm("email_decimal_entity", "jane.tan12&#64;acme.sg", ("jane.tan12",)),
    PiiForm("email_hex_entity", "jane.tan13&#x40;acme.sg", ("jane.tan13",)),
    PiiForm("email_named_entity", "jane.tan14&commat;acme.sg", ("jane.tan14",)),
    PiiForm("email_double_encoded_entity", "jane.tan15&amp;#64;acme.sg", ("jane.tan15",)),
    PiiForm("email_all_entities", _entities("jane.tan16@acme.sg"), ("jane.tan16",)),
    PiiForm("email_percent_encoded", "jane.tan17%40acme.sg", ("jane.tan17",)),
    PiiForm("email_json_unicode_escape", '<script>var c={"m":"jane.tan18\\u0040acme.sg"};</script>', ("jane.tan18",)),
    PiiForm("email_js_hex_escape", "<script>var m='jane.tan19\\x40acme.sg';</script>", ("jane.tan19",)),
    PiiForm("email_full_width_at", "jane.tan20\uff20acme.sg", ("jane.tan20",)),
    PiiForm(
        "email_all_full_width",
        "\uff4a\uff41\uff4e\uff45\uff0e\uff54\uff41\uff4e\uff12\uff11\uff20\uff41.sg",
        ("jane.tan21",),
    ),
    PiiForm("email_small_form_at", "jane.tan22\ufe6bacme.sg", ("jane.tan22",)),
    PiiForm("email_zero_width_spaces", "jane.tan23\u200b@\u200bacme.sg", ("jane.tan23",)),
    PiiForm("email_at_in_its_own_tag", "jane.tan24<span>@</span>acme.sg", ("jane.tan24",)),
    PiiForm("email_split_by_comments", "jane.tan25<!-- -->@<!-- x -->acme.sg", ("jane.tan25",)),
    PiiForm("email_mailto_link", '<a href="mailto:jane.tan26@acme.sg">Write to us</a>', ("jane.tan26",)),
    PiiForm("email_mailto_percent", '<a href="mailto:jane.tan27%40acme.sg?subject=Hi">Email</a>', ("jane.tan27",)),
    PiiForm(
        "email_json_ld",
        '<script type="application/ld+json">{"@type": "Person", "email": "jane.tan28@acme.sg"}</script>',
        ("jane.tan28",),
        "script",
    ),
    PiiForm("email_meta_attribute", '<meta name="author" content="jane.tan29@acme.sg">', ("jane.tan29",)),
    PiiForm("email_in_link_query", '<a href="/about?email=jane.tan30@acme.sg">About us</a>', ("jane.tan30",), "url"),
    PiiForm(
        "email_in_link_query_percent",
        '<a href="/industries?contact=jane.tan31%40acme.sg">Industries</a>',
        ("jane.tan31",),
        "url",
    ),
    PiiForm("email_in_response_header", "X-Contact: jane.tan32@acme.sg", ("jane.tan32",), "header"),
    PiiForm("email_in_redirect_location", "Location: /about/team?email=jane.tan33@acme.sg", ("jane.tan33",), "header"),
    PiiForm("email_in_cookie", "Set-Cookie: user=jane.tan34%40acme.sg; Path=/", ("jane.tan34",), "header"),
    # Phone numbers: Singapore forms, then international ones.
    PiiForm("phone_sg_international", "+65 9123 4535", ("91234535",)),
    PiiForm("phone_sg_national", "9123 4536", ("91234536",)),
    PiiForm("phone_sg_country_code_in_brackets", "(65) 6123-4537", ("61234537",)),
    PiiForm("phone_sg_no_separators", "+6591234538", ("91234538",)),
    PiiForm("phone_sg_dashes", "+65-6123-4539", ("61234539",)),
    PiiForm("phone_sg_extension", "6123 4540 ext 12", ("61234540",)),
    PiiForm("phone_sg_00_prefix", "0065 9123 4541", ("91234541",)),
    PiiForm("phone_sg_plus_in_brackets", "(+65) 8123 4542", ("81234542",)),
    PiiForm("phone_sg_toll_free", "1800 123 4543", ("18001234543",)),
    PiiForm("phone_us", "+1 415 555 0144", ("4155550144",)),
    PiiForm("phone_uk", "+44 20 7946 0145", ("2079460145",)),
    PiiForm("phone_malaysia", "+60 12-345 6746", ("123456746",)),
    PiiForm("phone_australia", "+61 2 9374 4047", ("293744047",)),
    PiiForm("phone_india", "+91 98765 43248", ("9876543248",)),
    PiiForm("phone_hong_kong", "+852 2123 4549", ("21234549",)),
    PiiForm(
        "phone_full_width_digits", "\uff0b\uff16\uff15 \uff19\uff11\uff12\uff13 \uff14\uff15\uff15\uff10", ("91234550",)
    ),
    PiiForm("phone_tel_link", '<a href="tel:+6591234551">Call us</a>', ("91234551",)),
    PiiForm(
        "phone_json_ld",
        '<script type="application/ld+json">{"@type": "Organization", "telephone": "+65 6123 4552"}</script>',
        ("61234552",),
        "script",
    ),
    PiiForm("phone_nbsp_entities", "+65&nbsp;9123&nbsp;4553", ("91234553",)),
    PiiForm("phone_plus_entity", "&#43;65 9123 4554", ("91234554",)),
    PiiForm("phone_in_link_query", '<a href="/customers?phone=%2B6591234555">Customers</a>', ("91234555",), "url"),
    PiiForm("phone_in_response_header", "X-Phone: +65 6123 4556", ("61234556",), "header"),
    PiiForm("phone_dotted", "9123.4557", ("91234557",)),
    # Names next to buyer titles: the title ends at the role, the name reaches no record.
    PiiForm(
        "title_talk_to_our_with_name_and_phone",
        "<p>Talk to our Head of Sales Priya Nair on +65 9123 4558 for a demo.</p>",
        ("Priya Nair", "91234558"),
        "title",
    ),
    PiiForm(
        "title_name_after_role",
        "<p>Speak with our Operations Manager Wei Ming Lim today.</p>",
        ("Wei Ming Lim",),
        "title",
    ),
    PiiForm("title_name_before_role", "<li>Siti Rahman, Head of Finance</li>", ("Siti Rahman",), "title"),
    PiiForm("title_name_after_comma", "<li>Procurement Manager, Kenneth Goh</li>", ("Kenneth Goh",), "title"),
    # Names after a title in brackets, after a slash or a bar, or set off by commas (F2).
    PiiForm("title_name_in_brackets", "<li>Head of Procurement (Grace Koh)</li>", ("Grace Koh",), "title"),
    PiiForm("title_name_after_slash", "<li>Logistics Manager / Mary Lim</li>", ("Mary Lim",), "title"),
    PiiForm("title_name_after_bar", "<li>Sales Director | rachel wee</li>", ("rachel wee",), "title"),
    PiiForm("title_name_after_vp_field", "<li>VP Sales Tan Wei Ming</li>", ("Tan Wei Ming",), "title"),
    PiiForm(
        "title_talk_to_our_name_in_commas",
        "<p>Talk to our Head of Procurement, Siti Nurhaliza binte Ahmad, about volume pricing.</p>",
        ("Siti Nurhaliza", "Nurhaliza binte Ahmad"),
        "title",
    ),
    # Split by markup, hidden in link targets, spelled out, obfuscated (F3).
    PiiForm("phone_split_by_tags", "Call <span>+65 9123</span><span> 4560</span>", ("91234560",)),
    PiiForm("phone_split_by_comment", "Hotline 6123<!-- x -->4561", ("61234561",)),
    PiiForm("phone_tel_link_percent_spaces", '<a href="tel:+65%209123%204562">Call us</a>', ("91234562",)),
    PiiForm(
        "phone_in_link_query_percent_space", '<a href="/customers?ref=6123%204563">Customers</a>', ("61234563",), "url"
    ),
    PiiForm("email_gt_in_attribute_of_splitting_tag", 'jane.tan35<span title=">">@</span>acme.sg', ("jane.tan35",)),
    PiiForm("email_long_tag_between", f'jane.tan36<span data-x="{"a" * 400}">@</span>acme.sg', ("jane.tan36",)),
    PiiForm("email_long_comment_between", f"jane.tan37<!--{'x' * 600}-->@acme.sg", ("jane.tan37",)),
    PiiForm("email_dashed_at_dot", "jane.tan38 -at- acme -dot- sg", ("jane.tan38",)),
    PiiForm(
        "email_cloudflare_protected",
        f'<a href="/cdn-cgi/l/email-protection#{_cfemail("jane.tan39@acme.sg")}" class="__cf_email__"'
        f' data-cfemail="{_cfemail("jane.tan39@acme.sg")}">[email&#160;protected]</a>',
        (_cfemail("jane.tan39@acme.sg"), "jane.tan39"),
    ),
    PiiForm("email_split_by_cdata", "jane.tan40<![CDATA[@]]>acme.sg", ("jane.tan40",)),
    PiiForm(
        "email_and_phone_in_compressed_pdf",
        _pdf("Contact: jane.tan41@acme.sg, +65 9123 4566").decode("latin-1"),
        ("jane.tan41", "91234566"),
        "file",
    ),
    # Separators the phone matcher does not know (F4).
    PiiForm("phone_middle_dot_in_page_title", "call 6123\u00b74564", ("61234564",), "page_title"),
    PiiForm("phone_underscores", "+65_9123_4565", ("91234565",)),
    PiiForm("phone_bullets", "9123\u20224567", ("91234567",)),
)
PII_TITLES = frozenset(
    {
        "Head of Sales",
        "Operations Manager",
        "Head of Finance",
        "Procurement Manager",
        "Head of Procurement",
        "Logistics Manager",
        "Sales Director",
        "VP Sales",
    }
)
PII_ROLE_ADDRESS = f"sales@{PII_DOMAIN}"


def squash(text: str) -> str:
    """Text as PiiForm needles are compared: lower case, without spaces, dots, dashes, brackets,
    "+", underscores, middle dots or bullets (so "+65 9123-4567" and "91234567" meet)."""
    return re.sub(r"[\s().+\-_/\u00a0\u00b7\u2022\u2027]", "", text).lower()


def pii_site() -> Site:
    """A company website carrying every PiiForm: in page text, attributes, scripts and JSON-LD,
    in the URLs of links and of a redirect, and in response headers and cookies."""
    forms = {f.id: f for f in PII_FORMS}
    body = [f.markup for f in PII_FORMS if f.where in ("body", "script", "url")]
    headers = tuple(
        tuple(f.markup.split(": ", 1))  # type: ignore[misc]
        for f in PII_FORMS
        if f.where == "header" and not f.markup.startswith("Location")
    )
    location = forms["email_in_redirect_location"].markup.split(": ", 1)[1]
    half = len(body) // 2
    titles = [f.markup for f in PII_FORMS if f.where == "title"]
    page_titles = " ".join(f.markup for f in PII_FORMS if f.where == "page_title")
    files = {
        f"/about/{f.id}.pdf": ("application/pdf", f.markup.encode("latin-1")) for f in PII_FORMS if f.where == "file"
    }
    file_links = "".join(f'<p><a href="{path}">About us: company profile</a></p>' for path in files)

    def page(title: str, content: str, extra: str = "") -> Reply:
        html = (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{title} | PII Test</title>{extra}</head>'
            '<body><nav><a href="/about">About us</a> <a href="/careers">Careers</a>'
            ' <a href="/customers">Customers</a> <a href="/company">Company</a></nav>'
            f"<main>{content}</main><footer><p>PII Test Pte. Ltd., 1 Raffles Place, Singapore 048616.</p>"
            f"<p>Write to {PII_ROLE_ADDRESS}.</p></footer></body></html>"
        )
        return Reply(200, html.encode(), HTML, headers)

    pages = {
        "/": page(
            f"Home {page_titles}",
            "<h1>PII Test</h1><p>We serve food distribution.</p>" + " <br> ".join(body[:half]) + file_links,
        ),
        "/about": page("About", "<h1>About us</h1>" + "".join(titles[:2]) + " <br> ".join(body[half:])),
        "/about/team": page("Team", "<h1>Our team</h1><p>A team of 40 people.</p>"),
        "/careers": page(
            "Careers",
            "<h1>Careers</h1><h2>Open positions</h2><ul>" + "".join(titles[2:]) + "<li>Finance Manager</li></ul>",
        ),
        "/customers": page("Customers", "<h1>Customer stories</h1><p>How Harbour Foods grew with us.</p>"),
        "/industries": page("Industries", "<h1>Industries we serve</h1><ul><li>Food distribution</li></ul>"),
        "/company": Reply(302, b"", HTML, (("Location", location),)),
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        **files,
    }

    def site(path: str, hits: int) -> Page | None:
        return pages.get(path.split("?", 1)[0])

    return site


_MARKUP = re.compile(r"""<!--.*?(?:-->|$)|<!\[CDATA\[|\]\]>|<(?:[^<>"']|"[^"]*"|'[^']*')*>""", re.S)
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def pii_views(text: str) -> list[str]:
    """Ways to read stored text in which a PiiForm's needles must not show: as it is, with its
    percent escapes decoded, and with its tags and comments taken out (a number split by tags);
    a PDF in it (latin-1) adds the text of its compressed streams."""
    views = [text, unquote(text)]
    views += [_MARKUP.sub("", view) for view in views]
    for stream in _PDF_STREAM.findall(text.encode("latin-1", errors="ignore")):
        try:
            views.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            pass
    return views

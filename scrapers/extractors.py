"""Evidence extractors: pure functions from one fetched page to evidence dicts.

Every extractor takes ``(url, html, headers)`` (``headers`` maps lower-case header names to
strings, repeated headers joined by newlines) plus an optional ``page_type`` and returns a list of
``{"signal_key", "value", "url", "page_type", "confidence", "snippet"}`` dicts, where ``value``
always has a normalised ``"label"``. They never touch the network, so they are tested on strings
and reused outside Scrapy (for example on cached pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from parsel import Selector

Evidence = dict
Headers = Mapping[str, str] | None

SNIPPET_MAX = 200

# ---------------------------------------------------------------------------------------------
# Page classification
# ---------------------------------------------------------------------------------------------


# Checked against path segments (whole segment or one of its dash-separated words) and link text.
_PAGE_TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customers",
        "customer",
        "case-studies",
        "case-study",
        "clients",
        "testimonials",
        "success-stories",
        "customer-stories",
        "case studies",
        "success stories",
    ),
    "industries": ("industries", "industry", "solutions", "sectors", "who-we-serve", "who we serve"),
    "integrations": ("integrations", "integration", "apps", "marketplace", "partners", "app-store"),
    "pricing": ("pricing", "plans", "prices"),
    "careers": ("careers", "career", "jobs", "join-us", "vacancies", "hiring", "join us"),
    "about": ("about", "about-us", "company", "our-story", "who-we-are", "about us", "our story"),
}
_HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.php", "/home"}


def _segments(path: str) -> list[str]:
    return [re.sub(r"\.(html?|php|aspx?)$", "", s) for s in path.lower().split("/") if s]


def _segment_type(segment: str) -> str | None:
    """The page type a whole path segment names (/careers, /case-studies), if any."""
    return next((page_type for page_type, keywords in _PAGE_TYPE_KEYWORDS.items() if segment in keywords), None)


def classify_page(url: str, link_text: str = "") -> str:
    """Page type from the URL path, falling back to the link text; ``"other"`` for pages the
    crawler should skip. Whole segments win over words inside one (/careers/customer-success-manager
    is a careers page), and the last matching segment wins (/company/careers is careers)."""
    path = urlsplit(url).path.lower().rstrip("/")
    if path in _HOME_PATHS or path + "/" in _HOME_PATHS:
        return "home"
    segments = _segments(path)
    for segment in reversed(segments):
        if page_type := _segment_type(segment):
            return page_type
    for segment in reversed(segments):
        words = set(re.split(r"[-_.]", segment))
        for page_type, keywords in _PAGE_TYPE_KEYWORDS.items():
            if words & set(keywords):
                return page_type
    text = " ".join(link_text.lower().split())
    for page_type, keywords in _PAGE_TYPE_KEYWORDS.items():
        if any(re.search(rf"\b{re.escape(k.replace('-', ' '))}\b", text) for k in keywords):
            return page_type
    return "other"


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

_INVISIBLE = "ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
_CHROME = "ancestor::nav or ancestor::header or ancestor::footer"


@lru_cache(maxsize=16)
def _selector(html: str) -> Selector:
    """Parsed once per page even though every extractor asks for it."""
    return Selector(text=html or "<html></html>")


@lru_cache(maxsize=16)
def _visible_text(html: str) -> str:
    texts = _selector(html).xpath(f"//body//text()[not({_INVISIBLE})]").getall()
    return " ".join(" ".join(texts).split())


def _content_blocks(html: str, tags: tuple[str, ...]) -> list[str]:
    """Text of the given elements outside navigation/header/footer: where lists of industries,
    customers and jobs live on real sites."""
    tag_test = " or ".join(f"self::{t}" for t in tags)
    nodes = _selector(html).xpath(f"//body//*[({tag_test}) and not({_CHROME})]")
    return [" ".join(n.xpath("normalize-space(.)").get("").split()) for n in nodes]


def _detail_heading(url: str, html: str) -> str | None:
    """The <h1> of a detail page (/industries/retail, /case-studies/acme, /careers/finance-manager):
    there the heading names the one industry, customer or job, and the rest is prose."""
    segments = _segments(urlsplit(url).path)
    if len(segments) < 2 or _segment_type(segments[-1]) is not None:
        return None
    heading = " ".join(_selector(html).xpath("normalize-space(//h1)").get("").split())
    return heading or None


def _snippet(text: str, start: int, end: int) -> str:
    """Up to SNIPPET_MAX characters of text centred on text[start:end]."""
    room = max(0, SNIPPET_MAX - (end - start)) // 2
    return text[max(0, start - room) : end + room].strip()[:SNIPPET_MAX]


def _snippet_for(text: str, phrase: str) -> str:
    at = text.lower().find(phrase.lower())
    return _snippet(text, at, at + len(phrase)) if at >= 0 else phrase[:SNIPPET_MAX]


def _evidence(signal_key: str, value: dict, url: str, page_type: str, confidence: float, snippet: str) -> Evidence:
    return {
        "signal_key": signal_key,
        "value": value,
        "url": url,
        "page_type": page_type,
        "confidence": confidence,
        "snippet": snippet[:SNIPPET_MAX],
    }


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """One record per (signal, label) per page, keeping the most confident."""
    best: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        key = (item["signal_key"], item["value"]["label"].lower())
        if key not in best or item["confidence"] > best[key]["confidence"]:
            best[key] = item
    return list(best.values())


def _word_pattern(phrase: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", 0 if case_sensitive else re.I)


# ---------------------------------------------------------------------------------------------
# technology
# ---------------------------------------------------------------------------------------------


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
    """Technologies the site runs, from what the page loads and what the server sends."""
    page_type = page_type or classify_page(url)
    sel = _selector(html)
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
                _evidence(
                    "technology",
                    {"label": fp.name, "source": source},
                    url,
                    page_type,
                    confidence,
                    f"{source}: {detail}",
                )
            )
    return found


# ---------------------------------------------------------------------------------------------
# integration
# ---------------------------------------------------------------------------------------------

# Canonical name -> spellings. Names that are ordinary English words (Square, Stripe, Segment,
# Slack, Sage) only match with their capital letter, or "square metres" would be an integration.
_INTEGRATIONS: dict[str, tuple[str, ...]] = {
    "HubSpot": ("HubSpot",),
    "Salesforce": ("Salesforce",),
    "Shopify": ("Shopify",),
    "Xero": ("Xero",),
    "Stripe": ("Stripe",),
    "Segment": ("Segment",),
    "Intercom": ("Intercom",),
    "Zendesk": ("Zendesk",),
    "Slack": ("Slack",),
    "SAP": ("SAP",),
    "NetSuite": ("NetSuite",),
    "QuickBooks": ("QuickBooks", "Quick Books"),
    "Magento": ("Magento",),
    "WooCommerce": ("WooCommerce",),
    "Marketo": ("Marketo",),
    "Square": ("Square",),
    "Microsoft Dynamics": ("Microsoft Dynamics", "Dynamics 365"),
    "Zapier": ("Zapier",),
    "Mailchimp": ("Mailchimp",),
    "Lazada": ("Lazada",),
    "Shopee": ("Shopee",),
    "Pipedrive": ("Pipedrive",),
    "Zoho": ("Zoho",),
    "MYOB": ("MYOB",),
    "Sage": ("Sage",),
    "Odoo": ("Odoo",),
    "Freshdesk": ("Freshdesk",),
    "BigCommerce": ("BigCommerce",),
    "PayPal": ("PayPal",),
    "Google Sheets": ("Google Sheets",),
    "Microsoft Teams": ("Microsoft Teams",),
}
_COMMON_WORD_NAMES = {"Square", "Stripe", "Segment", "Slack", "Sage", "SAP"}
_INTEGRATION_PATTERNS = [
    (name, _word_pattern(spelling, case_sensitive=name in _COMMON_WORD_NAMES))
    for name, spellings in _INTEGRATIONS.items()
    for spelling in spellings
]


def extract_integrations(
    url: str, html: str, headers: Headers = None, *, page_type: str | None = None
) -> list[Evidence]:
    """Products the company says it connects to; strongest on an integrations page."""
    page_type = page_type or classify_page(url)
    text = _visible_text(html)
    confidence = 0.85 if page_type == "integrations" else 0.4
    found = []
    for name, pattern in _INTEGRATION_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(
                _evidence(
                    "integration",
                    {"label": name},
                    url,
                    page_type,
                    confidence,
                    _snippet(text, match.start(), match.end()),
                )
            )
    return _dedupe(found)


# ---------------------------------------------------------------------------------------------
# industry_served and customer: list-like content on the matching page types
# ---------------------------------------------------------------------------------------------

_GENERIC_WORDS = {
    "industries",
    "industry",
    "solutions",
    "solution",
    "sectors",
    "sector",
    "serve",
    "customers",
    "customer",
    "clients",
    "client",
    "case",
    "studies",
    "study",
    "stories",
    "story",
    "our",
    "we",
    "us",
    "contact",
    "learn",
    "more",
    "read",
    "home",
    "about",
    "pricing",
    "careers",
    "blog",
    "testimonials",
    "integrations",
    "login",
    "demo",
    "get",
    "started",
    "why",
    "how",
    "what",
}
_PHRASE = re.compile(r"^[A-Za-z][A-Za-z&'’.,\- ]*$")
_SERVE_SENTENCE = re.compile(
    r"\b(?:[Ww]e serve|[Ss]erving|[Bb]uilt for|[Ii]ndustries we serve:?)\s+([a-z][a-z ,&\-]+?)(?:\.|$)"
)


def _phrase_candidates(html: str, tags: tuple[str, ...], max_words: int) -> Iterator[str]:
    for block in _content_blocks(html, tags):
        words = block.split()
        if (
            0 < len(words) <= max_words
            and _PHRASE.match(block)
            and not {w.lower().strip(".,") for w in words} & _GENERIC_WORDS
        ):
            yield block.strip(" .,")


def extract_industries(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Industries served: list items and headings of an industries/solutions page, and
    "we serve X, Y and Z" sentences anywhere."""
    page_type = page_type or classify_page(url)
    text = _visible_text(html)
    found = []
    detail = _detail_heading(url, html) if page_type == "industries" else None
    if detail and _PHRASE.match(detail) and len(detail.split()) <= 5:
        found.append(
            _evidence("industry_served", {"label": detail.lower()}, url, page_type, 0.7, _snippet_for(text, detail))
        )
    elif page_type == "industries":
        for phrase in _phrase_candidates(html, ("h2", "h3", "h4", "li"), max_words=5):
            found.append(
                _evidence("industry_served", {"label": phrase.lower()}, url, page_type, 0.7, _snippet_for(text, phrase))
            )
    for match in _SERVE_SENTENCE.finditer(text):
        for part in re.split(r",\s*|\s+and\s+|\s*&\s*", match.group(1)):
            part = part.strip()
            if part and len(part.split()) <= 4 and part not in _GENERIC_WORDS:
                found.append(
                    _evidence(
                        "industry_served",
                        {"label": part},
                        url,
                        page_type,
                        0.5,
                        _snippet(text, match.start(), match.end()),
                    )
                )
    return _dedupe(found)


def extract_customers(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Customer names from a customers/case-studies page: story headings, "Case study: X"
    headings and logo alt texts."""
    page_type = page_type or classify_page(url)
    if page_type != "customers":
        return []
    text = _visible_text(html)
    detail = _detail_heading(url, html)
    headings = [detail] if detail else _content_blocks(html, ("h2", "h3", "h4"))
    names = [re.sub(r"^(?:case study|customer story)\s*[:\-–]\s*", "", b, flags=re.I) for b in headings]
    if not detail:
        alts = _selector(html).xpath(f"//body//img[not({_CHROME})]/@alt").getall()
        names += [re.sub(r"\s+logo$", "", alt.strip(), flags=re.I) for alt in alts]
    found = []
    for name in names:
        words = name.split()
        if (
            0 < len(words) <= 6
            and name[:1].isupper()
            and _PHRASE.match(name)
            and not {w.lower().strip(".,") for w in words} & _GENERIC_WORDS
        ):
            found.append(_evidence("customer", {"label": name}, url, page_type, 0.6, _snippet_for(text, name)))
    return _dedupe(found)


# ---------------------------------------------------------------------------------------------
# buyer_title
# ---------------------------------------------------------------------------------------------

_ROLE_WORDS = {
    "manager",
    "head",
    "director",
    "engineer",
    "executive",
    "officer",
    "lead",
    "specialist",
    "analyst",
    "coordinator",
    "operator",
    "driver",
    "consultant",
    "vp",
    "svp",
    "evp",
    "president",
    "chief",
    "associate",
    "supervisor",
    "administrator",
    "developer",
    "designer",
    "accountant",
    "controller",
    "planner",
    "buyer",
    "representative",
    "technician",
    "assistant",
    "intern",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "cmo",
    "founder",
    "co-founder",
    "clerk",
    "merchandiser",
    "strategist",
    "architect",
    "scientist",
    "storekeeper",
    "picker",
    "packer",
    "chef",
    "cashier",
}
_ABBREVIATIONS = {
    "mgr": "Manager",
    "ops": "Operations",
    "sr": "Senior",
    "snr": "Senior",
    "jr": "Junior",
    "exec": "Executive",
    "dir": "Director",
    "asst": "Assistant",
    "acct": "Account",
    "mktg": "Marketing",
    "eng": "Engineering",
    "biz": "Business",
    "dev": "Development",
    "admin": "Administrator",
    "coord": "Coordinator",
    "rep": "Representative",
}
_ACRONYMS = {
    "vp",
    "svp",
    "evp",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "cmo",
    "hr",
    "it",
    "qa",
    "ui",
    "ux",
    "f&b",
    "sap",
    "apac",
    "sea",
    "b2b",
    "ecommerce",
}
_SMALL_WORDS = {"of", "and", "the", "for", "to", "in", "&", "at"}
_NOT_A_TITLE = {
    "jobs",
    "careers",
    "openings",
    "positions",
    "roles",
    "apply",
    "join",
    "vacancies",
    "benefits",
    "perks",
    "life",
    "culture",
    "contact",
    "our",
    "we",
    "you",
}
_TALK_TO_OUR = re.compile(
    r"\b(?i:talk|speak|chat|reach out|write|report(?:ing)?)\s+(?:to|with)\s+(?:our|the)\s+"
    r"((?:(?:[A-Z][\w&'.-]*|of|and|&)\s?){1,6})"
)


def normalise_title(raw: str) -> str:
    """ "sr. ops mgr" -> "Senior Operations Manager"; acronyms such as VP stay upper case."""
    words = []
    for i, token in enumerate(raw.replace("/", " / ").split()):
        key = token.lower().rstrip(".,")
        if key in _ABBREVIATIONS:
            words.append(_ABBREVIATIONS[key])
        elif key in _ACRONYMS:
            words.append(key.upper())
        elif key in _SMALL_WORDS and i > 0:
            words.append(key)
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in key.split("-")))
    return " ".join(words).replace(" / ", "/")


def _as_title(candidate: str) -> str | None:
    """The job title inside a listing line ("Finance Mgr - Singapore (Full-time)"), if any."""
    head = re.split(r"\s+[-–|•·]\s+|\s*\(|,\s", candidate)[0].strip(" .:")
    words = normalise_title(head).split()
    while words and words[-1].lower() in _SMALL_WORDS:  # "our Head of Finance and ..." ends a phrase
        words.pop()
    title = " ".join(words)
    words = [w.lower() for w in words]
    if not 0 < len(words) <= 7 or set(words) & _NOT_A_TITLE:
        return None
    if words[-1] in _ROLE_WORDS or (words[0] in _ROLE_WORDS and "of" in words):
        return title
    return None


def extract_buyer_titles(
    url: str, html: str, headers: Headers = None, *, page_type: str | None = None
) -> list[Evidence]:
    """Job titles: listings on careers pages, and "talk to our Head of Operations" anywhere."""
    page_type = page_type or classify_page(url)
    text = _visible_text(html)
    found = []
    detail = _detail_heading(url, html) if page_type == "careers" else None
    if detail:
        title = _as_title(detail)
        if title:
            found.append(_evidence("buyer_title", {"label": title}, url, page_type, 0.8, _snippet_for(text, detail)))
    elif page_type == "careers":
        for block in _content_blocks(html, ("h2", "h3", "h4", "li", "dt", "td")):
            title = _as_title(block)
            if title:
                found.append(_evidence("buyer_title", {"label": title}, url, page_type, 0.8, _snippet_for(text, block)))
    for match in _TALK_TO_OUR.finditer(text):
        title = _as_title(match.group(1))
        if title:
            found.append(
                _evidence(
                    "buyer_title", {"label": title}, url, page_type, 0.5, _snippet(text, match.start(), match.end())
                )
            )
    return _dedupe(found)


# ---------------------------------------------------------------------------------------------
# headcount
# ---------------------------------------------------------------------------------------------

_STAFF = r"(?:employees|staff|team members|full-time staff)\b"
_HEADCOUNT_TEXT = (  # most specific first: a span matched once is not matched again
    # "50-100 employees", "50 to 100 staff"
    re.compile(rf"\b(?P<min>\d[\d,]*)\s*(?:-|–|to)\s*(?P<max>\d[\d,]*)\s+{_STAFF}", re.I),
    # "200+ employees", "over 120 staff"
    re.compile(rf"\b(?P<over>over |more than )?(?P<min>\d[\d,]*)(?P<plus>\+)?\s+{_STAFF}", re.I),
    # "team of 40", "a 40-strong team"
    re.compile(r"\bteam of (?P<over>over |more than )?(?P<min>\d[\d,]*)(?P<plus>\+)?", re.I),
    re.compile(r"\b(?P<min>\d[\d,]*)(?P<plus>\+)?[- ]strong team\b", re.I),
)
_MAX_PLAUSIBLE_HEADCOUNT = 1_000_000


def _headcount_value(low: int, high: int | None) -> dict:
    label = str(low) if high == low else f"{low}+" if high is None else f"{low}-{high}"
    return {"label": label, "min": low, "max": high}


def _json_ld_objects(html: str) -> Iterator[dict]:
    for raw in _selector(html).xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            stack = [json.loads(raw)]
        except json.JSONDecodeError:
            continue
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                yield node
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))


def _as_int(raw: object) -> int | None:
    try:
        return int(str(raw).replace(",", "").strip())
    except ValueError:
        return None


def extract_headcount(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Company size from schema.org numberOfEmployees, or phrases like "team of 40" (not on
    customer pages, whose staff counts are the customers')."""
    page_type = page_type or classify_page(url)
    found = []
    for obj in _json_ld_objects(html):
        raw = obj.get("numberOfEmployees")
        if raw is None:
            continue
        if isinstance(raw, dict):
            exact = _as_int(raw.get("value"))
            low = exact if exact is not None else _as_int(raw.get("minValue"))
            high = exact if exact is not None else _as_int(raw.get("maxValue"))
        else:
            low = high = _as_int(raw)
        if low is not None and 0 < low <= _MAX_PLAUSIBLE_HEADCOUNT:
            found.append(
                _evidence(
                    "headcount",
                    _headcount_value(low, high),
                    url,
                    page_type,
                    0.9,
                    f"JSON-LD numberOfEmployees: {json.dumps(raw)}",
                )
            )
    text = _visible_text(html) if page_type != "customers" else ""
    matched: list[range] = []
    for pattern in _HEADCOUNT_TEXT:
        for match in pattern.finditer(text):
            if any(match.start() in span or match.end() - 1 in span for span in matched):
                continue
            matched.append(range(match.start(), match.end()))
            groups = match.groupdict()
            low = _as_int(groups["min"])
            if low is None or not 0 < low <= _MAX_PLAUSIBLE_HEADCOUNT:
                continue
            if groups.get("max"):
                high = _as_int(groups["max"])
            elif groups.get("plus") or groups.get("over"):
                high = None
            else:
                high = low
            found.append(
                _evidence(
                    "headcount",
                    _headcount_value(low, high),
                    url,
                    page_type,
                    0.6,
                    _snippet(text, match.start(), match.end()),
                )
            )
    return _dedupe(found)


# ---------------------------------------------------------------------------------------------
# location
# ---------------------------------------------------------------------------------------------

_SG_POSTAL = re.compile(r"\bSingapore\s*,?\s*\(?(\d{6})\)?(?!\d)")
_COUNTRIES = {
    "Singapore": "SG",
    "Malaysia": "MY",
    "Indonesia": "ID",
    "Thailand": "TH",
    "Vietnam": "VN",
    "Viet Nam": "VN",
    "Philippines": "PH",
    "Brunei": "BN",
    "Myanmar": "MM",
    "Cambodia": "KH",
    "Australia": "AU",
    "New Zealand": "NZ",
    "Hong Kong": "HK",
    "China": "CN",
    "Japan": "JP",
    "South Korea": "KR",
    "Taiwan": "TW",
    "India": "IN",
    "United Arab Emirates": "AE",
    "United States": "US",
    "USA": "US",
    "United Kingdom": "GB",
    "UK": "GB",
    "Germany": "DE",
}
_COUNTRY_PATTERNS = [(name, code, _word_pattern(name, case_sensitive=True)) for name, code in _COUNTRIES.items()]
_COUNTRY_LABELS = {"VN": "Vietnam", "US": "United States", "GB": "United Kingdom"}


def extract_locations(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Singapore postal addresses (strong: they locate the entity) and countries mentioned
    (weak: may be markets, not offices)."""
    page_type = page_type or classify_page(url)
    text = _visible_text(html)
    found = []
    for match in _SG_POSTAL.finditer(text):
        postal = match.group(1)
        found.append(
            _evidence(
                "location",
                {"label": f"Singapore {postal}", "country": "SG", "postal_code": postal},
                url,
                page_type,
                0.9,
                _snippet(text, match.start(), match.end()),
            )
        )
    located = {e["value"]["country"] for e in found}
    for name, code, pattern in _COUNTRY_PATTERNS:
        match = pattern.search(text)
        if match and code not in located:
            located.add(code)
            found.append(
                _evidence(
                    "location",
                    {"label": _COUNTRY_LABELS.get(code, name), "country": code},
                    url,
                    page_type,
                    0.4,
                    _snippet(text, match.start(), match.end()),
                )
            )
    return found


# ---------------------------------------------------------------------------------------------
# pricing
# ---------------------------------------------------------------------------------------------

_CURRENCIES = {
    "sgd": "SGD",
    "s$": "SGD",
    "usd": "USD",
    "us$": "USD",
    "eur": "EUR",
    "€": "EUR",
    "gbp": "GBP",
    "£": "GBP",
    "aud": "AUD",
    "myr": "MYR",
    "rm": "MYR",
}
_PERIODS = {"month": "month", "mo": "month", "year": "year", "yr": "year", "annum": "year"}
_PRICE = re.compile(
    r"(?:\b(?:from|starting (?:at|from)|starts at|only)\s+)?"
    r"(?P<currency>\bSGD|S\$|\bUSD|US\$|\bEUR|\bGBP|\bAUD|\bMYR|\bRM|\$|€|£)\s?"
    r"(?P<amount>\d[\d,]*(?:\.\d{1,2})?)"
    r"(?:\s*(?:/|per|a)\s*(?P<unit>user|seat|month|mo|year|yr|annum|location|warehouse)\b"
    r"(?:\s*(?:/|per|a)\s*(?P<unit2>month|mo|year|yr)\b)?)?",
    re.I,
)


def extract_pricing(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Price points on a pricing page ("From SGD 890 per month"), a hint of deal size."""
    page_type = page_type or classify_page(url)
    if page_type != "pricing":
        return []
    text = _visible_text(html)
    found = []
    for match in _PRICE.finditer(text):
        phrase = " ".join(match.group(0).split())
        value: dict = {
            "label": phrase[:1].upper() + phrase[1:],
            "amount": float(match.group("amount").replace(",", "")),
        }
        currency = _CURRENCIES.get(match.group("currency").lower())
        if currency:
            value["currency"] = currency
        units = [u.lower() for u in (match.group("unit"), match.group("unit2")) if u]
        period = next((_PERIODS[u] for u in units if u in _PERIODS), None)
        if period:
            value["period"] = period
        per = next((u for u in units if u not in _PERIODS), None)
        if per:
            value["per"] = per
        found.append(_evidence("pricing", value, url, page_type, 0.8, _snippet(text, match.start(), match.end())))
    return _dedupe(found)


# ---------------------------------------------------------------------------------------------

EXTRACTORS: tuple[Callable[..., list[Evidence]], ...] = (
    extract_technologies,
    extract_integrations,
    extract_industries,
    extract_customers,
    extract_buyer_titles,
    extract_headcount,
    extract_locations,
    extract_pricing,
)


def extract_evidence(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """All evidence on one page."""
    page_type = page_type or classify_page(url)
    return [e for extract in EXTRACTORS for e in extract(url, html, headers, page_type=page_type)]

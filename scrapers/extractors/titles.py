"""``buyer_title``: job titles, from careers listings and "talk to our Head of Operations"
anywhere; the people a vendor sells to are the roles its customers hire and name."""

from __future__ import annotations

import re

from scrapers.extractors.common import (
    Evidence,
    Headers,
    content_blocks,
    detail_heading,
    evidence,
    snippet,
    snippet_for,
    visible_text,
)
from scrapers.extractors.pages import classify_page

# The last word of a title (or the first, in "Head of X") says it is a role.
_C_SUITE = {"ceo", "cfo", "coo", "cto", "cio", "cmo"}
_ROLE_WORDS = _C_SUITE | {
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
_ACRONYMS = _C_SUITE | {
    "vp",
    "svp",
    "evp",
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
# Words of careers-page furniture ("Open positions", "Life at Acme"), never of a title.
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
    """Listings on a careers page (0.8; a job's detail page: its <h1> alone), then "talk to our
    ..." phrases (0.5): most confident first."""
    page_type = page_type or classify_page(url)
    text = visible_text(html)
    found = []
    detail = detail_heading(url, html) if page_type == "careers" else None
    if detail:
        title = _as_title(detail)
        if title:
            found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.8, snippet_for(text, detail)))
    elif page_type == "careers":
        for block in content_blocks(html, ("h2", "h3", "h4", "li", "dt", "td")):
            title = _as_title(block)
            if title:
                found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.8, snippet_for(text, block)))
    for match in _TALK_TO_OUR.finditer(text):
        title = _as_title(match.group(1))
        if title:
            found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.5, snippet(text, *match.span())))
    return found

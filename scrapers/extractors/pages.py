"""Page classification: which kind of page a URL (or the text of a link to it) is, so the spider
follows only pages that carry ICP evidence and extractors know what they are reading."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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


def path_segments(path: str) -> list[str]:
    """Lower-case path segments without their file extension (/Careers/jobs.html -> careers, jobs)."""
    return [re.sub(r"\.(html?|php|aspx?)$", "", s) for s in path.lower().split("/") if s]


def segment_type(segment: str) -> str | None:
    """The page type a whole path segment names (/careers, /case-studies), if any."""
    return next((page_type for page_type, keywords in _PAGE_TYPE_KEYWORDS.items() if segment in keywords), None)


def classify_page(url: str, link_text: str = "") -> str:
    """Page type from the URL path, falling back to the link text; ``"other"`` for pages the
    crawler should skip. Whole segments win over words inside one (/careers/customer-success-manager
    is a careers page), and the last matching segment wins (/company/careers is careers)."""
    path = urlsplit(url).path.lower().rstrip("/")
    if path in _HOME_PATHS or path + "/" in _HOME_PATHS:
        return "home"
    segments = path_segments(path)
    for segment in reversed(segments):
        if page_type := segment_type(segment):
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

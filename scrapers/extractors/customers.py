"""``customer``: the customers a company names on its customers/case-studies pages."""

from __future__ import annotations

import re

from scrapers.extractors.common import (
    CHROME,
    Evidence,
    Headers,
    content_blocks,
    detail_heading,
    evidence,
    is_name_like,
    selector,
    snippet_for,
    visible_text,
)
from scrapers.extractors.pages import classify_page

_STORY_PREFIX = re.compile(r"^(?:case study|customer story)\s*[:\-–]\s*", re.I)
_LOGO_SUFFIX = re.compile(r"\s+logo$", re.I)


def extract_customers(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Customer names from a customers page: story headings, "Case study: X" headings and logo
    alt texts (a story's detail page: its <h1> alone)."""
    page_type = page_type or classify_page(url)
    if page_type != "customers":
        return []
    text = visible_text(html)
    detail = detail_heading(url, html)
    headings = [detail] if detail else content_blocks(html, ("h2", "h3", "h4"))
    names = [_STORY_PREFIX.sub("", b) for b in headings]
    if not detail:
        alts = selector(html).xpath(f"//body//img[not({CHROME})]/@alt").getall()
        names += [_LOGO_SUFFIX.sub("", alt.strip()) for alt in alts]
    return [
        evidence("customer", {"label": name}, url, page_type, 0.6, snippet_for(text, name))
        for name in names
        if name[:1].isupper() and is_name_like(name, max_words=6)
    ]

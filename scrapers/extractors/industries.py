"""``industry_served``: the industries a company sells to, from its industries/solutions pages
and from "we serve X, Y and Z" sentences anywhere."""

from __future__ import annotations

import re

from scrapers.extractors.common import (
    GENERIC_WORDS,
    PHRASE,
    Evidence,
    Headers,
    detail_heading,
    evidence,
    phrase_candidates,
    snippet,
    snippet_for,
    visible_text,
)
from scrapers.extractors.pages import classify_page

_SERVE_SENTENCE = re.compile(
    r"\b(?:[Ww]e serve|[Ss]erving|[Bb]uilt for|[Ii]ndustries we serve:?)\s+([a-z][a-z ,&\-]+?)(?:\.|$)"
)


def extract_industries(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """List items and headings of an industries page (0.7; a detail page's <h1> alone), then
    serve sentences (0.5): most confident first."""
    page_type = page_type or classify_page(url)
    text = visible_text(html)
    found = []
    detail = detail_heading(url, html) if page_type == "industries" else None
    if detail and PHRASE.match(detail) and len(detail.split()) <= 5:
        found.append(
            evidence("industry_served", {"label": detail.lower()}, url, page_type, 0.7, snippet_for(text, detail))
        )
    elif page_type == "industries":
        for phrase in phrase_candidates(html, ("h2", "h3", "h4", "li"), max_words=5):
            found.append(
                evidence("industry_served", {"label": phrase.lower()}, url, page_type, 0.7, snippet_for(text, phrase))
            )
    for match in _SERVE_SENTENCE.finditer(text):
        for part in re.split(r",\s*|\s+and\s+|\s*&\s*", match.group(1)):
            part = part.strip()
            if part and len(part.split()) <= 4 and part not in GENERIC_WORDS:
                found.append(
                    evidence("industry_served", {"label": part}, url, page_type, 0.5, snippet(text, *match.span()))
                )
    return found

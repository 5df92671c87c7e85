"""What every extractor shares: the record shape, snippets, and the parsed page (parsed once per
page however many extractors read it)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from urllib.parse import urlsplit

from parsel import Selector

from scrapers.extractors.pages import path_segments, segment_type

Evidence = dict
Headers = Mapping[str, str] | None

SNIPPET_MAX = 200  # the database's snippet limit

_INVISIBLE = "ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
CHROME = "ancestor::nav or ancestor::header or ancestor::footer"


@lru_cache(maxsize=16)
def selector(html: str) -> Selector:
    """Parsed once per page even though every extractor asks for it."""
    return Selector(text=html or "<html></html>")


@lru_cache(maxsize=16)
def visible_text(html: str) -> str:
    texts = selector(html).xpath(f"//body//text()[not({_INVISIBLE})]").getall()
    return " ".join(" ".join(texts).split())


def content_blocks(html: str, tags: tuple[str, ...]) -> list[str]:
    """Text of the given elements outside navigation/header/footer: where lists of industries,
    customers and jobs live on real sites."""
    tag_test = " or ".join(f"self::{t}" for t in tags)
    nodes = selector(html).xpath(f"//body//*[({tag_test}) and not({CHROME})]")
    return [" ".join(n.xpath("normalize-space(.)").get("").split()) for n in nodes]


def detail_heading(url: str, html: str) -> str | None:
    """The <h1> of a detail page (/industries/retail, /case-studies/acme, /careers/finance-manager):
    there the heading names the one industry, customer or job, and the rest is prose."""
    segments = path_segments(urlsplit(url).path)
    if len(segments) < 2 or segment_type(segments[-1]) is not None:
        return None
    heading = " ".join(selector(html).xpath("normalize-space(//h1)").get("").split())
    return heading or None


def snippet(text: str, start: int, end: int) -> str:
    """Up to SNIPPET_MAX characters of text centred on text[start:end]."""
    room = max(0, SNIPPET_MAX - (end - start)) // 2
    return text[max(0, start - room) : end + room].strip()[:SNIPPET_MAX]


def snippet_for(text: str, phrase: str) -> str:
    at = text.lower().find(phrase.lower())
    return snippet(text, at, at + len(phrase)) if at >= 0 else phrase[:SNIPPET_MAX]


def evidence(signal_key: str, value: dict, url: str, page_type: str, confidence: float, excerpt: str) -> Evidence:
    """One record; ``value`` always has a normalised ``"label"``."""
    return {
        "signal_key": signal_key,
        "value": value,
        "url": url,
        "page_type": page_type,
        "confidence": confidence,
        "snippet": excerpt[:SNIPPET_MAX],
    }


def word_pattern(phrase: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", 0 if case_sensitive else re.I)


# Short list-like phrases (headings, list items) name industries or customers unless they hold
# one of these words of site furniture ("Contact us", "Our customers", "Case studies").
GENERIC_WORDS = {
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
PHRASE = re.compile(r"^[A-Za-z][A-Za-z&'’.,\- ]*$")


def is_name_like(phrase: str, max_words: int) -> bool:
    """A short phrase of letters with no site-furniture word in it."""
    words = phrase.split()
    return (
        0 < len(words) <= max_words
        and bool(PHRASE.match(phrase))
        and not {w.lower().strip(".,") for w in words} & GENERIC_WORDS
    )


def phrase_candidates(html: str, tags: tuple[str, ...], max_words: int) -> Iterator[str]:
    for block in content_blocks(html, tags):
        if is_name_like(block, max_words):
            yield block.strip(" .,")

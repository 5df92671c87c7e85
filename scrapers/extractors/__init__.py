"""Evidence extractors: pure functions from one fetched page to evidence records.

Every extractor takes ``(url, html, headers)`` (``headers`` maps lower-case header names to
strings, repeated headers joined by newlines) plus an optional ``page_type`` and returns a list of
``{"signal_key", "value", "url", "page_type", "confidence", "snippet"}`` dicts, where ``value``
always has a normalised ``"label"``. They never touch the network, so they are tested on strings
and reused outside Scrapy (for example on cached pages).

An extractor reports every sighting, most confident first for any one fact (same signal and
label): the crawl's item pipeline keeps the first record of a fact and drops the rest
(scrapers.pipelines.EvidenceDedupePipeline).
"""

from __future__ import annotations

from collections.abc import Callable

from scrapers.extractors.common import SNIPPET_MAX, Evidence, Headers
from scrapers.extractors.customers import extract_customers
from scrapers.extractors.headcount import extract_headcount
from scrapers.extractors.industries import extract_industries
from scrapers.extractors.integrations import extract_integrations
from scrapers.extractors.locations import extract_locations
from scrapers.extractors.pages import classify_page
from scrapers.extractors.pricing import extract_pricing
from scrapers.extractors.technologies import extract_technologies
from scrapers.extractors.titles import extract_buyer_titles, normalise_title

Extractor = Callable[..., list[Evidence]]

# The registry: signal key -> the extractor of that signal, in the order records are emitted.
EXTRACTORS: dict[str, Extractor] = {
    "technology": extract_technologies,
    "integration": extract_integrations,
    "industry_served": extract_industries,
    "customer": extract_customers,
    "buyer_title": extract_buyer_titles,
    "headcount": extract_headcount,
    "location": extract_locations,
    "pricing": extract_pricing,
}

__all__ = [
    "EXTRACTORS",
    "SNIPPET_MAX",
    "Evidence",
    "Extractor",
    "Headers",
    "classify_page",
    "extract_buyer_titles",
    "extract_customers",
    "extract_headcount",
    "extract_industries",
    "extract_integrations",
    "extract_locations",
    "extract_pricing",
    "extract_technologies",
    "normalise_title",
]

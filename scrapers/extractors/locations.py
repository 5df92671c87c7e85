"""``location``: where a company is, from Singapore postal addresses and the countries it names."""

from __future__ import annotations

import re

from scrapers.extractors.common import Evidence, Headers, evidence, snippet, visible_text, word_pattern
from scrapers.extractors.pages import classify_page

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
_COUNTRY_PATTERNS = [(name, code, word_pattern(name, case_sensitive=True)) for name, code in _COUNTRIES.items()]
_COUNTRY_LABELS = {"VN": "Vietnam", "US": "United States", "GB": "United Kingdom"}  # one label per code


def extract_locations(url: str, html: str, headers: Headers = None, *, page_type: str | None = None) -> list[Evidence]:
    """Singapore postal addresses (0.9: they locate the entity), then countries mentioned (0.4:
    may be markets, not offices), a country only when no address already placed it."""
    page_type = page_type or classify_page(url)
    text = visible_text(html)
    found = []
    for match in _SG_POSTAL.finditer(text):
        postal = match.group(1)
        found.append(
            evidence(
                "location",
                {"label": f"Singapore {postal}", "country": "SG", "postal_code": postal},
                url,
                page_type,
                0.9,
                snippet(text, *match.span()),
            )
        )
    located = {e["value"]["country"] for e in found}
    for name, code, pattern in _COUNTRY_PATTERNS:
        match = pattern.search(text)
        if match and code not in located:
            located.add(code)
            found.append(
                evidence(
                    "location",
                    {"label": _COUNTRY_LABELS.get(code, name), "country": code},
                    url,
                    page_type,
                    0.4,
                    snippet(text, *match.span()),
                )
            )
    return found

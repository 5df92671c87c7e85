"""``pricing``: price points on a pricing page ("From SGD 890 per month"), a hint of deal size."""

from __future__ import annotations

import re

from scrapers.extractors.common import Evidence, Headers, evidence, snippet, visible_text
from scrapers.extractors.pages import classify_page

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
    """Every price phrase on a pricing page, with amount, currency, period and unit when stated."""
    page_type = page_type or classify_page(url)
    if page_type != "pricing":
        return []
    text = visible_text(html)
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
        found.append(evidence("pricing", value, url, page_type, 0.8, snippet(text, *match.span())))
    return found

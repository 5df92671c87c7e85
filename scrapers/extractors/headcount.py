"""``headcount``: company size, from schema.org numberOfEmployees or phrases like "team of 40"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from scrapers.extractors.common import Evidence, Headers, evidence, selector, snippet, visible_text
from scrapers.extractors.pages import classify_page

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
    for raw in selector(html).xpath("//script[@type='application/ld+json']/text()").getall():
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
    """JSON-LD first (0.9), then text phrases (0.6; not on customer pages, whose staff counts are
    the customers')."""
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
                evidence(
                    "headcount",
                    _headcount_value(low, high),
                    url,
                    page_type,
                    0.9,
                    f"JSON-LD numberOfEmployees: {json.dumps(raw)}",
                )
            )
    text = visible_text(html) if page_type != "customers" else ""
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
                evidence("headcount", _headcount_value(low, high), url, page_type, 0.6, snippet(text, *match.span()))
            )
    return found

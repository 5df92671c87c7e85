"""The three record kinds the crawler emits; ``kind`` tells them apart in the JSON lines output.

Text taken from pages is tenant input of any size, so the stored pieces have length caps: a page
title TITLE_MAX characters, an evidence snippet SNIPPET_MAX and its label LABEL_MAX, applied by
scrapers.limits.LengthCapPipeline after the personal-data scrub (cutting first could leave half a
phone number the scrub no longer recognises). URLs are bounded by Scrapy's URLLENGTH_LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from scrapers.extractors.common import SNIPPET_MAX

__all__ = ["LABEL_MAX", "SNIPPET_MAX", "TITLE_MAX", "EvidenceItem", "OutcomeItem", "PageItem"]

TITLE_MAX = 300
LABEL_MAX = 200


@dataclass
class PageItem:
    """One fetched page (a row of icp.crawl_pages)."""

    kind: Literal["page"] = field(default="page", init=False)
    company_key: str
    url: str
    page_type: str
    http_status: int
    title: str | None
    content_hash: str


@dataclass
class EvidenceItem:
    """One observed fact about a company (a row of icp.icp_evidence, source "crawl")."""

    kind: Literal["evidence"] = field(default="evidence", init=False)
    company_key: str
    signal_key: str
    value: dict
    url: str
    page_type: str
    confidence: float
    snippet: str


@dataclass
class OutcomeItem:
    """How the crawl of one site went (a row of icp.crawl_outcomes)."""

    kind: Literal["outcome"] = field(default="outcome", init=False)
    company_key: str
    site_url: str
    pages_fetched: int = 0
    robots_refused: int = 0
    http_errors: int = 0
    timeouts: int = 0
    refused_by_policy: int = 0  # requests the egress policy refused (scrapers.egress)
    reduced_evidence: bool = False
    issues: dict[str, int] = field(default_factory=dict)  # e.g. {"http_403": 1, "too_large": 1}

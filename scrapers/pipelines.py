"""Item pipelines: the last gates before output. Every string of every item is scrubbed of personal
data, email addresses and phone numbers (bodies, URLs and headers were already scrubbed on
download; this is the second gate), then evidence is de-duplicated, so the crawl's output holds
each fact once."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from scrapers.extractors import SNIPPET_MAX
from scrapers.items import EvidenceItem
from scrapers.pii import scrub

logger = logging.getLogger(__name__)


class PiiScrubPipeline:
    """Remove email addresses and phone numbers from every field (scrapers.pii.scrub: URLs as URLs);
    keep snippets within the database limit."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in adapter.field_names():
            if name in adapter:
                adapter[name] = scrub(adapter[name])
        if "snippet" in adapter:
            adapter["snippet"] = adapter["snippet"][:SNIPPET_MAX]
        return item


class EvidenceDedupePipeline:
    """One evidence record per (company, signal, label in any letter case, page URL): a fact seen
    twice on a page (two spellings of one integration, an address in the body and the footer, a
    page reached through two redirects) is one fact. Extractors list a fact's most confident
    sighting first, so keeping the first record keeps the most confident. Runs after the scrub,
    on the values that are stored."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, str, str], float] = {}  # fact -> confidence of its record
        self.dropped = 0

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, EvidenceItem):
            return item
        key = (item.company_key, item.signal_key, item.value["label"].lower(), item.url)
        if key not in self.kept:
            self.kept[key] = item.confidence
            return item
        self.dropped += 1
        if item.confidence > self.kept[key]:  # an extractor broke its ordering: say so, keep going
            logger.warning("%s: %s %r found again at higher confidence %s", item.url, *key[1:3], item.confidence)
        raise DropItem(f"duplicate evidence {key}", log_level="DEBUG")

    def close_spider(self) -> None:
        logger.info("Evidence de-duplicated: %d records kept, %d duplicates dropped", len(self.kept), self.dropped)

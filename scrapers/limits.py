"""Length caps on the text a crawl stores (scrapers.items: TITLE_MAX, SNIPPET_MAX, LABEL_MAX).

An item pipeline placed after the personal-data scrub, so what is cut is already scrubbed text."""

from __future__ import annotations

from typing import Any

from scrapers.items import LABEL_MAX, SNIPPET_MAX, TITLE_MAX, EvidenceItem, PageItem


class LengthCapPipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem) and item.title is not None:
            item.title = item.title[:TITLE_MAX]
        elif isinstance(item, EvidenceItem):
            item.snippet = (item.snippet or "")[:SNIPPET_MAX]
            label = item.value.get("label")
            if isinstance(label, str) and len(label) > LABEL_MAX:
                item.value = {**item.value, "label": label[:LABEL_MAX]}
        return item

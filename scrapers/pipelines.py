"""Item pipelines: the last gate before output. Every string of every item is scrubbed of email
addresses (bodies were already scrubbed on download; headers, URLs and JSON-LD get it here)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from scrapers.extractors import SNIPPET_MAX
from scrapers.pii import scrub


class PiiScrubPipeline:
    """Remove email addresses from every field; keep snippets within the database limit."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in adapter.field_names():
            if name in adapter:
                adapter[name] = scrub(adapter[name])
        if "snippet" in adapter:
            adapter["snippet"] = adapter["snippet"][:SNIPPET_MAX]
        return item

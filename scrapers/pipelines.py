"""Item pipelines. The product promises that no personal email address is collected, so every
string of every item is scrubbed before it reaches the output (feed exports write JSON lines)."""

from __future__ import annotations

import re
from typing import Any

from itemadapter import ItemAdapter

from scrapers.extractors import SNIPPET_MAX

# Role addresses (sales@, info@) go too: telling them from personal ones reliably is not worth
# the risk. "name [at] domain [dot] com" obfuscation counts as an address, and so does an address
# cut short by a snippet boundary ("john.tan@b"): anything with a local part before an "@".
_PLAIN_EMAIL = re.compile(r"[\w.+'-]+@[\w.-]*")
_OBFUSCATED_EMAIL = re.compile(
    r"[\w.+'-]+\s*(?:\[at\]|\(at\))\s*[\w-]+(?:(?:\.|\s*\[dot\]\s*|\s*\(dot\)\s*)[\w-]+)+", re.I
)


def scrub_emails(text: str) -> str:
    """Text with email addresses removed and the leftover whitespace tidied."""
    text = _PLAIN_EMAIL.sub("", _OBFUSCATED_EMAIL.sub("", text))
    return re.sub(r"\s{2,}", " ", text).strip()


def scrub(value: Any) -> Any:
    """Scrub every string inside a JSON-able value."""
    if isinstance(value, str):
        return scrub_emails(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


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

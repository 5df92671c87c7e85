"""Personal data scrubbing. The product promises that no personal email address is collected, so
page bodies are scrubbed as they are downloaded (before the HTTP cache stores them) and every item
field again before output.

Role addresses (sales@, info@) go too: telling them from personal ones reliably is not worth the
risk. "name [at] domain [dot] com" obfuscation counts as an address, and so does an address cut
short by a snippet boundary ("john.tan@b"): anything with a local part before an "@". Local parts
are bounded (64 characters, as in RFC 5321) so a long run of word characters cannot make the
scan quadratic.
"""

from __future__ import annotations

import re
from typing import Any

_PLAIN_EMAIL = re.compile(r"[\w.+'-]{1,64}@[\w.-]{0,255}")
_OBFUSCATED_EMAIL = re.compile(
    r"[\w.+'-]{1,64}\s*(?:\[at\]|\(at\))\s*[\w-]+(?:(?:\.|\s*\[dot\]\s*|\s*\(dot\)\s*)[\w-]+)+", re.I
)
_AT_MARK = re.compile(r"[\[(]at[\])]", re.I)  # cheap test before the obfuscation pattern
_PLAIN_EMAIL_BYTES = re.compile(rb"[\w.+'-]{1,64}@[\w.-]{0,255}")
_OBFUSCATED_EMAIL_BYTES = re.compile(_OBFUSCATED_EMAIL.pattern.encode(), re.I)


def remove_emails(text: str) -> str:
    """Text with every email address cut out, nothing else changed (page bodies)."""
    if "@" in text:
        text = _PLAIN_EMAIL.sub("", text)
    if _AT_MARK.search(text):
        text = _OBFUSCATED_EMAIL.sub("", text)
    return text


def remove_emails_bytes(body: bytes) -> bytes:
    """``remove_emails`` for bodies that are not text (PDFs, feeds without a charset)."""
    return _OBFUSCATED_EMAIL_BYTES.sub(b"", _PLAIN_EMAIL_BYTES.sub(b"", body))


def scrub_emails(text: str) -> str:
    """Text with email addresses removed and the leftover whitespace tidied (item fields)."""
    return re.sub(r"\s{2,}", " ", remove_emails(text)).strip()


def scrub(value: Any) -> Any:
    """Scrub every string inside a JSON-able value."""
    if isinstance(value, str):
        return scrub_emails(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value

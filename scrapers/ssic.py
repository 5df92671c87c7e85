"""Industries served -> SSIC codes through SingStat's alphabetical index (registry.ssic_index).

A page says "seafood wholesale", the index says "Wholesale of seafood": both reduce to the same
set of content words, which is the lookup key. Without an index loaded, nothing is mapped.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

_STOP_WORDS = {"of", "and", "the", "for", "in", "on", "to", "a", "an", "n.e.c", "nec", "other", "including"}


def phrase_key(phrase: str) -> frozenset[str]:
    """Content words, lower case, plural "s" dropped: "Wholesale of seafoods" == "seafood wholesale"."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", phrase.lower())
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words if w not in _STOP_WORDS
    )


class SsicIndex:
    """Lookup from an industry phrase to one SSIC code; among several, the code the most index
    phrases with that key point to, then the lowest."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        votes: dict[frozenset[str], Counter[str]] = defaultdict(Counter)
        for phrase, code in pairs:
            key = phrase_key(phrase)
            if key:
                votes[key][code] += 1
        self._codes = {key: min(c, key=lambda code: (-c[code], code)) for key, c in votes.items()}

    def __len__(self) -> int:
        return len(self._codes)

    def code_for(self, phrase: str) -> str | None:
        return self._codes.get(phrase_key(phrase))


def with_ssic(evidence: Iterable[dict], index: SsicIndex) -> list[dict]:
    """Evidence with ``value["ssic_code"]`` added to each industry_served item the index knows."""
    mapped = []
    for item in evidence:
        code = index.code_for(item["value"]["label"]) if item["signal_key"] == "industry_served" else None
        mapped.append({**item, "value": {**item["value"], "ssic_code": code}} if code else item)
    return mapped

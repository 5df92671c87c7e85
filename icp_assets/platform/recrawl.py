"""The re-crawl period, read from the environment in this one place.

``ICP_RECRAWL_DAYS`` (default 7) is how long a fetched page stays good: the shared crawl cache
serves a page fetched within it instead of fetching it again, and evidence older than it is what a
refresh re-crawls.
"""

from __future__ import annotations

import os

DEFAULT_RECRAWL_DAYS = 7
MAX_RECRAWL_DAYS = 365


def recrawl_days() -> int:
    """``ICP_RECRAWL_DAYS``, a whole number of days from 1 to MAX_RECRAWL_DAYS; raises ValueError otherwise."""
    value = os.environ.get("ICP_RECRAWL_DAYS", "").strip()
    if not value:
        return DEFAULT_RECRAWL_DAYS
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_RECRAWL_DAYS:
        return int(value)
    raise ValueError(f"ICP_RECRAWL_DAYS must be a whole number of days from 1 to {MAX_RECRAWL_DAYS}, not {value!r}")

"""What every command shares: exit codes and the argparse types of common options."""

from __future__ import annotations

import argparse
import math

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
MAX_PAGE_CAP, MAX_DELAY_S = 1000, 60.0


def tenant_id(value: str) -> str:
    """argparse type of every --tenant: the id intakes are stored under, or a usage error (exit 2)."""
    from icp_assets.domain.intake import TENANT_ID, TENANT_RULE

    if not TENANT_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} {TENANT_RULE}")
    return value


def sample_size(value: str) -> int:
    """argparse type of --sample: a whole number, 0 or more (a huge one is capped when sizing)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: the sample size must be 0 or more")
    return number


def page_cap(value: str) -> int:
    """argparse type of --page-cap: a whole number of pages, 1 to MAX_PAGE_CAP."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PAGE_CAP:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number from 1 to {MAX_PAGE_CAP}")
    return number


def delay_seconds(value: str) -> float:
    """argparse type of --delay: a finite number of seconds, 0 to MAX_DELAY_S (nan and inf refused)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and 0 <= number <= MAX_DELAY_S):
        raise argparse.ArgumentTypeError(f"{value!r} must be a number of seconds from 0 to {MAX_DELAY_S:g}")
    return number

"""`icp resolve`: match a CSV of seeds (name, optional domain) against the loaded registry."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TextIO

from icp_assets.domain.matching.matcher import Matcher

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("name", "domain", "uen", "entity_name", "score", "method", "status", "candidates")


class ResolveInputError(ValueError):
    """The input is not a seeds CSV (no header, no `name` column)."""


def read_seeds(handle: TextIO) -> Iterator[tuple[str, str | None]]:
    """(name, domain) per row, by header name; blank domains are None."""
    reader = csv.DictReader(handle)
    header = [h.strip().lstrip("\ufeff").lower() for h in reader.fieldnames or ()]
    if "name" not in header:
        raise ResolveInputError(f"the input needs a `name` column; header is {reader.fieldnames or 'empty'}")
    reader.fieldnames = header
    for row in reader:
        yield (row.get("name") or "").strip(), (row.get("domain") or "").strip() or None


def resolve_rows(matcher: Matcher, seeds: Iterable[tuple[str, str | None]]) -> Iterator[dict[str, str]]:
    """One output row per seed, in input order."""
    for name, domain in seeds:
        result = matcher.match(name, domain)
        yield {
            "name": name,
            "domain": domain or "",
            "uen": result.uen or "",
            "entity_name": result.entity_name or "",
            "score": f"{result.score:.4f}",
            "method": result.method or "",
            "status": result.status,
            "candidates": json.dumps(result.candidates),
        }


def resolve_csv(matcher: Matcher, input_path: Path, output_path: Path) -> dict[str, int]:
    """Write the matches CSV; returns counts per status. Raises ResolveInputError on bad input."""
    counts = {"matched": 0, "ambiguous": 0, "unmatched": 0}
    with open(input_path, newline="", encoding="utf-8-sig") as source:
        seeds = read_seeds(source)
        first = next(seeds, None)  # validates the header before the output is created
        with open(output_path, "w", newline="", encoding="utf-8") as target:
            writer = csv.DictWriter(target, fieldnames=OUTPUT_COLUMNS)
            writer.writeheader()
            rows = chain([first], seeds) if first is not None else ()
            for row in resolve_rows(matcher, rows):
                counts[row["status"]] += 1
                writer.writerow(row)
    log.info("resolve: %s -> %s %s", input_path, output_path, counts)
    return counts

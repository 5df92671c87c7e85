"""ACRA "Information on Corporate Entities" CSVs (data.gov.sg layout) into registry.acra_entities.

Idempotent (upserts keyed by UEN), so the asset can be re-materialised at any time, and streamed,
so a full 2M-row release never has to fit in memory.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

FORMER_NAME_COLUMNS: tuple[str, ...] = tuple(f"former_entity_name{i}" for i in range(1, 16))

# data.gov.sg "ACRA Information on Corporate Entities" columns, as registry.acra_entities names them.
ACRA_COLUMNS: tuple[str, ...] = (
    "uen",
    "issuance_agency_id",
    "entity_name",
    "entity_type_description",
    "business_constitution_description",
    "company_type_description",
    "paf_constitution_description",
    "entity_status_description",
    "registration_incorporation_date",
    "uen_issue_date",
    "address_type",
    "block",
    "street_name",
    "level_no",
    "unit_no",
    "building_name",
    "postal_code",
    "other_address_line1",
    "other_address_line2",
    "account_due_date",
    "annual_return_date",
    "primary_ssic_code",
    "primary_ssic_description",
    "primary_user_described_activity",
    "secondary_ssic_code",
    "secondary_ssic_description",
    "secondary_user_described_activity",
    "no_of_officers",
    *FORMER_NAME_COLUMNS,
)

_DATE_COLUMNS = frozenset(
    {"registration_incorporation_date", "uen_issue_date", "account_due_date", "annual_return_date"}
)
_SSIC_COLUMNS = frozenset({"primary_ssic_code", "secondary_ssic_code"})
_NULL_TOKENS = frozenset({"", "na", "n/a", "nil", "null", "none", "-"})
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y")
_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class LoadStats:
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    skipped: int = 0  # rows without a UEN or an entity name


# --- cleaning -----------------------------------------------------------------------------


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _NULL_TOKENS else value


def _zero_padded(value: str | None, width: int) -> str | None:
    """A code of ``width`` digits, restoring the leading zeros a spreadsheet dropped; else unknown."""
    value = _blank(value)
    if value is None:
        return None
    value = re.sub(r"\.0+$", "", value)
    return value.zfill(width) if value.isdigit() and len(value) <= width else None


def clean_ssic(value: str | None) -> str | None:
    """A 5-character SSIC code ("1111" -> "01111")."""
    return _zero_padded(value, 5)


def clean_postal_code(value: str | None) -> str | None:
    """A 6-digit Singapore postal code ("18956" -> "018956")."""
    return _zero_padded(value, 6)


def parse_date(value: str | None) -> date | None:
    """Dates appear as ISO, d/m/Y or compact forms across releases; unparseable means unknown."""
    value = _blank(value)
    if value is None:
        return None
    value = value.split("T")[0].split(" 00:00")[0]
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return parsed if 1800 <= parsed.year <= 2200 else None
    return None


def _parse_int(value: str | None) -> int | None:
    value = _blank(value)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")


def clean_acra_row(raw: dict[str, str | None]) -> tuple | None:
    """One CSV row (keyed by normalised header) as a tuple in ACRA_COLUMNS order, or None to skip."""
    row = []
    for column in ACRA_COLUMNS:
        value = raw.get(column)
        if column in _DATE_COLUMNS:
            row.append(parse_date(value))
        elif column in _SSIC_COLUMNS:
            row.append(clean_ssic(value))
        elif column == "postal_code":
            row.append(clean_postal_code(value))
        elif column == "no_of_officers":
            row.append(_parse_int(value))
        elif column == "uen":
            row.append((_blank(value) or "").upper() or None)
        else:
            row.append(_blank(value))
    if row[0] is None or row[ACRA_COLUMNS.index("entity_name")] is None:
        return None
    return tuple(row)


def _read_acra_csv(path: Path) -> Iterator[dict[str, str | None]]:
    """Rows keyed by normalised header; columns the table lacks are simply never read."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        keys = [_header_key(h) for h in header]
        unknown = sorted(set(keys) - set(ACRA_COLUMNS))
        missing = sorted(set(ACRA_COLUMNS) - set(keys))
        if unknown or missing:
            log.debug("%s: ignoring columns %s; missing columns %s", path.name, unknown, missing)
        for values in reader:
            if values:
                yield dict(zip(keys, values, strict=False))


# --- ACRA entities --------------------------------------------------------------------------

_STAGE = sql.Identifier("acra_stage")
_COLS = sql.SQL(", ").join(sql.Identifier(c) for c in ACRA_COLUMNS)
_NON_KEY = [c for c in ACRA_COLUMNS if c != "uen"]

_UPSERT = sql.SQL(
    """
    insert into registry.acra_entities ({cols})
    select distinct on (uen) {cols} from {stage} order by uen, seq desc
    on conflict (uen) do update set {assignments}, loaded_at = now()
    where ({current}) is distinct from ({incoming})
    returning (xmax = 0) as inserted
    """
).format(
    cols=_COLS,
    stage=_STAGE,
    assignments=sql.SQL(", ").join(sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    current=sql.SQL(", ").join(sql.SQL("registry.acra_entities.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    incoming=sql.SQL(", ").join(sql.SQL("excluded.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
)


def _flush(conn: psycopg.Connection, rows: list[tuple]) -> tuple[int, int, int]:
    """COPY one chunk into the stage table and upsert it: (inserted, updated, unchanged)."""
    conn.execute(sql.SQL("truncate {}").format(_STAGE))
    with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(_STAGE, _COLS)) as copy:
        for row in rows:
            copy.write_row(row)
    distinct = conn.execute(sql.SQL("select count(distinct uen) from {}").format(_STAGE)).fetchone()[0]
    flags = [r[0] for r in conn.execute(_UPSERT).fetchall()]
    inserted = sum(flags)
    updated = len(flags) - inserted
    return inserted, updated, distinct - inserted - updated


def load_acra_csvs(url: str, paths: Iterable[Path], progress: Callable[[int], None] | None = None) -> LoadStats:
    """Upsert ACRA CSVs into registry.acra_entities in one transaction; a rerun changes nothing.

    Rows stream through a temp table in chunks of 50k, so memory stays flat for any file size.
    A UEN repeated within a chunk keeps its last row. ``progress`` receives rows read so far.
    """
    rows_read = skipped = inserted = updated = unchanged = 0
    with psycopg.connect(url) as conn:
        conn.execute(
            sql.SQL(
                "create temp table {} (like registry.acra_entities including defaults, seq bigserial) on commit drop"
            ).format(_STAGE)
        )
        chunk: list[tuple] = []

        def flush() -> None:
            nonlocal inserted, updated, unchanged
            ins, upd, same = _flush(conn, chunk)
            inserted, updated, unchanged = inserted + ins, updated + upd, unchanged + same
            chunk.clear()
            if progress:
                progress(rows_read)

        for path in paths:
            for raw in _read_acra_csv(Path(path)):
                rows_read += 1
                row = clean_acra_row(raw)
                if row is None:
                    skipped += 1
                    continue
                chunk.append(row)
                if len(chunk) >= _CHUNK_ROWS:
                    flush()
        if chunk:
            flush()
    stats = LoadStats(rows_read, inserted, updated, unchanged, skipped)
    log.info("ACRA load: %s", stats)
    return stats

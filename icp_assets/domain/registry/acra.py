"""ACRA "Information on Corporate Entities" CSVs (data.gov.sg layout) into registry.acra_entities.

Idempotent (upserts keyed by UEN), so the asset can be re-materialised at any time, and streamed,
so a full 2M-row release never has to fit in memory.

A full release: data.gov.sg publishes the entity list as many CSVs (one per first letter, and
"Others"), so one file is never the whole registry. Only a load declared a full release (the
ICP_ACRA_DIR folder, or `icp registry load --full-release`) marks the entities its files do not list
as delisted (`delisted_at`; the row stays), and it refuses, unless told otherwise, to delist more
than MAX_DELISTED_SHARE of the listed entities, or more than MAX_DELISTED_LETTER_SHARE of those whose
names start with one letter (one file's worth, however small): either means a file of the release is
missing. A row the loader skips (a UEN without a usable name) still counts as listed.
"""

from __future__ import annotations

import csv
import hashlib
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
# Columns an ACRA file must have: without them a row cannot be stored, so the file is not one.
REQUIRED_COLUMNS = ("uen", "entity_name")
# Columns of registry.acra_entities the loader derives rather than reads from a CSV.
DERIVED_COLUMNS = ("loaded_at", "delisted_at", "current_status")
# A full release delisting more than this share of the listed entities is refused (unless allowed):
# the registry loses well under 1% a month, a missing letter file is 1-10% of it.
MAX_DELISTED_SHARE = 0.05
# ... or more than this share of the entities under one first letter (one file of the release), once
# that letter has at least MIN_LETTER_ENTITIES listed: a small file missing is caught too.
MAX_DELISTED_LETTER_SHARE = 0.5
MIN_LETTER_ENTITIES = 20
# Serialises ACRA loads (CLI, sensor run, UI): the delisting step must see one release at a time.
_LOAD_LOCK = "icp-registry-acra-load"


class RegistryFileError(ValueError):
    """A registry file that cannot be loaded as given (not the layout, unreadable, malformed)."""


class DelistingRefused(RegistryFileError):
    """A full release that would delist an implausible share of the listed entities."""


@dataclass(frozen=True)
class LoadStats:
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    skipped: int = 0  # rows without a UEN or an entity name
    delisted: int = 0  # listed entities a full release no longer lists


# --- cleaning -----------------------------------------------------------------------------


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\x00", "").strip()  # a NUL is damage, and PostgreSQL text cannot hold one
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


def _header(path: Path, reader: Iterator[list[str]]) -> list[str]:
    """The file's normalised header, or RegistryFileError when it is not an ACRA entities CSV."""
    header = next(reader, None)
    if not header:
        raise RegistryFileError(f"{path}: empty file, expected an ACRA entities CSV")
    keys = [_header_key(h) for h in header]
    absent = [column for column in REQUIRED_COLUMNS if column not in keys]
    if absent:
        raise RegistryFileError(
            f"{path}: not an ACRA entities CSV: its header lacks {' and '.join(absent)}"
            " (data.gov.sg's files start with uen, issuance_agency_id, entity_name, ...)"
        )
    return keys


def _read_acra_csv(path: Path) -> Iterator[dict[str, str | None]]:
    """Rows keyed by normalised header; columns the table lacks are simply never read."""
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle)
            keys = _header(path, reader)
            unknown = sorted(set(keys) - set(ACRA_COLUMNS))
            missing = sorted(set(ACRA_COLUMNS) - set(keys))
            if unknown or missing:
                log.debug("%s: ignoring columns %s; missing columns %s", path.name, unknown, missing)
            for values in reader:
                if values:
                    yield dict(zip(keys, values, strict=False))
    except csv.Error as err:
        raise RegistryFileError(f"{path}: malformed CSV near line {reader.line_num}: {err}") from err
    except OSError as err:
        raise RegistryFileError(f"{path}: cannot read: {err.strerror or err}") from err


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Names a set of files by absolute path, size and modification time: a file added, removed,
    replaced or rewritten changes it (what the registry sensor watches and a load records)."""
    entries = []
    for path in map(Path, paths):
        stat = path.stat()
        entries.append(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]


def check_acra_csv(path: Path) -> None:
    """Raise RegistryFileError unless the file reads as an ACRA entities CSV (its header is checked,
    so a wrong file is refused before anything is written)."""
    rows = _read_acra_csv(Path(path))
    try:
        next(rows, None)
    finally:
        rows.close()


# --- ACRA entities --------------------------------------------------------------------------

_STAGE = sql.Identifier("acra_stage")
_COLS = sql.SQL(", ").join(sql.Identifier(c) for c in ACRA_COLUMNS)
_NON_KEY = [c for c in ACRA_COLUMNS if c != "uen"]

_RELEASE = sql.Identifier("acra_release")

# A listed entity (delisted_at null) whose row is unchanged is left alone, so loaded_at moves only
# when something changed; an entity listed again after being delisted is listed once more.
_UPSERT = sql.SQL(
    """
    insert into registry.acra_entities ({cols})
    select distinct on (uen) {cols} from {stage} order by uen, seq desc
    on conflict (uen) do update set {assignments}, delisted_at = null, loaded_at = now()
    where ({current}) is distinct from ({incoming}) or registry.acra_entities.delisted_at is not null
    returning (xmax = 0) as inserted
    """
).format(
    cols=_COLS,
    stage=_STAGE,
    assignments=sql.SQL(", ").join(sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    current=sql.SQL(", ").join(sql.SQL("registry.acra_entities.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    incoming=sql.SQL(", ").join(sql.SQL("excluded.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
)

_NOT_IN_RELEASE = sql.SQL(
    "from registry.acra_entities e where e.delisted_at is null"
    " and not exists (select 1 from {release} r where r.uen = e.uen)"
).format(release=_RELEASE)


def _flush(conn: psycopg.Connection, rows: list[tuple], full_release: bool) -> tuple[int, int, int]:
    """COPY one chunk into the stage table and upsert it: (inserted, updated, unchanged).
    In a full release, the chunk's UENs are also remembered as listed."""
    conn.execute(sql.SQL("truncate {}").format(_STAGE))
    with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(_STAGE, _COLS)) as copy:
        for row in rows:
            copy.write_row(row)
    distinct = conn.execute(sql.SQL("select count(distinct uen) from {}").format(_STAGE)).fetchone()[0]
    flags = [r[0] for r in conn.execute(_UPSERT).fetchall()]
    if full_release:
        conn.execute(
            sql.SQL("insert into {} select distinct uen from {} on conflict do nothing").format(_RELEASE, _STAGE)
        )
    inserted = sum(flags)
    updated = len(flags) - inserted
    return inserted, updated, distinct - inserted - updated


_LETTER = sql.SQL(
    "case when upper(left(e.entity_name, 1)) between 'A' and 'Z' then upper(left(e.entity_name, 1)) else 'Others' end"
)
_ALLOW_HINT = (
    " is a file of the release missing? Nothing was loaded; to delist them anyway:"
    " `icp registry load --full-release --allow-mass-delisting` (or acra_entities' allow_mass_delisting)"
)


def _delist_missing(conn: psycopg.Connection, listed_before: int, max_share: float | None) -> int:
    """Mark the listed entities this full release does not list as delisted; returns how many.

    Raises DelistingRefused (the transaction then rolls back) when they are more than ``max_share``
    of the ``listed_before`` entities listed before the load, or more than MAX_DELISTED_LETTER_SHARE
    of the listed entities under one first letter (data.gov.sg's one file per letter); ``max_share``
    None allows any share.
    """
    by_letter = conn.execute(
        sql.SQL(
            "select {letter}, count(*), count(*) filter (where not exists"
            " (select 1 from {release} r where r.uen = e.uen))"
            " from registry.acra_entities e where e.delisted_at is null group by 1 order by 1"
        ).format(letter=_LETTER, release=_RELEASE)
    ).fetchall()
    missing = sum(gone for _, _, gone in by_letter)
    if max_share is not None and missing > max_share * listed_before:
        raise DelistingRefused(
            f"this full release does not list {missing:,} of the {listed_before:,} listed entities"
            f" ({missing / listed_before:.0%}, more than the {max_share:.0%} a release plausibly drops):" + _ALLOW_HINT
        )
    if max_share is not None:
        for letter, listed, gone in by_letter:
            if listed >= MIN_LETTER_ENTITIES and gone > MAX_DELISTED_LETTER_SHARE * listed:
                raise DelistingRefused(
                    f"this full release does not list {gone:,} of the {listed:,} listed entities whose names"
                    f" start with {letter!r} ({gone / listed:.0%}, more than {MAX_DELISTED_LETTER_SHARE:.0%}"
                    " of one letter's file):" + _ALLOW_HINT
                )
    if missing:
        conn.execute(
            sql.SQL(
                "update registry.acra_entities set delisted_at = now(), loaded_at = now()"
                " where uen in (select e.uen {})"
            ).format(_NOT_IN_RELEASE)
        )
    return missing


def load_acra_csvs(
    url: str,
    paths: Iterable[Path],
    progress: Callable[[int], None] | None = None,
    full_release: bool = False,
    max_delisted_share: float | None = MAX_DELISTED_SHARE,
) -> LoadStats:
    """Upsert ACRA CSVs into registry.acra_entities in one transaction; a rerun changes nothing.

    Rows stream through a temp table in chunks of 50k, so memory stays flat for any file size.
    A UEN repeated within a chunk keeps its last row. ``progress`` receives rows read so far.
    With ``full_release`` the files are the whole registry: listed entities they do not list are
    marked delisted, unless more than ``max_delisted_share`` of them would be (None: no limit).
    A bad file raises RegistryFileError and leaves the table as it was.
    """
    rows_read = skipped = inserted = updated = unchanged = delisted = 0
    with psycopg.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOAD_LOCK,))
        listed_before = conn.execute(
            "select count(*) from registry.acra_entities where delisted_at is null"
        ).fetchone()[0]
        conn.execute(
            sql.SQL(
                "create temp table {} (like registry.acra_entities including defaults, seq bigserial) on commit drop"
            ).format(_STAGE)
        )
        if full_release:
            conn.execute(sql.SQL("create temp table {} (uen text primary key) on commit drop").format(_RELEASE))
        chunk: list[tuple] = []

        def flush() -> None:
            nonlocal inserted, updated, unchanged
            ins, upd, same = _flush(conn, chunk, full_release)
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
                    uen = (_blank(raw.get("uen")) or "").upper()
                    if full_release and uen:  # listed, though not loadable: not to be delisted
                        conn.execute(
                            sql.SQL("insert into {} values (%s) on conflict do nothing").format(_RELEASE), (uen,)
                        )
                    continue
                chunk.append(row)
                if len(chunk) >= _CHUNK_ROWS:
                    flush()
        if chunk:
            flush()
        if full_release:
            delisted = _delist_missing(conn, listed_before, max_delisted_share)
    stats = LoadStats(rows_read, inserted, updated, unchanged, skipped, delisted)
    log.info("ACRA load (full_release=%s): %s", full_release, stats)
    return stats

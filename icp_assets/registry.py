"""Loaders for the public registry: ACRA corporate entities and the SingStat SSIC 2020 files.

Everything here is idempotent (upserts keyed by UEN / code / phrase) so an asset can be
re-materialised at any time, and streams its input so a full 2M-row ACRA release never has
to fit in memory.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import psycopg
from psycopg import sql

from icp_assets.demo.catalog import DEMO_SSIC_TITLES
from icp_assets.matching import INDEX_FORMAT, MatchIndex, RegistryEntity

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


def clean_ssic(value: str | None) -> str | None:
    """A 5-character SSIC code, restoring zeros a spreadsheet dropped ("1111" -> "01111")."""
    value = _blank(value)
    if value is None:
        return None
    value = re.sub(r"\.0+$", "", value)
    return value.zfill(5) if value.isdigit() and len(value) <= 5 else None


def clean_postal_code(value: str | None) -> str | None:
    """A 6-digit Singapore postal code ("18956" -> "018956"); anything else is unknown."""
    value = _blank(value)
    if value is None:
        return None
    value = re.sub(r"\.0+$", "", value)
    return value.zfill(6) if value.isdigit() and len(value) <= 6 else None


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


def fetch_registry_entities(url: str, batch_size: int = 10_000) -> Iterator[RegistryEntity]:
    """Stream every entity (name, status, former names) for building a Matcher."""
    query = sql.SQL("select uen, entity_name, entity_status_description, {} from registry.acra_entities").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in FORMER_NAME_COLUMNS)
    )
    with psycopg.connect(url) as conn:
        with conn.cursor(name="registry_entities") as cursor:
            cursor.itersize = batch_size
            cursor.execute(query)
            for uen, name, status, *former in cursor:
                yield RegistryEntity(uen, name, status, tuple(f for f in former if f))


def registry_version(url: str) -> str:
    """Names the registry's current content: every load that inserts or updates a row moves
    max(loaded_at), so the same version means the same names (and the same match index)."""
    with psycopg.connect(url) as conn:
        count, latest = conn.execute("select count(*), max(loaded_at) from registry.acra_entities").fetchone()
    digest = hashlib.sha256(f"{INDEX_FORMAT}|{count}|{latest.isoformat() if latest else ''}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class IndexInfo:
    path: Path
    version: str
    built: bool  # False when an index saved for this version was reused
    seconds: float


def load_match_index(url: str, folder: Path) -> tuple[MatchIndex, IndexInfo]:
    """The match index for the registry's current version: the saved one, or built and saved.

    Files of other versions in ``folder`` are removed once a new one is saved.
    """
    started = time.perf_counter()
    version = registry_version(url)
    path = Path(folder) / f"match-index-{version}.npz"
    if path.exists():
        try:
            index = MatchIndex.load(path)
        except (OSError, ValueError) as err:  # truncated or from another format: rebuild
            log.warning("match index %s unreadable (%s); rebuilding", path, err)
        else:
            log.info("match index %s loaded: %d entities", version, len(index))
            return index, IndexInfo(path, version, False, time.perf_counter() - started)
    index = MatchIndex.build(fetch_registry_entities(url))
    index.save(path)
    for stale in Path(folder).glob("match-index-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    log.info("match index %s built and saved: %d entities, %d bytes", version, len(index), path.stat().st_size)
    return index, IndexInfo(path, version, True, time.perf_counter() - started)


# --- SSIC 2020 ------------------------------------------------------------------------------

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}

# Parents of the demo subclasses, titles as in SingStat's ssic2020-classification-structure.xlsx.
DEMO_SSIC_PARENT_TITLES: dict[str, str] = {
    "G": "WHOLESALE AND RETAIL TRADE",
    "H": "TRANSPORTATION AND STORAGE",
    "I": "ACCOMMODATION AND FOOD SERVICE ACTIVITIES",
    "J": "INFORMATION AND COMMUNICATIONS",
    "M": "PROFESSIONAL, SCIENTIFIC AND TECHNICAL ACTIVITIES",
    "46": "WHOLESALE TRADE",
    "47": "RETAIL TRADE",
    "52": "WAREHOUSING AND SUPPORT ACTIVITIES FOR TRANSPORTATION",
    "56": "FOOD AND BEVERAGE SERVICE ACTIVITIES",
    "62": "COMPUTER PROGRAMMING, INFORMATION TECHNOLOGY CONSULTANCY AND RELATED ACTIVITIES",
    "70": "ACTIVITIES OF HEAD OFFICES; MANAGEMENT CONSULTANCY ACTIVITIES",
    "463": "WHOLESALE OF FOOD, BEVERAGES AND TOBACCO",
    "469": "NON-SPECIALISED WHOLESALE TRADE",
    "471": "RETAIL SALE IN NON-SPECIALISED STORES",
    "521": "WAREHOUSING AND STORAGE",
    "522": "SUPPORT ACTIVITIES FOR TRANSPORTATION",
    "561": "RESTAURANTS, CAFES, FOOD COURTS, FOOD KIOSKS AND BARS",
    "620": "COMPUTER PROGRAMMING, INFORMATION TECHNOLOGY CONSULTANCY AND RELATED ACTIVITIES",
    "702": "MANAGEMENT CONSULTANCY ACTIVITIES",
    "4630": "Wholesale of Food, Beverages and Tobacco",
    "4690": "Non-specialised Wholesale Trade",
    "4710": "Retail Sale in Non-Specialised Stores",
    "5210": "Warehousing and Storage",
    "5229": "Other Transportation Support Activities",
    "5611": "Restaurants and Cafes",
    "6201": "Computer Programming Activities",
    "7020": "Management Consultancy Activities",
}
# Which section each demo division belongs to (divisions do not encode it).
_DEMO_DIVISION_SECTIONS = {"46": "G", "47": "G", "52": "H", "56": "I", "62": "J", "70": "M"}

_UPSERT_SSIC_CODE = """
    insert into registry.ssic_codes (code, level, title, parent_code, section)
    values (%s, %s, %s, %s, %s)
    on conflict (code) do update set
        level = excluded.level, title = excluded.title,
        parent_code = excluded.parent_code, section = excluded.section
    where (ssic_codes.level, ssic_codes.title, ssic_codes.parent_code, ssic_codes.section)
        is distinct from (excluded.level, excluded.title, excluded.parent_code, excluded.section)
"""


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


def _sheet_rows(path: Path, header_first_cell: str) -> tuple[list[str], list[tuple]]:
    """Header and data rows of the first sheet, found by the header's first cell, not by offset.

    The SingStat files are small (under 15k rows), so rows are read in one go.
    """
    with warnings.catch_warnings():
        # SingStat's files carry print settings openpyxl cannot parse; they do not affect data.
        warnings.simplefilter("ignore", UserWarning)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
    for position, row in enumerate(rows):
        if row and _cell_text(row[0]) == header_first_cell:
            return [_cell_text(c) or "" for c in row], rows[position + 1 :]
    raise ValueError(f"{path}: no header row starting with {header_first_cell!r}")


def ssic_level(code: str) -> str:
    return _LEVELS[len(code)]


def _parent(code: str, section: str) -> str | None:
    if len(code) == 1:
        return None
    return section if len(code) == 2 else code[:-1]


def _upsert_codes(url: str, rows: list[tuple[str, str, str, str | None, str]]) -> None:
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor:
            cursor.executemany(_UPSERT_SSIC_CODE, rows)


def load_ssic_structure(url: str, path: Path) -> int:
    """Load SingStat's classification-structure xlsx into registry.ssic_codes; returns codes read.

    Sections precede their divisions in the file, which is how a division learns its section.
    A code stored as a number lost its leading zero; only section A codes start with 0.
    """
    _, rows = _sheet_rows(Path(path), "SSIC 2020")
    records: list[tuple[str, str, str, str | None, str]] = []
    section = ""
    for row in rows:
        if not row or row[0] is None:
            continue
        code, title = _cell_text(row[0]), _cell_text(row[1] if len(row) > 1 else None)
        if isinstance(row[0], (int, float)) and section == "A":
            code = "0" + code
        if re.fullmatch(r"[A-U]", code or ""):
            section = code
        elif not re.fullmatch(r"[0-9]{2,5}", code or ""):
            log.warning("%s: skipping unrecognised code %r", Path(path).name, row[0])
            continue
        if not title or not section:
            log.warning("%s: skipping code %s without title or section", Path(path).name, code)
            continue
        records.append((code, ssic_level(code), title, _parent(code, section), section))
    _upsert_codes(url, records)
    log.info("loaded %d SSIC codes from %s", len(records), Path(path).name)
    return len(records)


def load_ssic_index(url: str, path: Path) -> int:
    """Load SingStat's alphabetical index xlsx (activity phrase -> subclass) into registry.ssic_index."""
    header, rows = _sheet_rows(Path(path), "SSIC 2020")
    phrase_col = next((i for i, h in enumerate(header) if "description" in h.lower()), 1)
    pairs: set[tuple[str, str]] = set()
    for row in rows:
        if not row or len(row) <= phrase_col:
            continue
        phrase = _cell_text(row[phrase_col])
        code = clean_ssic(_cell_text(row[0]))
        if phrase and code:
            pairs.add((phrase, code))
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into registry.ssic_index (phrase, code) values (%s, %s) on conflict do nothing",
                sorted(pairs),
            )
    log.info("loaded %d SSIC index phrases from %s", len(pairs), Path(path).name)
    return len(pairs)


def load_demo_ssic(url: str) -> int:
    """The demo's subclasses and their ancestors, for running without SingStat's files."""
    records: dict[str, tuple[str, str, str, str | None, str]] = {}
    for code, title in DEMO_SSIC_TITLES.items():
        section = _DEMO_DIVISION_SECTIONS[code[:2]]
        records[code] = (code, "subclass", title, code[:4], section)
        for ancestor in (section, code[:2], code[:3], code[:4]):
            records[ancestor] = (
                ancestor,
                ssic_level(ancestor),
                DEMO_SSIC_PARENT_TITLES[ancestor],
                _parent(ancestor, section),
                section,
            )
    _upsert_codes(url, sorted(records.values()))
    return len(records)

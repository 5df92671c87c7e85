"""ACRA "Information on Corporate Entities" CSVs (data.gov.sg layout) into registry.acra_entities.

Idempotent (upserts keyed by UEN), so the asset can be re-materialised at any time. No row passes
through Python one by one, so that a 2M-row release loads within twice the time of a plain COPY of its
files (bench/registry_load.py): pyarrow parses each file a batch of rows at a time, the batch is
cleaned column by column, vectorised, by the rules the Python cleaner had, and sent by COPY while a
thread prepares the next one. Into an empty registry the rows go straight into registry.acra_entities,
its indexes built once they are in; else into a temp table merged into it by one statement. Of the
rows sharing a UEN the last one read wins: COPY takes them all, the others go once every file is read.
Memory stays flat for any size but for the UENs (about 30 MB for 2M rows). A file pyarrow cannot parse
(ragged lines) is read with Python's csv module instead, as leniently as ever.

A full release: data.gov.sg publishes the entity list as many CSVs (one per first letter, and
"Others"), so one file is never the whole registry. Only a load declared a full release (the
ICP_ACRA_DIR folder, or `icp registry load --full-release`) marks the entities its files do not list
as delisted (`delisted_at`; the row stays), and it refuses, unless told otherwise, to delist more
than MAX_DELISTED_SHARE of the listed entities, or more than MAX_DELISTED_LETTER_SHARE of those whose
names start with one letter (one file's worth, however small): either means a file of the release is
missing. A row the loader skips (a UEN without a usable name) still counts as listed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql

log = logging.getLogger(__name__)
T = TypeVar("T")

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
# Placeholders that mean "unknown", in any letter case, once the value is stripped of whitespace.
_NULL_TOKENS = frozenset({"", "na", "n/a", "nil", "null", "none", "-"})
# What str.strip() strips (every character str.isspace() accepts).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
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
_READ_BYTES = 1 << 20
# pyarrow parses a file this many bytes at a time: a batch of rows cleaned and sent at once.
_BATCH_BYTES = 2 << 20
# Rows per batch of a file read by the csv module.
_CSV_MODULE_BATCH_ROWS = 50_000
# Rows as COPY reads them (format csv): nulls empty, text quoted.
_COPY_CSV = pa_csv.WriteOptions(include_header=False, batch_size=1 << 16)
# A load reports its progress every this many seconds, once it has taken that long.
PROGRESS_SECONDS = 5.0


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


# --- cleaning: the Python rule for single codes, and the same rules vectorised for a whole release ------


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\x00", "").strip()  # a NUL is damage, and PostgreSQL text cannot hold one
    return None if value.lower() in _NULL_TOKENS else value


def clean_ssic(value: str | None) -> str | None:
    """A 5-character SSIC code ("1111" -> "01111", "1111.0" from a spreadsheet too); else unknown."""
    value = _blank(value)
    if value is None:
        return None
    value = re.sub(r"\.0+$", "", value)
    return value.zfill(5) if value.isdigit() and len(value) <= 5 else None


def _any_case(token: str) -> list[str]:
    return sorted({"".join(chars) for chars in itertools.product(*({c.lower(), c.upper()} for c in token))})


# The placeholders as they may be written; a value that is one is read as null at once.
NULL_VALUES = sorted(t for token in _NULL_TOKENS for t in _any_case(token))
_NULL_VALUES = pa.array(NULL_VALUES, pa.string())
_NO_TEXT = pa.scalar(None, pa.string())


def _blanked(values: pa.Array) -> pa.Array:
    """Values read with NULL_VALUES as nulls, as _blank() leaves them (NULs are dropped as the file is
    read): stripped, and null if a placeholder. Few need stripping: only those are looked up again."""
    stripped = pc.utf8_trim(values, WHITESPACE)
    if pc.any(pc.less(pc.binary_length(stripped), pc.binary_length(values))).as_py():
        return pc.if_else(pc.is_in(stripped, _NULL_VALUES), _NO_TEXT, stripped)
    return stripped


def _code(values: pa.Array, width: int) -> pa.Array:
    """Codes of ``width`` digits, restoring the leading zeros a spreadsheet dropped ("1111.0" too).
    Most values are already one: told so without a regular expression."""
    if pc.all(pc.and_(pc.equal(pc.binary_length(values), width), pc.ascii_is_decimal(values))).as_py():
        return values
    digits = pc.utf8_lpad(pc.replace_substring_regex(values, r"\..*", ""), width, "0")
    return pc.if_else(pc.match_substring_regex(values, rf"^[0-9]{{1,{width}}}(\.0+)?$"), digits, _NO_TEXT)


_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"


def _counts(values: pa.Array) -> pa.Array:
    """Whole numbers, or decimals (3.0, 1e3) truncated as int(float()) does; else unknown."""
    numbers = pc.trunc(pc.cast(pc.if_else(pc.match_substring_regex(values, _NUMBER), values, _NO_TEXT), pa.float64()))
    in_range = pc.and_(pc.greater_equal(numbers, -(2**31)), pc.less_equal(numbers, 2**31 - 1))
    return pc.cast(pc.if_else(in_range, numbers, pa.scalar(None, pa.float64())), pa.int32())


_DAY = "(?P<d>3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"  # strptime's %d, %m, %Y and %b
_MONTH = "(?P<m>1[0-2]|0[1-9]|[1-9])"
_YEAR = "(?P<y>[0-9]{4})"
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAME = f"(?P<m>{'|'.join(_MONTH_NAMES)})"
_SPACES = f"[{WHITESPACE}]+"
# parse_date's formats, in its order: the first that matches decides. "%Y%m%d" as strptime reads it:
# a two-digit month whenever a day can follow it.
_DATE_FORMATS = tuple(
    f"(?i)^{pattern}$"
    for pattern in (
        f"{_YEAR}-{_MONTH}-{_DAY}",  # %Y-%m-%d
        f"{_DAY}/{_MONTH}/{_YEAR}",  # %d/%m/%Y
        f"{_YEAR}(?P<m>1[0-2]|0[1-9]){_DAY}",  # %Y%m%d
        f"{_YEAR}(?P<m>[1-9]){_DAY}",  # %Y%m%d, one-digit month
        f"{_DAY}-{_MONTH}-{_YEAR}",  # %d-%m-%Y
        f"{_YEAR}/{_MONTH}/{_DAY}",  # %Y/%m/%d
        f"{_DAY}-{_MONTH_NAME}-{_YEAR}",  # %d-%b-%Y
        f"{_DAY}{_SPACES}{_MONTH_NAME}{_SPACES}{_YEAR}",  # %d %b %Y
    )
)
_ISO_SHAPE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NO_DATE = pa.scalar(None, pa.date32())
_EARLIEST, _LATEST = pa.scalar(date(1800, 1, 1), pa.date32()), pa.scalar(date(2200, 12, 31), pa.date32())


def _date(year: pa.Array, month: pa.Array, day: pa.Array) -> pa.Array:
    """The dates of the given parts (text; a month by number or name), null where there is none: an
    impossible date (one that does not read back as itself) or a year outside 1800-2200."""
    day = pc.cast(pc.utf8_ltrim(day, " "), pa.int32())
    named = pc.index_in(pc.utf8_lower(month), pa.array(_MONTH_NAMES))
    month = pc.coalesce(pc.add(named, 1), pc.cast(pc.if_else(pc.is_null(named), month, _NO_TEXT), pa.int32()))
    text = pc.binary_join_element_wise(year, pc.cast(month, pa.string()), pc.cast(day, pa.string()), "-")
    stamps = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)  # 2003-02-30 reads as 03-02
    valid = pc.and_(
        pc.and_(pc.equal(pc.month(stamps), month), pc.equal(pc.day(stamps), day)),
        pc.and_(pc.greater_equal(pc.year(stamps), 1800), pc.less_equal(pc.year(stamps), 2200)),
    )
    return pc.if_else(valid, pc.cast(stamps, pa.date32()), _NO_DATE)


def _dates(values: pa.Array) -> pa.Array:
    """Dates as ISO, d/m/Y, compact and month-name forms across releases write them; a time after a
    "T" or " 00:00" is dropped; anything else, an impossible date, or a year outside 1800-2200 is
    unknown. Releases write ISO dates: a batch of valid ones is read at once, others by format."""
    try:
        dates = pc.cast(values, pa.date32())  # YYYY-MM-DD, a valid date, or the batch is refused
    except pa.ArrowInvalid:
        return _dates_by_format(values)
    return pc.if_else(pc.and_(pc.greater_equal(dates, _EARLIEST), pc.less_equal(dates, _LATEST)), dates, _NO_DATE)


def _dates_by_format(values: pa.Array) -> pa.Array:
    """_dates() of a batch that is not all valid ISO dates: those that look ISO are read at once (the
    first format decides them), the others by each format in turn."""
    iso = pc.fill_null(pc.match_substring_regex(values, _ISO_SHAPE), False)
    dates = _date(
        *(pc.utf8_slice_codeunits(pc.if_else(iso, values, _NO_TEXT), a, b) for a, b in ((0, 4), (5, 7), (8, 10)))
    )
    others = pc.and_not(pc.is_valid(values), iso)
    if not pc.any(others).as_py():
        return dates
    rest = pc.replace_substring_regex(pc.filter(values, others), r"(T| 00:00)[\s\S]*", "", max_replacements=1)
    parsed = pa.nulls(len(rest), pa.date32())
    decided = pa.array(np.zeros(len(rest), dtype=bool))
    for pattern in _DATE_FORMATS:
        parts = pc.extract_regex(rest, pattern)
        matched = pc.and_not(pc.is_valid(parts), decided)
        parsed = pc.if_else(matched, _date(*(pc.struct_field(parts, part) for part in "ymd")), parsed)
        decided = pc.or_(decided, matched)
    return pc.replace_with_mask(dates, others, parsed)


def _column_type(column: str) -> pa.DataType:
    if column in _DATE_COLUMNS:
        return pa.date32()
    return pa.int32() if column == "no_of_officers" else pa.string()


def _cleaned(batch: pa.RecordBatch) -> pa.Table:
    """A batch of rows read as text, as registry.acra_entities stores them (missing columns null, as
    are those of placeholders only)."""
    columns = []
    for column in ACRA_COLUMNS:
        if column not in batch.schema.names or batch.column(column).null_count == batch.num_rows:
            columns.append(pa.nulls(batch.num_rows, _column_type(column)))
        elif column == "uen":
            columns.append(pc.utf8_upper(_blanked(batch.column("uen"))))
        else:
            values = _blanked(batch.column(column))
            if column in _DATE_COLUMNS:
                values = _dates(values)
            elif column in ("primary_ssic_code", "secondary_ssic_code"):
                values = _code(values, 5)
            elif column == "postal_code":
                values = _code(values, 6)
            elif column == "no_of_officers":
                values = _counts(values)
            columns.append(values)
    return pa.table(columns, names=ACRA_COLUMNS)


# --- reading the files ------------------------------------------------------------------------


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")


def _csv_records(path: Path) -> Iterator[list[str]]:
    """The file's CSV records as Python's csv module reads them (blank lines left out), NULs dropped."""
    reader = None
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle)
            for values in reader:
                if values:
                    yield [value.replace("\x00", "") for value in values]
    except csv.Error as err:
        raise RegistryFileError(f"{path}: malformed CSV near line {reader.line_num}: {err}") from err
    except OSError as err:
        raise RegistryFileError(f"{path}: cannot read: {err.strerror or err}") from err


def _header(path: Path) -> list[str]:
    """The file's normalised header, or RegistryFileError when it is not an ACRA entities CSV."""
    records = _csv_records(path)
    try:
        header = next(records, None)
    finally:
        records.close()
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


def check_acra_csv(path: Path) -> None:
    """Raise RegistryFileError unless the file reads as an ACRA entities CSV (its header is checked,
    so a wrong file is refused before anything is written)."""
    _header(Path(path))


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Names a set of files by absolute path, size and modification time: a file added, removed,
    replaced or rewritten changes it (what the registry sensor watches and a load records)."""
    entries = []
    for path in map(Path, paths):
        stat = path.stat()
        entries.append(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]


def _file_columns(keys: list[str]) -> list[str]:
    """The name each of a file's columns is read by: its own, or an ignored_<n> one for a column the
    registry does not have (and for all but the last of a repeated one: the last wins)."""
    last = {key: position for position, key in enumerate(keys)}
    ignored = (f"ignored_{n}" for n in itertools.count(1))
    return [
        key if key in ACRA_COLUMNS and last[key] == position else next(ignored) for position, key in enumerate(keys)
    ]


def _needs_mending(path: Path) -> bool:
    """Whether the file holds NULs or bytes that are not UTF-8, which _Utf8File mends; pyarrow reads
    the others (nearly all) by itself, without calling Python."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while raw := handle.read(_READ_BYTES):
                if b"\x00" in raw:
                    return True
                if not raw.isascii() or decoder.getstate()[0]:
                    decoder.decode(raw)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return True
    except OSError as err:
        raise RegistryFileError(f"{path}: cannot read: {err.strerror or err}") from err
    return False


class _Utf8File(io.RawIOBase):
    """A file's bytes as Python's reading of them sees them, for pyarrow to parse: NULs dropped, bytes
    that are not UTF-8 replaced (U+FFFD). ``raw_bytes`` counts the bytes read from the file so far."""

    def __init__(self, path: Path):
        self.path = path
        self.raw_bytes = 0
        self._chunks = self._read()
        self._pending = memoryview(b"")

    def _read(self) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            with open(self.path, "rb") as handle:
                while raw := handle.read(_READ_BYTES):
                    self.raw_bytes += len(raw)
                    if raw.isascii() and not decoder.getstate()[0]:
                        yield raw.replace(b"\x00", b"")
                    else:
                        yield decoder.decode(raw).replace("\x00", "").encode()
        except OSError as err:
            raise RegistryFileError(f"{self.path}: cannot read: {err.strerror or err}") from err
        yield decoder.decode(b"", final=True).encode()

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.raw_bytes

    def readinto(self, buffer) -> int:
        """Fills the buffer (pyarrow parses each read as a block of its own), but at the end of the file."""
        size = 0
        while size < len(buffer):
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = memoryview(chunk)
            taken = min(len(buffer) - size, len(self._pending))
            buffer[size : size + taken] = self._pending[:taken]
            self._pending = self._pending[taken:]
            size += taken
        return size


_NULL_VALUE_SET = frozenset(NULL_VALUES)


def _read_value(row: list[str], position: int) -> str | None:
    """A record's value as pyarrow reads it: null if missing or a placeholder."""
    value = row[position] if position < len(row) else None
    return None if value in _NULL_VALUE_SET else value


def _batches(
    path: Path, columns: list[str], wanted: list[str], by_csv_module: bool
) -> Iterator[tuple[pa.RecordBatch, int]]:
    """The file's rows (header left out) in batches of the ``wanted`` columns as text, placeholders
    null, with the bytes of the file read so far (0 by the csv module): parsed by pyarrow, or by
    Python's csv module (short rows padded with nulls, long ones cut)."""
    if by_csv_module:
        positions = [columns.index(column) for column in wanted]
        records = itertools.islice(_csv_records(path), 1, None)
        while rows := list(itertools.islice(records, _CSV_MODULE_BATCH_ROWS)):
            yield (
                pa.record_batch(
                    [pa.array([_read_value(row, p) for row in rows], pa.string()) for p in positions], names=wanted
                ),
                0,
            )
        return
    stream = _Utf8File(path) if _needs_mending(path) else pa.OSFile(str(path))
    reader = pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(skip_rows=1, column_names=columns, block_size=_BATCH_BYTES, use_threads=False),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            null_values=NULL_VALUES,
            strings_can_be_null=True,
        ),
    )
    for batch in reader:
        yield batch, stream.tell()


class _Progress:
    """A load's progress, logged at INFO every PROGRESS_SECONDS once it has taken that long
    (stage=registry, the file, rows so far, percent of the files' bytes read); ``report`` gets the
    rows read once each file's are stored."""

    def __init__(self, paths: list[Path], report: Callable[[int], None] | None):
        self.total_bytes = sum(path.stat().st_size for path in paths) or 1
        self.report = report
        self.read_bytes = 0  # of the files read so far
        self.rows = 0  # of the files read so far
        self.started = self.last_logged = time.monotonic()

    def copying(self, path: Path, rows: int, file_bytes: int) -> None:
        """``rows`` and ``file_bytes`` of the file read so far."""
        now = time.monotonic()
        if now - self.last_logged >= PROGRESS_SECONDS:
            self.last_logged = now
            rows += self.rows
            percent = 100 * (self.read_bytes + file_bytes) / self.total_bytes
            log.info(
                "stage=registry file=%s rows=%d percent=%.0f: copying the ACRA files",
                path.name,
                rows,
                percent,
                extra={"stage": "registry", "file": path.name, "rows": rows, "percent": percent},
            )

    def copied(self, path: Path, rows: int) -> None:
        """The file read whole, its ``rows`` sent."""
        self.read_bytes += path.stat().st_size
        self.rows += rows
        self.copying(path, 0, 0)

    def loaded(self) -> None:
        """A file's rows stored (this is said in the loading thread, the others while reading)."""
        if self.report:
            self.report(self.rows)

    def step(self, text: str) -> None:
        """A step after the copy; said at INFO when the load is a slow one."""
        slow = time.monotonic() - self.started >= PROGRESS_SECONDS
        log.log(logging.INFO if slow else logging.DEBUG, "stage=registry rows=%d: %s", self.rows, text)


# --- ACRA entities --------------------------------------------------------------------------


class _Unparsable(Exception):
    """A file pyarrow cannot parse (ragged or malformed lines): the csv module reads it instead."""


@dataclass
class _Release:
    """What reading the files found: each row's UEN (null: none) and whether it is usable (a UEN and
    a name), the rows of each file, and the files read by the csv module."""

    uens: list[pa.Array] = field(default_factory=list)
    usable: list[pa.Array] = field(default_factory=list)
    rows: dict[Path, int] = field(default_factory=dict)
    by_csv_module: set[Path] = field(default_factory=set)


def _prepared(
    paths: list[Path],
    columns: dict[Path, list[str]],
    release: _Release,
    meter: _Progress | None,
    loaded: np.ndarray | None,
) -> Iterator[pa.Buffer | _Unparsable | None]:
    """Each file's rows to load, cleaned, as CSV for COPY, a batch at a time, then None. A first
    reading loads the usable rows and fills ``release``; once it is filled, the rows ``loaded`` says
    (files without any are not read). A file pyarrow refuses, part of it sent, yields _Unparsable
    and is read again by the csv module."""
    start = 0  # the file's first row among the rows of the files
    for path in paths:
        if loaded is None or loaded[start : start + release.rows[path]].any():
            try:
                yield from _prepared_file(path, columns[path], release, start, meter, loaded)
            except pa.ArrowInvalid as err:
                log.info("stage=registry file=%s: reading it row by row (%s)", path.name, str(err).splitlines()[0])
                release.by_csv_module.add(path)
                yield _Unparsable(path)
                yield from _prepared_file(path, columns[path], release, start, meter, loaded)
        start += release.rows[path]
        yield None


def _prepared_file(
    path: Path,
    columns: list[str],
    release: _Release,
    start: int,
    meter: _Progress | None,
    loaded: np.ndarray | None,
) -> Iterator[pa.Buffer]:
    """One file's part of _prepared(), its first row being the ``start``th of the files."""
    wanted = [c for c in columns if c in ACRA_COLUMNS]
    row, uens, usable = start, [], []
    for batch, file_bytes in _batches(path, columns, wanted, path in release.by_csv_module):
        if loaded is not None and row + batch.num_rows > start + release.rows[path]:
            raise RegistryFileError(f"{path}: changed while it was being loaded")
        rows = _cleaned(batch)
        uens.append(rows.column("uen").combine_chunks())
        usable.append(pc.and_(pc.is_valid(uens[-1]), pc.is_valid(rows.column("entity_name"))))
        keep = usable[-1] if loaded is None else pa.array(loaded[row : row + batch.num_rows])
        if not pc.all(keep).as_py():  # rows without a UEN or a name (or not the last of their UEN)
            rows = rows.filter(keep)
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(rows, sink, _COPY_CSV)
        yield sink.getvalue()
        row += batch.num_rows
        if meter:
            meter.copying(path, row - start, file_bytes)
    if loaded is None:
        release.uens += uens
        release.usable += usable
        release.rows[path] = row - start
        if meter:
            meter.copied(path, row - start)
    elif row - start != release.rows[path]:
        raise RegistryFileError(f"{path}: changed while it was being loaded")


_END = object()


def _ahead(items: Iterator[T]) -> Iterator[T]:
    """The items, each made by a thread of its own while the one before is used: the files are read
    and cleaned there while the server stores the rows sent before (pyarrow and psycopg let go of
    the GIL meanwhile)."""
    with ThreadPoolExecutor(1, thread_name_prefix="acra-load") as pool:
        upcoming = pool.submit(next, items, _END)
        while (item := upcoming.result()) is not _END:
            upcoming = pool.submit(next, items, _END)
            yield item


def _copy_files(
    conn: psycopg.Connection,
    table: sql.Composable,
    paths: list[Path],
    columns: dict[Path, list[str]],
    release: _Release,
    meter: _Progress | None = None,
    loaded: np.ndarray | None = None,
) -> None:
    """COPY the rows of the files to load (see _prepared), cleaned, into ``table``: a COPY each file,
    in a savepoint, so that a file pyarrow refuses leaves nothing but its reading by the csv module."""
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, ACRA_COLUMNS))
    )
    with contextlib.closing(_ahead(_prepared(paths, columns, release, meter, loaded))) as chunks:
        for _path in paths:
            while True:
                try:
                    with conn.transaction(), conn.cursor() as cursor, cursor.copy(statement) as copy:
                        while (chunk := next(chunks)) is not None:
                            if isinstance(chunk, _Unparsable):
                                raise chunk
                            copy.write(memoryview(chunk))
                except _Unparsable:
                    continue
                break
            if meter:
                meter.loaded()


def _temp_uens(conn: psycopg.Connection, name: str, uens: pa.Array | pa.ChunkedArray) -> None:
    """A temp table of these UENs, analysed (temp tables have no statistics until told: its joins are
    planned well)."""
    conn.execute(sql.SQL("create temp table {} (uen text) on commit drop").format(sql.Identifier(name)))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table({"uen": uens}), sink, _COPY_CSV)
    with conn.cursor().copy(sql.SQL("copy {} from stdin (format csv)").format(sql.Identifier(name))) as copy:
        copy.write(memoryview(sink.getvalue()))
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(name)))


def _keep_last_rows(
    conn: psycopg.Connection,
    table: sql.Composable,
    paths: list[Path],
    columns: dict[Path, list[str]],
    release: _Release,
    uens: pa.ChunkedArray,
    usable: pa.ChunkedArray,
) -> int:
    """Of the usable rows sharing a UEN, keep in ``table`` the last one read (COPY took them all): the
    others go, and the last ones are read again. Returns how many UENs the usable rows name."""
    named = uens.filter(usable)
    distinct = len(pc.unique(named))
    if distinct < len(named):  # rare: told at once, and only then which rows
        rows = pa.table({"uen": uens, "row": np.arange(len(uens))}).filter(usable)
        by_uen = rows.group_by("uen", use_threads=False).aggregate([("row", "max"), ("row", "count")])
        repeated = by_uen.filter(pc.greater(by_uen.column("row_count"), 1))
        log.info("stage=registry: %d UENs name more than one row, keeping the last of each", repeated.num_rows)
        _temp_uens(conn, "acra_repeated", repeated.column("uen"))
        conn.execute(sql.SQL("delete from {} t using acra_repeated r where t.uen = r.uen").format(table))
        last = np.zeros(len(uens), dtype=bool)
        last[repeated.column("row_max").to_numpy()] = True
        _copy_files(conn, table, paths, columns, release, loaded=last)
    return distinct


_REGISTRY = sql.SQL("registry.acra_entities")

# A listed entity (delisted_at null) whose row is unchanged is left alone (not even locked), so
# loaded_at moves only when something changed; an entity listed again after being delisted is listed
# once more.
_NON_KEY = [c for c in ACRA_COLUMNS if c != "uen"]
_MERGE = sql.SQL(
    """
    merge into registry.acra_entities e using acra_incoming c on e.uen = c.uen
    when matched and (({current}) is distinct from ({incoming}) or e.delisted_at is not null) then
        update set {assignments}, delisted_at = null, loaded_at = now()
    when not matched then insert ({columns}) values ({values})
    """
).format(
    current=sql.SQL(", ").join(sql.SQL("e.{}").format(sql.Identifier(c)) for c in _NON_KEY),
    incoming=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(c)) for c in _NON_KEY),
    assignments=sql.SQL(", ").join(sql.SQL("{c} = c.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    columns=sql.SQL(", ").join(map(sql.Identifier, ACRA_COLUMNS)),
    values=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(c)) for c in ACRA_COLUMNS),
)


def _drop_indexes(conn: psycopg.Connection) -> list[sql.Composable]:
    """Drop registry.acra_entities' indexes (its primary key's too) but those something else depends
    on (a foreign key, a view grouping by the key), and return the statements that build them again.
    Filling an empty registry, building them once the rows are in costs a fraction of updating them
    row by row (PostgreSQL's advice for populating a database); nobody reads the empty table meanwhile."""
    indexes = conn.execute(
        """
        select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid)
        from pg_index i left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
        where i.indrelid = 'registry.acra_entities'::regclass and not exists (
            select 1 from pg_depend d where d.deptype = 'n' and (
                (d.refclassid = 'pg_class'::regclass and d.refobjid = i.indexrelid)
                or (d.refclassid = 'pg_constraint'::regclass and d.refobjid = c.oid)))
        """
    ).fetchall()
    rebuild = []
    for index, index_definition, constraint, constraint_definition in indexes:
        if constraint:
            name = sql.Identifier(constraint)
            conn.execute(sql.SQL("alter table registry.acra_entities drop constraint {}").format(name))
            rebuild.append(
                sql.SQL("alter table registry.acra_entities add constraint {} {}").format(
                    name, sql.SQL(constraint_definition)
                )
            )
        else:
            conn.execute(sql.SQL("drop index {}").format(sql.SQL(index)))  # the regclass name, quoted as needed
            rebuild.append(sql.SQL(index_definition))
    return rebuild


def _unique_indexes(conn: psycopg.Connection) -> int:
    return conn.execute(
        "select count(*) from pg_index where indrelid = 'registry.acra_entities'::regclass and indisunique"
    ).fetchone()[0]


_LETTER = sql.SQL(
    "case when upper(left(e.entity_name, 1)) between 'A' and 'Z' then upper(left(e.entity_name, 1)) else 'Others' end"
)
_ALLOW_HINT = (
    " is a file of the release missing? Nothing was loaded; to delist them anyway:"
    " `icp registry load --full-release --allow-mass-delisting` (or acra_entities' allow_mass_delisting)"
)


def _delist_missing(conn: psycopg.Connection, listed: pa.Array, listed_before: int, max_share: float | None) -> int:
    """Mark the listed entities this full release (its ``listed`` UENs) does not list as delisted;
    returns how many.

    Raises DelistingRefused (the transaction then rolls back) when they are more than ``max_share``
    of the ``listed_before`` entities listed before the load, or more than MAX_DELISTED_LETTER_SHARE
    of the listed entities under one first letter (data.gov.sg's one file per letter); ``max_share``
    None allows any share.
    """
    _temp_uens(conn, "acra_listed", listed)
    by_letter = conn.execute(
        sql.SQL(
            "select {letter}, count(*), count(*) filter (where l.uen is null) from registry.acra_entities e"
            " left join acra_listed l on l.uen = e.uen where e.delisted_at is null group by 1 order by 1"
        ).format(letter=_LETTER)
    ).fetchall()
    missing = sum(gone for _, _, gone in by_letter)
    if max_share is not None and missing > max_share * listed_before:
        raise DelistingRefused(
            f"this full release does not list {missing:,} of the {listed_before:,} listed entities"
            f" ({missing / listed_before:.0%}, more than the {max_share:.0%} a release plausibly drops):" + _ALLOW_HINT
        )
    if max_share is not None:
        for letter, count, gone in by_letter:
            if count >= MIN_LETTER_ENTITIES and gone > MAX_DELISTED_LETTER_SHARE * count:
                raise DelistingRefused(
                    f"this full release does not list {gone:,} of the {count:,} listed entities whose names"
                    f" start with {letter!r} ({gone / count:.0%}, more than {MAX_DELISTED_LETTER_SHARE:.0%}"
                    " of one letter's file):" + _ALLOW_HINT
                )
    if missing:
        conn.execute(
            "update registry.acra_entities e set delisted_at = now(), loaded_at = now() where e.delisted_at is null"
            " and not exists (select 1 from acra_listed l where l.uen = e.uen)"
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

    Every file's header is checked first. Of the rows sharing a UEN, the last one read wins.
    ``progress`` receives the rows read once each file's are stored. With ``full_release`` the files are the
    whole registry: listed entities they do not list are marked delisted, unless more than
    ``max_delisted_share`` of them would be (None: no limit). A bad file raises RegistryFileError and
    leaves the table as it was.
    """
    paths = [Path(p) for p in paths]
    columns = {path: _file_columns(_header(path)) for path in paths}
    meter = _Progress(paths, progress)
    release = _Release()
    with psycopg.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOAD_LOCK,))
        # Room for the join of 2M UENs with the registry and for the index builds to stay in memory
        # rather than spill to disk (this transaction only).
        conn.execute("set local work_mem = '256MB'")
        conn.execute("set local maintenance_work_mem = '256MB'")
        entities_before, listed_before = conn.execute(
            "select count(*), count(*) filter (where delisted_at is null) from registry.acra_entities"
        ).fetchone()
        # A first load: the rows go in first, the indexes are built after them; straight into the
        # registry unless a unique index is left (in use), which repeated UENs would break.
        rebuild = _drop_indexes(conn) if entities_before == 0 else []
        if entities_before == 0 and not _unique_indexes(conn):
            table = _REGISTRY
        else:
            table = sql.SQL("acra_incoming")
            conn.execute(
                sql.SQL("create temp table acra_incoming on commit drop as select {} from {} limit 0").format(
                    sql.SQL(", ").join(map(sql.Identifier, ACRA_COLUMNS)), _REGISTRY
                )
            )
        _copy_files(conn, table, paths, columns, release, meter)
        uens = pa.chunked_array(release.uens, pa.string())
        usable = pa.chunked_array(release.usable, pa.bool_())
        distinct = _keep_last_rows(conn, table, paths, columns, release, uens, usable)
        if table is _REGISTRY:
            inserted, updated = distinct, 0
        else:
            conn.execute("analyze acra_incoming")
            meter.step(f"merging {distinct:,} rows into the registry")
            changed = conn.execute(_MERGE).rowcount
            inserted = conn.execute("select count(*) from registry.acra_entities").fetchone()[0] - entities_before
            updated = changed - inserted
        if rebuild:
            meter.step("building the indexes")
            for statement in rebuild:
                conn.execute(statement)
        delisted = 0
        if full_release and listed_before:  # else none was listed, so none can be delisted
            meter.step("delisting the entities the release no longer lists")
            delisted = _delist_missing(conn, pc.unique(uens.drop_null()), listed_before, max_delisted_share)
    skipped = len(uens) - (pc.sum(usable).as_py() or 0)
    stats = LoadStats(len(uens), inserted, updated, distinct - inserted - updated, skipped, delisted)
    log.info("ACRA load (full_release=%s): %s", full_release, stats)
    return stats

"""ACRA "Information on Corporate Entities" CSVs (data.gov.sg layout) into registry.acra_entities.

Idempotent (upserts keyed by UEN), so the asset can be re-materialised at any time. The files go to
the server as they are, by COPY, into a staging table of text columns, and are cleaned there in SQL,
set-based, by the rules the Python cleaner had: no row passes through Python (but those of a file
COPY cannot read as CSV), so memory stays flat for any size (bench/registry_load.py measures it).

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
import csv
import hashlib
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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
# Placeholders that mean "unknown", in any letter case, once the value is stripped of whitespace.
_NULL_TOKENS = frozenset({"", "na", "n/a", "nil", "null", "none", "-"})
# What str.strip() strips (every character str.isspace() accepts), for the SQL that does the same.
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


# --- cleaning: the Python rule for single codes, and the same rules in SQL for a whole release --------


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


_SQL_NULL_TOKENS = sql.SQL(", ").join(map(sql.Literal, sorted(t for token in _NULL_TOKENS for t in _any_case(token))))
_SQL_WHITESPACE = sql.Literal(WHITESPACE)

_DAY = "(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"  # strptime's %d, %m, %Y and %b
_MONTH = "(1[0-2]|0[1-9]|[1-9])"
_YEAR = "([0-9]{4})"
_MONTH_NAME = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_SPACES = f"[{WHITESPACE}]+"
# parse_date's formats, in its order, as (pattern, positions of year, month and day): the first that
# matches decides. "%Y%m%d" as strptime reads it: a two-digit month whenever a day can follow it.
_DATE_FORMATS = (
    (f"^{_YEAR}-{_MONTH}-{_DAY}$", 1, 2, 3),  # %Y-%m-%d
    (f"^{_DAY}/{_MONTH}/{_YEAR}$", 3, 2, 1),  # %d/%m/%Y
    (f"^{_YEAR}(1[0-2]|0[1-9]){_DAY}$", 1, 2, 3),  # %Y%m%d
    (f"^{_YEAR}([1-9]){_DAY}$", 1, 2, 3),  # %Y%m%d, one-digit month
    (f"^{_DAY}-{_MONTH}-{_YEAR}$", 3, 2, 1),  # %d-%m-%Y
    (f"^{_YEAR}/{_MONTH}/{_DAY}$", 1, 2, 3),  # %Y/%m/%d
    (f"^{_DAY}-{_MONTH_NAME}-{_YEAR}$", 3, 2, 1),  # %d-%b-%Y
    (f"^{_DAY}{_SPACES}{_MONTH_NAME}{_SPACES}{_YEAR}$", 3, 2, 1),  # %d %b %Y
)
# A valid ISO date within the years kept.
_PLAIN_ISO_DATE = (
    "^(1[89][0-9]{2}|2[01][0-9]{2}|2200)-"
    "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)$"
)

# Dates appear as ISO, d/m/Y, compact and month-name forms across releases; a time after a "T" or
# " 00:00" is dropped; anything else, an impossible date, or a year outside 1800-2200 is unknown.
_CREATE_DATE_FUNCTION = sql.SQL(
    """
    create function pg_temp.acra_date(raw text) returns date language plpgsql immutable strict as $$
    declare
        value text := split_part(split_part(raw, 'T', 1), ' 00:00', 1);
        format record;
        parts text[];
        year int;
        month int;
        day int;
    begin
        for format in select * from (values {formats}) as f (pattern, y, m, d) loop
            parts := regexp_match(value, format.pattern, 'i');
            continue when parts is null;
            year := parts[format.y];
            month := coalesce(
                array_position(array['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct',
                                     'nov', 'dec'], lower(parts[format.m])),
                parts[format.m]::int
            );
            day := parts[format.d];
            if year not between 1800 and 2200
               or day > extract(day from make_date(year, month, 1) + interval '1 month' - interval '1 day') then
                return null;
            end if;
            return make_date(year, month, day);
        end loop;
        return null;
    end $$
    """
).format(
    formats=sql.SQL(", ").join(
        sql.SQL("({}, {}, {}, {})").format(sql.Literal(pattern), y, m, d) for pattern, y, m, d in _DATE_FORMATS
    )
)


def _blanked(column: str) -> sql.Composable:
    """The column as _blank() leaves it: stripped, and null if a placeholder. Most values start and end
    with a printable ASCII character other than a space, so that only a short one may be a placeholder:
    those are told so at once, the others stripped and compared."""
    value = sql.Identifier(column)
    trimmed = sql.SQL("btrim({}, {})").format(value, _SQL_WHITESPACE)
    return sql.SQL(
        "case when {v} is null then null"
        " when ascii({v}) between 33 and 126 and ascii(right({v}, 1)) between 33 and 126"
        " then case when octet_length({v}) > 4 or {v} not in ({tokens}) then {v} end"
        " when {trimmed} in ({tokens}) then null else {trimmed} end"
    ).format(v=value, trimmed=trimmed, tokens=_SQL_NULL_TOKENS)


_DIGITS = sql.Literal("0123456789")


def _digits_code(value: sql.Composable, width: int) -> sql.Composable:
    """A code of ``width`` digits, restoring the leading zeros a spreadsheet dropped ("1111.0" too).
    Most values are already one, told so without a regular expression (PostgreSQL's cost more)."""
    return sql.SQL(
        "case when octet_length({v}) = {width} and translate({v}, {digits}, '') = '' then {v}"
        " when {v} ~ {pattern} then lpad(split_part({v}, '.', 1), {width}, '0') end"
    ).format(v=value, digits=_DIGITS, pattern=sql.Literal(f"^[0-9]{{1,{width}}}(\\.0+)?$"), width=width)


def _parsed(column: str) -> sql.Composable:
    """The registry's value of a blanked column: codes, dates and counts parsed, unusable ones null."""
    value = sql.Identifier(column)
    if column in _DATE_COLUMNS:  # nearly all ISO dates: cast at once, the others through acra_date()
        return sql.SQL(
            "case when {v} like '____-__-__' and translate({v}, {digits}, '') = '--'"
            " and left({v}, 4) collate \"C\" between '1800' and '2200'"
            " and substr({v}, 6, 2) collate \"C\" between '01' and '12'"
            " and right({v}, 2) collate \"C\" between '01' and '28' then {v}::date"
            " when {v} ~ {iso} then {v}::date else pg_temp.acra_date({v}) end"
        ).format(v=value, digits=_DIGITS, iso=sql.Literal(_PLAIN_ISO_DATE))
    if column in _SSIC_COLUMNS:
        return _digits_code(value, 5)
    if column == "postal_code":
        return _digits_code(value, 6)
    if column == "no_of_officers":  # a whole number or a decimal (3.0, 1e3), truncated as int(float())
        return sql.SQL(
            "case when octet_length({v}) between 1 and 9 and translate({v}, {digits}, '') = '' then {v}::int"
            " when {v} ~ {number} and trunc({v}::numeric) between -2147483648 and 2147483647"
            " then trunc({v}::numeric)::int end"
        ).format(
            v=value, digits=_DIGITS, number=sql.Literal(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$")
        )
    return value


# The staging table's rows, cleaned in two steps ("offset 0" keeps the planner from folding the first
# into the second, which would compute its values once per use instead of once per row).
_CREATE_CLEANING_VIEWS = sql.SQL(
    """
    create temp view acra_blanked as select seq, {blanked} from acra_stage offset 0;
    create temp view acra_cleaned as select seq, {parsed} from acra_blanked
    """
).format(
    blanked=sql.SQL(", ").join(
        sql.SQL("{} as {}").format(
            sql.SQL("upper({})").format(_blanked(c)) if c == "uen" else _blanked(c), sql.Identifier(c)
        )
        for c in ACRA_COLUMNS
    ),
    parsed=sql.SQL(", ").join(sql.SQL("{} as {}").format(_parsed(c), sql.Identifier(c)) for c in ACRA_COLUMNS),
)


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


def _stage_columns(keys: list[str]) -> list[str]:
    """The staging column each of a file's columns goes to: its own, or an ignored_<n> one for a
    column the table does not have (and for all but the last of a repeated one: the last wins)."""
    last = {key: position for position, key in enumerate(keys)}
    ignored = (f"ignored_{n}" for n in itertools.count(1))
    return [
        key if key in ACRA_COLUMNS and last[key] == position else next(ignored) for position, key in enumerate(keys)
    ]


class _NotForCopy(Exception):
    """A file holding a line PostgreSQL's COPY would take for its end-of-data marker (a lone \\.)."""


_END_OF_DATA_LINE = re.compile(rb"[\r\n]\\\.[\r\n]")
_END_OF_DATA_AT_END = re.compile(rb"[\r\n]\\\.\Z")


def _copy_chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The file's bytes as Python's reading of them sees them: NULs dropped, bytes that are not UTF-8
    replaced (U+FFFD), so that COPY takes what the csv module would have."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    tail = b""
    try:
        with open(path, "rb") as handle:
            while raw := handle.read(_READ_BYTES):
                if raw.isascii() and not decoder.getstate()[0]:
                    chunk = raw.replace(b"\x00", b"")
                else:
                    chunk = decoder.decode(raw).replace("\x00", "").encode()
                window = tail + chunk
                if b"\\." in window and _END_OF_DATA_LINE.search(window):
                    raise _NotForCopy("a line holding only \\., COPY's end-of-data marker")
                tail = chunk[-3:]
                yield chunk, len(raw)
    except OSError as err:
        raise RegistryFileError(f"{path}: cannot read: {err.strerror or err}") from err
    rest = decoder.decode(b"", final=True).encode()
    if _END_OF_DATA_AT_END.search(tail + rest):
        raise _NotForCopy("a line holding only \\., COPY's end-of-data marker")
    if rest:
        yield rest, 0


class _Progress:
    """A load's progress, logged at INFO every PROGRESS_SECONDS once it has taken that long
    (stage=registry, the file, rows so far, percent of the files' bytes copied); ``report`` gets the
    rows read after each file."""

    def __init__(self, paths: list[Path], report: Callable[[int], None] | None):
        self.total_bytes = sum(path.stat().st_size for path in paths) or 1
        self.report = report
        self.copied_bytes = 0
        self.rows = 0  # rows of the files copied so far
        self.lines = 0  # lines of the file being copied so far
        self.started = self.last_logged = time.monotonic()

    def copying(self, path: Path, nbytes: int, lines: int) -> None:
        self.copied_bytes += nbytes
        self.lines += lines
        now = time.monotonic()
        if now - self.last_logged >= PROGRESS_SECONDS:
            self.last_logged = now
            rows = self.rows + max(self.lines - 1, 0)  # lines, less the header: rows, but for quoted line ends
            percent = 100 * self.copied_bytes / self.total_bytes
            log.info(
                "stage=registry file=%s rows=%d percent=%.0f: copying the ACRA files",
                path.name,
                rows,
                percent,
                extra={"stage": "registry", "file": path.name, "rows": rows, "percent": percent},
            )

    def copied(self, rows: int) -> None:
        self.rows += rows
        self.lines = 0
        if self.report:
            self.report(self.rows)

    def step(self, text: str) -> None:
        """A step after the copy; said at INFO when the load is a slow one."""
        slow = time.monotonic() - self.started >= PROGRESS_SECONDS
        log.log(logging.INFO if slow else logging.DEBUG, "stage=registry rows=%d: %s", self.rows, text)


# --- ACRA entities --------------------------------------------------------------------------


def _copy_file(conn: psycopg.Connection, path: Path, columns: list[str], progress: _Progress) -> int:
    """COPY one file into the staging table; returns its rows. A file COPY refuses as CSV (blank or
    ragged lines, mixed line ends) is read by Python's csv module instead, as leniently as ever."""
    statement = sql.SQL("copy acra_stage ({}) from stdin (format csv, header true, null 'na', force_null ({}))").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns if c in ACRA_COLUMNS),
    )
    try:
        with conn.transaction(), conn.cursor() as cursor:  # a savepoint: a refused COPY leaves nothing
            with cursor.copy(statement) as copy:
                for chunk, nbytes in _copy_chunks(path):
                    copy.write(chunk)
                    progress.copying(path, nbytes, chunk.count(b"\n"))
            return cursor.rowcount
    except (psycopg.errors.BadCopyFileFormat, _NotForCopy) as err:
        log.info("stage=registry file=%s: reading it row by row (%s)", path.name, str(err).splitlines()[0])
    return _copy_records(conn, path, columns)


def _copy_records(conn: psycopg.Connection, path: Path, columns: list[str]) -> int:
    """A file's records as the csv module reads them, short ones padded with nulls, long ones cut."""
    rows = 0
    statement = sql.SQL("copy acra_stage ({}) from stdin").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
    width = len(columns)
    with conn.cursor().copy(statement) as copy:
        for values in itertools.islice(_csv_records(path), 1, None):
            copy.write_row(values[:width] + [None] * (width - len(values)))
            rows += 1
    return rows


_NON_KEY = [c for c in ACRA_COLUMNS if c != "uen"]

# Every UEN the files name (rows skipped for their name included: listed all the same), with how many
# of its rows are usable and which of them was read last.
_CREATE_LISTED = """
    create temp table acra_listed on commit drop as
    select uen, count(*) filter (where usable) as usable, max(seq) filter (where usable) as last_seq
    from (select seq, uen, entity_name is not null as usable from acra_blanked) row
    where uen is not null group by uen
"""

# The cleaned rows to load: those with a UEN and a usable name, and of the rows sharing a UEN the last.
_ROWS_TO_LOAD = sql.SQL(
    """
    select * from acra_cleaned c
    where c.uen is not null and c.entity_name is not null
      and not exists (select 1 from acra_listed l where l.usable > 1 and l.uen = c.uen and l.last_seq <> c.seq)
    """
)

# A listed entity (delisted_at null) whose row is unchanged is left alone (not even locked), so
# loaded_at moves only when something changed; an entity listed again after being delisted is listed
# once more.
_MERGE = sql.SQL(
    """
    merge into registry.acra_entities e using ({rows}) c on e.uen = c.uen
    when matched and (({current}) is distinct from ({incoming}) or e.delisted_at is not null) then
        update set {assignments}, delisted_at = null, loaded_at = now()
    when not matched then insert ({columns}) values ({values})
    """
).format(
    rows=_ROWS_TO_LOAD,
    current=sql.SQL(", ").join(sql.SQL("e.{}").format(sql.Identifier(c)) for c in _NON_KEY),
    incoming=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(c)) for c in _NON_KEY),
    assignments=sql.SQL(", ").join(sql.SQL("{c} = c.{c}").format(c=sql.Identifier(c)) for c in _NON_KEY),
    columns=sql.SQL(", ").join(map(sql.Identifier, ACRA_COLUMNS)),
    values=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(c)) for c in ACRA_COLUMNS),
)
# Into an empty registry every row is new: a plain INSERT, quicker than MERGE inserting the same rows.
_INSERT = sql.SQL("insert into registry.acra_entities ({columns}) select {columns} from ({rows}) c").format(
    columns=sql.SQL(", ").join(map(sql.Identifier, ACRA_COLUMNS)), rows=_ROWS_TO_LOAD
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
        for letter, listed, gone in by_letter:
            if listed >= MIN_LETTER_ENTITIES and gone > MAX_DELISTED_LETTER_SHARE * listed:
                raise DelistingRefused(
                    f"this full release does not list {gone:,} of the {listed:,} listed entities whose names"
                    f" start with {letter!r} ({gone / listed:.0%}, more than {MAX_DELISTED_LETTER_SHARE:.0%}"
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

    Every file's header is checked first. The files are copied into a temp table and cleaned and
    upserted by SQL over all of them at once; of the rows sharing a UEN, the last one read wins.
    ``progress`` receives the rows read after each file. With ``full_release`` the files are the
    whole registry: listed entities they do not list are marked delisted, unless more than
    ``max_delisted_share`` of them would be (None: no limit). A bad file raises RegistryFileError and
    leaves the table as it was.
    """
    paths = [Path(p) for p in paths]
    columns = {path: _stage_columns(_header(path)) for path in paths}
    meter = _Progress(paths, progress)
    ignored = max((sum(c not in ACRA_COLUMNS for c in cols) for cols in columns.values()), default=0)
    with psycopg.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOAD_LOCK,))
        # Room for the listing of 2M UENs, the join with the registry and the index builds to stay in
        # memory rather than spill to disk (this transaction only).
        conn.execute("set local work_mem = '256MB'")
        conn.execute("set local maintenance_work_mem = '256MB'")
        entities_before, listed_before = conn.execute(
            "select count(*), count(*) filter (where delisted_at is null) from registry.acra_entities"
        ).fetchone()
        conn.execute(
            sql.SQL("create temp table acra_stage (seq bigint generated always as identity, {}) on commit drop").format(
                sql.SQL(", ").join(
                    sql.SQL("{} text").format(sql.Identifier(c))
                    for c in [*ACRA_COLUMNS, *(f"ignored_{n}" for n in range(1, ignored + 1))]
                )
            )
        )
        rows_read = 0
        for path in paths:
            rows = _copy_file(conn, path, columns[path], meter)
            rows_read += rows
            meter.copied(rows)
        conn.execute(_CREATE_DATE_FUNCTION)
        conn.execute(_CREATE_CLEANING_VIEWS)
        meter.step("listing the UENs the files name")
        conn.execute(_CREATE_LISTED)
        conn.execute("analyze acra_listed")  # temp tables have no statistics until told: plan its joins well
        distinct, usable = conn.execute(
            "select count(*) filter (where usable > 0), coalesce(sum(usable), 0)::bigint from acra_listed"
        ).fetchone()
        if entities_before == 0:  # a first load: the rows go in first, the indexes are built after them
            meter.step(f"cleaning and inserting {distinct:,} rows")
            rebuild = _drop_indexes(conn)
            inserted, updated = conn.execute(_INSERT).rowcount, 0
            meter.step("building the indexes")
            for statement in rebuild:
                conn.execute(statement)
        else:
            meter.step(f"cleaning and upserting {distinct:,} rows")
            changed = conn.execute(_MERGE).rowcount
            inserted = conn.execute("select count(*) from registry.acra_entities").fetchone()[0] - entities_before
            updated = changed - inserted
        delisted = 0
        if full_release and listed_before:  # else none was listed, so none can be delisted
            meter.step("delisting the entities the release no longer lists")
            delisted = _delist_missing(conn, listed_before, max_delisted_share)
    stats = LoadStats(rows_read, inserted, updated, distinct - inserted - updated, rows_read - usable, delisted)
    log.info("ACRA load (full_release=%s): %s", full_release, stats)
    return stats

"""SingStat SSIC 2020 files into registry.ssic_codes (classification) and registry.ssic_index.

Upserts keyed by code / phrase, so a reload changes only what changed.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import openpyxl
import psycopg
from openpyxl.utils.exceptions import InvalidFileException

from icp_assets.domain.registry.acra import RegistryFileError, clean_ssic

log = logging.getLogger(__name__)

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}

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


def _read_rows(path: Path) -> list[tuple]:
    """Every row of the first sheet of SingStat's xlsx, or of a CSV in the same layout.

    The SingStat files are small (under 15k rows), so rows are read in one go. A file that is
    neither raises RegistryFileError.
    """
    try:
        if path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as handle:
                return [tuple(row) for row in csv.reader(handle)]
        with warnings.catch_warnings():
            # SingStat's files carry print settings openpyxl cannot parse; they do not affect data.
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            rows = list(workbook.worksheets[0].iter_rows(values_only=True))
            workbook.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, UnicodeDecodeError, csv.Error) as err:
        raise RegistryFileError(f"{path}: not a SingStat SSIC xlsx or CSV ({err})") from err
    except OSError as err:
        raise RegistryFileError(f"{path}: cannot read: {err.strerror or err}") from err
    return rows


def _sheet_rows(path: Path, header_first_cell: str) -> tuple[list[str], list[tuple]]:
    """Header and data rows, the header found by its first cell rather than by offset."""
    rows = _read_rows(path)
    for position, row in enumerate(rows):
        if row and _cell_text(row[0]) == header_first_cell:
            return [_cell_text(c) or "" for c in row], rows[position + 1 :]
    raise RegistryFileError(
        f"{path}: not in SingStat's SSIC layout (no header row starting with {header_first_cell!r})"
    )


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
    """Load SingStat's classification structure (xlsx, or CSV in its layout) into registry.ssic_codes.

    Returns the number of codes read.
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
        if isinstance(row[0], (int, float)) and section == "A":  # a number lost its leading zero
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
    """Load SingStat's alphabetical index (activity phrase -> subclass) into registry.ssic_index."""
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


SsicKind = Literal["structure", "index"]


def ssic_file_kind(path: Path) -> SsicKind:
    """Which SingStat file this is, told by its header ("SSIC 2020 Title" or "SSIC 2020 Alphabetical
    Index Description"), so files load whatever they are named. Raises RegistryFileError for a
    file in neither layout."""
    header, _ = _sheet_rows(Path(path), "SSIC 2020")
    return "index" if any("index" in cell.lower() for cell in header) else "structure"


@dataclass(frozen=True)
class SsicLoadStats:
    codes: int
    index_phrases: int


def load_ssic_files(url: str, paths: list[Path]) -> SsicLoadStats:
    """Load SingStat's classification structure and/or alphabetical index files, each told by its
    header; every file is checked before anything is written."""
    kinds = [(ssic_file_kind(path), Path(path)) for path in paths]
    codes = sum(load_ssic_structure(url, path) for kind, path in kinds if kind == "structure")
    phrases = sum(load_ssic_index(url, path) for kind, path in kinds if kind == "index")
    return SsicLoadStats(codes, phrases)

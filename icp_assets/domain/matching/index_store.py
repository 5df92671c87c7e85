"""Match-index persistence: one saved index per registry version, built once, reachable by every
worker.

The index of the registry's current version lives in PostgreSQL (registry.match_index, migration
0013), so runs on other machines or with other ICP_HOME folders reuse it instead of rebuilding it.
A local copy (``match-index-<version>.npz`` in the folder the caller names, under ICP_HOME) is the
machine's read cache: a version's content never changes, so a readable copy is always current.
Building and storing happen under a PostgreSQL advisory lock: of two processes that find no
stored index, one builds while the other waits, then loads what the first stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from icp_assets.domain.matching.matcher import INDEX_FORMAT, MatchIndex, RegistryEntity
from icp_assets.domain.registry.acra import FORMER_NAME_COLUMNS

log = logging.getLogger(__name__)

# Any fixed 64-bit key: one match-index build at a time across every process on the database.
BUILD_LOCK = 7_412_190_013
PART_BYTES = 8 << 20  # the saved file travels in parts of this size


def fetch_registry_entities(url: str, batch_size: int = 10_000) -> Iterator[RegistryEntity]:
    """Stream every entity (name, status, former names) for building a Matcher; the status is the
    current one, so an entity a full release no longer lists ('Delisted') is not preferred as live."""
    query = sql.SQL("select uen, entity_name, current_status, {} from registry.acra_entities").format(
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
    path: Path  # the local copy
    version: str
    built: bool  # False when an index stored for this version was reused
    seconds: float


def load_match_index(url: str, folder: Path) -> tuple[MatchIndex, IndexInfo]:
    """The match index for the registry's current version: the local copy in ``folder``, else the
    one stored in the database (copied to ``folder``), else built and stored.

    Storing a version deletes the others from the database; copies of other versions in
    ``folder`` are removed once this one is there.
    """
    started = time.perf_counter()
    version = registry_version(url)
    path = Path(folder) / f"match-index-{version}.npz"
    index = _read(path)
    built = False
    if index is None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select pg_advisory_lock(%s)", (BUILD_LOCK,))  # waits while another process builds
            try:
                if _fetch_stored(conn, version, path):
                    index = _read(path)
                if index is None:
                    index = MatchIndex.build(fetch_registry_entities(url))
                    index.save(path)
                    _store(conn, version, path)
                    built = True
            finally:
                conn.execute("select pg_advisory_unlock(%s)", (BUILD_LOCK,))
    for stale in Path(folder).glob("match-index-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    log.info(
        "match index %s %s: %d entities, %d bytes",
        version,
        "built and stored" if built else "loaded",
        len(index),
        path.stat().st_size,
    )
    return index, IndexInfo(path, version, built, time.perf_counter() - started)


def _read(path: Path) -> MatchIndex | None:
    """The index saved at ``path``; None when there is none, or it is truncated or of another format."""
    if not path.exists():
        return None
    try:
        return MatchIndex.load(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        log.warning("match index %s unreadable (%s)", path, err)
        return None


def _fetch_stored(conn: psycopg.Connection, version: str, path: Path) -> bool:
    """Copy the stored index of ``version`` to ``path``, a part at a time; False when none is stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    parts = 0
    with conn.transaction(), conn.cursor(name="match_index_parts") as cursor, partial.open("wb") as out:
        cursor.itersize = 1
        cursor.execute("select bytes from registry.match_index where version = %s order by part", (version,))
        for (chunk,) in cursor:
            out.write(chunk)
            parts += 1
    if not parts:
        partial.unlink()
        return False
    os.replace(partial, path)
    return True


def _store(conn: psycopg.Connection, version: str, path: Path) -> None:
    """Store the file at ``path`` as ``version``'s index and delete every other version, in one transaction."""
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute("delete from registry.match_index")
        with (
            path.open("rb") as saved,
            cursor.copy("copy registry.match_index (version, part, bytes) from stdin (format binary)") as copy,
        ):
            copy.set_types(["text", "int4", "bytea"])
            for part, chunk in enumerate(iter(lambda: saved.read(PART_BYTES), b"")):
                copy.write_row((version, part, chunk))

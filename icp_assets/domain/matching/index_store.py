"""Match-index persistence: one saved index per registry version, rebuilt only when the registry changes."""

from __future__ import annotations

import hashlib
import logging
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
        except (OSError, ValueError, zipfile.BadZipFile) as err:  # truncated or from another format: rebuild
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

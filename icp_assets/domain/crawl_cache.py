"""The crawl cache every worker shares: rows of ``icp.crawl_cache`` (migration 0013), synced with the
file cache of one crawl.

The crawl process never reaches the database (scrapers/runner.py gives it no credentials: it reads
hostile websites), so it keeps its file cache (scrapers/cache.py) in a private folder and the
product's process carries entries across: before the crawl, the still-fresh rows of the target
sites' hosts become files (mtime = when the response was stored, so the crawl's own expiry judges
them); after it, the files the crawl wrote or refreshed go back in one upsert. A file is read as
data only (scrapers.cache.read_record) and taken only when its URL is on one of the crawl's hosts,
so a crawl cannot plant pages of sites it was not asked to crawl. Rows past the maximum age are
deleted when a crawl of their host finds them and whenever a crawl sends its entries back.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from scrapers.cache import entry_path, read_record
from scrapers.hosts import normalise_host

log = logging.getLogger(__name__)

SPIDER = "sites"  # the spider whose folder holds the entries (scrapers/spiders/sites.py)
_FINGERPRINT = re.compile(r"[0-9a-f]{40}")
ZLIB_LEVEL = 1  # pages compress nearly as well as at the default level (6), and faster


def site_hosts(site_urls: Iterable[str]) -> list[str]:
    """The hosts whose entries a crawl of ``site_urls`` uses (www. and port ignored, as the spider does)."""
    return sorted({normalise_host(url) for url in site_urls} - {""})


def download_entries(conn: psycopg.Connection, hosts: list[str], cachedir: Path, max_age: timedelta) -> dict[str, int]:
    """Write the rows of ``hosts`` stored within ``max_age`` as cache files under ``cachedir``,
    after deleting the older ones; returns the mtime (ns) of each file written, by fingerprint."""
    written: dict[str, int] = {}
    with conn.transaction():
        expired = conn.execute(
            "delete from icp.crawl_cache where host = any(%s) and stored_at < now() - %s", (hosts, max_age)
        ).rowcount
        with conn.cursor(name="crawl_cache_rows") as cursor:
            cursor.itersize = 500
            cursor.execute("select fingerprint, stored_at, record from icp.crawl_cache where host = any(%s)", (hosts,))
            for key, stored_at, record in cursor:
                path = entry_path(cachedir, SPIDER, key)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zlib.decompress(record))
                os.utime(path, (stored_at.timestamp(), stored_at.timestamp()))
                written[key] = path.stat().st_mtime_ns
    log.info(
        "crawl cache: %d entries of %d hosts from the database, %d expired ones deleted",
        len(written),
        len(hosts),
        expired,
    )
    return written


def upload_entries(
    conn: psycopg.Connection, hosts: list[str], cachedir: Path, downloaded: dict[str, int], max_age: timedelta
) -> int:
    """Upsert every entry under ``cachedir`` the crawl wrote or refreshed (not downloaded, or its
    mtime moved) whose URL is on one of ``hosts``, streamed through COPY, then delete every row
    older than ``max_age``. A row stays when the stored one is newer (another crawl of the same
    page finished later). Returns the number of entries sent."""
    wanted = set(hosts)
    sent = skipped = 0
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(
            "create temporary table crawl_cache_upload (like icp.crawl_cache including defaults) on commit drop"
        )
        with cursor.copy(
            "copy crawl_cache_upload (fingerprint, host, url, stored_at, record) from stdin (format binary)"
        ) as copy:
            copy.set_types(["text", "text", "text", "timestamptz", "bytea"])
            for key, data, mtime_ns in _written_entries(cachedir, downloaded):
                record = read_record(data)
                host = normalise_host(record["url"]) if record else ""
                if host not in wanted:  # not a record, or of a site this crawl was not asked for
                    skipped += 1
                    continue
                stored_at = datetime.fromtimestamp(mtime_ns / 1e9, UTC)
                copy.write_row((key, host, record["url"], stored_at, zlib.compress(data, ZLIB_LEVEL)))
                sent += 1
        cursor.execute(
            "insert into icp.crawl_cache as cached select * from crawl_cache_upload"
            " on conflict (fingerprint) do update set host = excluded.host, url = excluded.url,"
            " stored_at = excluded.stored_at, record = excluded.record"
            " where cached.stored_at < excluded.stored_at"
        )
        cursor.execute("delete from icp.crawl_cache where stored_at < now() - %s", (max_age,))
        expired = cursor.rowcount
    log.info(
        "crawl cache: %d entries sent to the database (%d of other sites or not records kept back),"
        " %d expired ones deleted",
        sent,
        skipped,
        expired,
    )
    return sent


def _written_entries(cachedir: Path, downloaded: dict[str, int]) -> Iterator[tuple[str, bytes, int]]:
    """(fingerprint, file content, mtime in ns) of each entry the crawl wrote or refreshed."""
    for path in (cachedir / SPIDER).glob("*/*"):
        key = path.name
        if not _FINGERPRINT.fullmatch(key) or path.parent.name != key[:2]:
            continue  # a temporary file the crawl left, or not an entry
        mtime_ns = path.stat().st_mtime_ns
        if downloaded.get(key) != mtime_ns:
            yield key, path.read_bytes(), mtime_ns


@contextmanager
def shared_crawl_cache(url: str, site_urls: Iterable[str], max_age: timedelta) -> Iterator[Path]:
    """A private cache folder for one crawl of ``site_urls``, holding the database's fresh entries
    of their hosts; when the block ends without an error, what the crawl wrote goes back. No
    connection is held while the crawl runs."""
    hosts = site_hosts(site_urls)
    with tempfile.TemporaryDirectory(prefix="icp-crawl-cache-") as folder:
        cachedir = Path(folder)
        with psycopg.connect(url) as conn:
            downloaded = download_entries(conn, hosts, cachedir, max_age)
        yield cachedir
        with psycopg.connect(url) as conn:
            upload_entries(conn, hosts, cachedir, downloaded, max_age)

"""A lean HTTP cache storage: one file per response.

Scrapy's FilesystemCacheStorage writes a directory and six files per response, which was the
largest single cost of a crawl of local sites. Here each response is one pickle (url, status,
headers, body), written atomically and expired by its age (HTTPCACHE_EXPIRATION_SECS, 0 = never).
A record is plain data (dict, str, int, bytes, lists) and is read with an unpickler that loads no
class at all (``read_record``), so a file is data, never code: the product's process reads the
files a crawl wrote, to share them with other crawls (icp_assets/domain/crawl_cache.py), and the
crawl process reads what other crawls fetched.
Responses arrive already scrubbed of personal data (scrapers.middlewares.ScrubEmailsMiddleware);
the URL and headers are scrubbed again here, headers cut down to scrapers.pii.KEPT_HEADERS, so
nothing stored depends on the middleware order. Entries carry a format version: entries of an
older format (stored before phone numbers and headers were scrubbed, or with binary bodies) are
never read, are deleted when found, and are replaced when their page is fetched again.

Only text bodies are stored: what the spider reads from the cache is HTML, XML sitemaps and
robots.txt. A PDF, an image or any other binary body (by its response type, its magic bytes, or
control bytes in it) can carry personal data the text scrub cannot see (a compressed PDF stream),
and the spider only hashes it: its entry keeps the status and headers, no body, and the body's
SHA-256 in the ``BODY_SHA256_HEADER`` header, which the spider uses as the page's content hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path

from scrapers.pii import BODY_SHA256_HEADER, scrub_headers, scrub_url

# 1 (no "format" key): bodies scrubbed of emails only, every header and the raw URL kept;
# 2: binary bodies stored as they came.
FORMAT = 3
_BINARY_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"RIFF",
    b"\xd0\xcf\x11\xe0",
    b"7z\xbc\xaf",
    b"Rar!",
    b"BZh",
    b"\xfd7zXZ",
    b"%!PS",
    b"wOF",
    b"OTTO",
    b"\x00\x01\x00\x00",
)
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a cache record holds data only, not {module}.{name}")


def read_record(data: bytes) -> dict | None:
    """The record a cache file holds: {"format", "url", "status", "headers", "body"}; None for
    anything else (another format, another cache layout, a record naming any class)."""
    try:
        record = _DataOnly(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 (whatever malformed bytes raise, they are no record)
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    shape = (("url", str), ("status", int), ("headers", dict), ("body", bytes))
    return record if all(isinstance(record.get(name), kind) for name, kind in shape) else None


def entry_path(cachedir: Path, spider_name: str, key: str) -> Path:
    """Where the entry of the request whose fingerprint is ``key`` (hex) lives."""
    return cachedir / spider_name / key[:2] / key


def is_text_body(response: Response) -> bool:
    """A body the spider reads as text (HTML, XML, robots.txt), not a binary one it only hashes:
    a text response type, no binary magic bytes, at most 2% control bytes in its first 4 KiB."""
    if not isinstance(response, TextResponse):
        return False
    head = response.body[:4096].lstrip()
    if head.startswith(_BINARY_MAGIC):
        return False
    return len(head) - len(head.translate(None, _CONTROL_BYTES)) <= len(head) // 50


class CompactCacheStorage:
    def __init__(self, settings: BaseSettings):
        self.cachedir = Path(data_path(settings["HTTPCACHE_DIR"], createdir=True))
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")

    def open_spider(self, spider: Spider) -> None:
        self._fingerprinter = spider.crawler.request_fingerprinter

    def close_spider(self, spider: Spider) -> None:
        pass

    def _path(self, spider: Spider, request: Request) -> Path:
        return entry_path(self.cachedir, spider.name, self._fingerprinter.fingerprint(request).hex())

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        path = self._path(spider, request)
        try:
            if 0 < self.expiration_secs < time.time() - path.stat().st_mtime:
                return None
            data = path.read_bytes()
        except OSError:  # absent, or a directory of another cache layout
            return None
        record = read_record(data)
        if record is None:
            path.unlink(missing_ok=True)  # an older format may hold what this one no longer keeps
            return None
        headers = Headers(record["headers"])
        cls = responsetypes.from_args(headers=headers, url=record["url"], body=record["body"])
        return cls(url=record["url"], status=record["status"], headers=headers, body=record["body"])

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        path = self._path(spider, request)
        if path.is_dir():  # an entry of Scrapy's own directory-per-response layout
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        headers = scrub_headers(response.headers)
        body = response.body
        if body and not is_text_body(response):
            headers[BODY_SHA256_HEADER] = [hashlib.sha256(body).hexdigest().encode()]
            body = b""
        record = {
            "format": FORMAT,
            "url": scrub_url(response.url),
            "status": response.status,
            "headers": headers,
            "body": body,
        }
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # several crawls share the cache
        temporary.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)

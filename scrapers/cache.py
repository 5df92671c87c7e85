"""A lean HTTP cache storage: one file per response.

Scrapy's FilesystemCacheStorage writes a directory and six files per response, which was the
largest single cost of a crawl of local sites. Here each response is one pickle (url, status,
headers, body), written atomically and expired by its age (HTTPCACHE_EXPIRATION_SECS, 0 = never).
Responses arrive already scrubbed of personal data (scrapers.middlewares.ScrubEmailsMiddleware);
the URL and headers are scrubbed again here, headers cut down to scrapers.pii.KEPT_HEADERS, so
nothing stored depends on the middleware order. Entries carry a format version: entries of an
older format (stored before phone numbers and headers were scrubbed) are never read, and are
replaced when their page is fetched again.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

from scrapy import Request, Spider
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path

from scrapers.pii import scrub_headers, scrub_url

FORMAT = 2  # 1 (no "format" key): bodies scrubbed of emails only, every header and the raw URL kept


class CompactCacheStorage:
    def __init__(self, settings: BaseSettings):
        self.cachedir = Path(data_path(settings["HTTPCACHE_DIR"], createdir=True))
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")

    def open_spider(self, spider: Spider) -> None:
        self._fingerprinter = spider.crawler.request_fingerprinter

    def close_spider(self, spider: Spider) -> None:
        pass

    def _path(self, spider: Spider, request: Request) -> Path:
        key = self._fingerprinter.fingerprint(request).hex()
        return self.cachedir / spider.name / key[:2] / key

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        path = self._path(spider, request)
        try:
            if 0 < self.expiration_secs < time.time() - path.stat().st_mtime:
                return None
            record = pickle.loads(path.read_bytes())  # noqa: S301 (our own files)
        except (OSError, pickle.UnpicklingError, EOFError):  # absent, or left by another cache layout
            return None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            return None
        headers = Headers(record["headers"])
        cls = responsetypes.from_args(headers=headers, url=record["url"], body=record["body"])
        return cls(url=record["url"], status=record["status"], headers=headers, body=record["body"])

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        path = self._path(spider, request)
        if path.is_dir():  # an entry of Scrapy's own directory-per-response layout
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "format": FORMAT,
            "url": scrub_url(response.url),
            "status": response.status,
            "headers": scrub_headers(response.headers),
            "body": response.body,
        }
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # several crawls share the cache
        temporary.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)

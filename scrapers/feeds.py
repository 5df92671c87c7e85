"""The crawl's JSON lines feed, written through to the file item by item.

Scrapy's file storage writes through a buffered file, so records still in the buffer are lost
when a crawl past its time budget has to be killed (a download that never ends keeps the graceful
stop from finishing). Unbuffered, every record is in the file as soon as it is exported: the
runner keeps everything that finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage


class UnbufferedFileFeedStorage(FileFeedStorage):
    def open(self, spider: Spider) -> IO[bytes]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return open(self.path, self.write_mode, buffering=0)  # noqa: SIM115 (closed by store())

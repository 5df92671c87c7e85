"""One run worker, as a process of its own: loads the match index and crawls the sites named on its
command line, then prints what it did as JSON ({"built", "version", "index_path", "pages"}).

Everything else comes from the environment, as on a real worker: ICP_DATABASE_URL, ICP_HOME and the
crawler's ICP_CRAWL_* settings (tests/platform/test_shared_state.py starts two of these).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.platform.paths import match_index_dir
from resources.crawler import CrawlerResource
from scrapers.runner import CrawlTarget


def main(site_urls: list[str]) -> None:
    _, info = load_match_index(os.environ["ICP_DATABASE_URL"], match_index_dir())
    with tempfile.TemporaryDirectory() as tmp:
        result = CrawlerResource().crawl([CrawlTarget(url, url) for url in site_urls], Path(tmp) / "crawl.jsonl")
    print(
        json.dumps(
            {"built": info.built, "version": info.version, "index_path": str(info.path), "pages": len(result.pages)}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])

"""The evidence crawler as a Dagster resource: settings in, a Scrapy run in its own process out."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources.postgres import icp_home
from scrapers.runner import CrawlResult, CrawlTarget, run_crawl


class CrawlerResource(ConfigurableResource):
    """Crawl policy. Settings left unset fall through to the crawler's own settings, which read
    ICP_CRAWL_HOST_MAP and ICP_CRAWL_DELAY (scrapers/settings.py)."""

    page_cap: int = Field(default=25, description="Most pages fetched per site.")
    timeout_s: float = Field(default=15.0, description="Download timeout per request, seconds.")
    delay_s: float | None = Field(
        default=None,
        description="Seconds between two requests to one site; unset: ICP_CRAWL_DELAY or 1 s; 0: no politeness.",
    )
    host_map_json: str | None = Field(
        default=None, description="JSON map of host name -> host:port; unset: ICP_CRAWL_HOST_MAP."
    )

    def crawl(self, targets: list[CrawlTarget], out_path: Path) -> CrawlResult:
        return run_crawl(
            targets,
            out_path,
            host_map=json.loads(self.host_map_json) if self.host_map_json else None,
            page_cap=self.page_cap,
            cache_dir=icp_home() / "crawl-cache",
            timeout_s=self.timeout_s,
            delay_s=self.delay_s,
        )

"""The evidence crawler as a Dagster resource: settings in, a Scrapy run in its own process out."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources.postgres import icp_home
from scrapers.runner import CrawlResult, CrawlTarget, run_crawl


class CrawlerResource(ConfigurableResource):
    """Crawl policy for tenant crawls. ``host_map_json`` routes host names to local servers
    (``{"acme.sg": "127.0.0.1:8080"}``); it defaults to the ICP_CRAWL_HOST_MAP variable."""

    page_cap: int = Field(default=25, description="Most pages fetched per site.")
    timeout_s: float = Field(default=15.0, description="Download timeout per request, seconds.")
    delay_s: float | None = Field(
        default=None,
        description="Seconds between two requests to one site; unset: ICP_CRAWL_DELAY or 1 s; 0: no politeness.",
    )
    host_map_json: str | None = Field(default=None, description="JSON map of host name -> host:port.")

    def host_map(self) -> dict[str, str]:
        raw = self.host_map_json or os.environ.get("ICP_CRAWL_HOST_MAP")
        return json.loads(raw) if raw else {}

    def crawl(self, targets: list[CrawlTarget], out_path: Path) -> CrawlResult:
        return run_crawl(
            targets,
            out_path,
            host_map=self.host_map(),
            page_cap=self.page_cap,
            cache_dir=icp_home() / "crawl-cache",
            timeout_s=self.timeout_s,
            delay_s=self.delay_s,
        )

"""The evidence crawler as a Dagster resource: settings in, a Scrapy run in its own process out."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS
from icp_assets.platform.paths import crawl_cache_dir
from scrapers.runner import CrawlResult, CrawlTarget, run_crawl


class CrawlerResource(ConfigurableResource):
    """Crawl policy overrides. A field left unset keeps the crawler's own setting
    (scrapers/settings.py, with its environment overrides ICP_CRAWL_DELAY and ICP_CRAWL_HOST_MAP),
    so every default lives in one place."""

    page_cap: int | None = Field(default=None, description="Most pages fetched per site; unset: ICP_PAGE_CAP.")
    timeout_s: float | None = Field(
        default=None, description="Download timeout per request, seconds; unset: DOWNLOAD_TIMEOUT."
    )
    delay_s: float | None = Field(
        default=None,
        description="Seconds between two requests to one site; unset: ICP_CRAWL_DELAY or DOWNLOAD_DELAY; 0: no politeness.",
    )
    host_map_json: str | None = Field(
        default=None, description="JSON map of host name -> host:port; unset: ICP_CRAWL_HOST_MAP."
    )
    evidence_max_age_days: int = Field(
        default=DEFAULT_EVIDENCE_MAX_AGE_DAYS,
        description="Days crawl evidence is kept without a successful re-crawl (ICP_EVIDENCE_MAX_AGE).",
    )

    def crawl(self, targets: list[CrawlTarget], out_path: Path) -> CrawlResult:
        return run_crawl(
            targets,
            out_path,
            host_map=json.loads(self.host_map_json) if self.host_map_json else None,
            page_cap=self.page_cap,
            cache_dir=crawl_cache_dir(),
            timeout_s=self.timeout_s,
            delay_s=self.delay_s,
        )

"""The evidence crawler as a Dagster resource: settings in, a Scrapy run in its own process out,
its HTTP cache shared with every other crawl through the product database."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS
from icp_assets.domain.crawl_cache import shared_crawl_cache
from icp_assets.platform.database import product_database_url
from icp_assets.platform.recrawl import recrawl_days
from scrapers.runner import CrawlResult, CrawlTarget, run_crawls


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

    processes: int = Field(
        default=os.cpu_count() or 1,
        ge=1,
        description="Most crawler processes one crawl of many sites runs at once (ICP_CRAWL_PROCESSES); default: the cores.",
    )
    database_url: str | None = Field(
        default=None,
        description="The product database, which holds the shared crawl cache; unset: ICP_DATABASE_URL or the embedded server.",
    )

    def crawl(self, targets: list[CrawlTarget], out_path: Path) -> CrawlResult:
        """Crawl the targets' sites; a page any crawl fetched within ICP_RECRAWL_DAYS is served
        from the shared cache (icp.crawl_cache), without a request."""
        url = self.database_url or product_database_url()
        max_age = timedelta(days=recrawl_days())
        with shared_crawl_cache(url, [t.url for t in targets], max_age) as cache_dir:
            return run_crawls(
                targets,
                out_path,
                self.processes,
                host_map=json.loads(self.host_map_json) if self.host_map_json else None,
                page_cap=self.page_cap,
                cache_dir=cache_dir,
                timeout_s=self.timeout_s,
                delay_s=self.delay_s,
                extra_settings={"HTTPCACHE_EXPIRATION_SECS": int(max_age.total_seconds())},
            )

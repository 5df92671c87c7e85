"""Scrapy settings for the ICP Finder crawler: polite, bounded and cached by default.

The one home of every crawl default: callers (scrapers.runner.run_crawl, the Dagster resource,
the CLI) pass only what they override. Environment overrides: ICP_CRAWL_HOST_MAP (JSON
{host: "127.0.0.1:PORT"}), ICP_CRAWL_DELAY (seconds between two requests to one site),
ICP_CRAWL_CACHE_DIR. Everything else can be set with ``-s NAME=value``.
"""

import json
import os

BOT_NAME = "icp_finder"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"
USER_AGENT = "ICPFinderBot/0.1 (company profile research; respects robots.txt)"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # the retry waits use asyncio

# Crawl policy.
ROBOTSTXT_OBEY = True
ICP_PAGE_CAP = 25  # most pages requested per site
ICP_SITEMAP_CAP = 3  # most sitemap files read per site (an index plus its first children)
ICP_MIN_USEFUL_PAGES = 3  # fewer fetched pages than this marks the site's evidence as reduced
DEPTH_LIMIT = 2

# Politeness: every site crawled at once, each at one request per ICP_CRAWL_DELAY seconds (the
# spider keys download slots on the normalised host, scrapers.hosts, so www.x and x share one). A
# delay of 0 turns politeness off (benchmarks): then up to 8 requests per site run at once. The
# delay is read from the environment, not -s, because the per-site concurrency is derived from it.
DOWNLOAD_DELAY = float(os.environ.get("ICP_CRAWL_DELAY") or 1.0)
DOWNLOAD_DELAY_JITTER = 0  # exactly DOWNLOAD_DELAY apart: a site sees the rate we promise
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 1 if DOWNLOAD_DELAY else 8

DOWNLOAD_TIMEOUT = 15  # seconds per request
RETRY_ENABLED = True
RETRY_TIMES = 2
ICP_RETRY_BACKOFF_BASE = 0.5  # seconds before the first retry, doubled for each next one
ICP_RETRY_BACKOFF_MAX = 8.0
ICP_RETRY_AFTER_MAX = 30.0  # a 429's Retry-After beyond this gives the page up
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # larger responses are dropped and counted as "too_large"
DOWNLOAD_WARNSIZE = 1024 * 1024
COOKIES_ENABLED = False  # Set-Cookie headers are still read for technology fingerprints

# No control surface in the crawl process: pages are tenant input. Scrapy's telnet console and
# 2.19's RemoteControl (an HTTP server on localhost that runs Python code sent to it) are both off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}

# Egress policy (scrapers.egress): every request's URL is checked by EgressPolicyMiddleware and
# every address connected to by EgressResolver: only globally routable addresses, no IP literals,
# ports ICP_ALLOWED_PORTS only; the host map's proxies are the one way to 127.0.0.1, for the hosts
# it names. ICP_TEST_DNS ({name: address}) is a test seam only: when set (even to {}), it replaces
# DNS, so a test crawl sends no lookup off the machine; its answers are checked like any other.
TWISTED_DNS_RESOLVER = "scrapers.resolver.EgressResolver"
ICP_ALLOWED_PORTS = [int(p) for p in (os.environ.get("ICP_CRAWL_ALLOWED_PORTS") or "80,443").split(",")]
ICP_TEST_DNS = json.loads(os.environ["ICP_CRAWL_TEST_DNS"]) if os.environ.get("ICP_CRAWL_TEST_DNS") else None

# Time budgets: a site's requests stop being scheduled after ICP_SITE_BUDGET_S seconds (counted in
# its outcome); scrapers.runner ends the whole crawl's process group after ICP_CRAWL_BUDGET_S.
ICP_SITE_BUDGET_S = float(os.environ.get("ICP_CRAWL_SITE_BUDGET_S") or 180)
ICP_CRAWL_BUDGET_S = float(os.environ.get("ICP_CRAWL_BUDGET_S") or 1800)

# Only http/https pages; "data" stays for the spider's end-of-crawl outcome request. The http(s)
# handler is Scrapy's HTTP/1.1 one, asking the spider (site time budgets) as each request is sent.
DOWNLOAD_HANDLERS = {
    "file": None,
    "ftp": None,
    "s3": None,
    "http": "scrapers.handlers.GatedHTTPDownloadHandler",
    "https": "scrapers.handlers.GatedHTTPDownloadHandler",
}

ICP_HOST_MAP = json.loads(os.environ.get("ICP_CRAWL_HOST_MAP") or "{}")
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.BackoffRetryMiddleware": 550,
    "scrapers.middlewares.HostMapMiddleware": 700,  # before HttpProxy (750): local host routing
    "scrapers.egress_middleware.EgressPolicyMiddleware": 760,  # after both: judges the request as sent
    # Responses travel from high numbers to low: decompress (960), scrub (950), then cache (900),
    # so the scrubber reads text, not gzip, and the cache keeps only scrubbed bodies.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 960,
    "scrapers.middlewares.ScrubEmailsMiddleware": 950,
}

# A relative HTTPCACHE_DIR lives in the project's .scrapy directory. Within the expiration a
# re-crawl is served from the cache and sends no request at all. The product's crawls
# (resources/crawler.py) get a private folder filled from the shared cache in PostgreSQL and set
# the expiration to the re-crawl period, ICP_RECRAWL_DAYS; the value here serves a crawl run on
# its own (scrapers.runner.run_crawl, `scrapy crawl`) and is that period's default, 7 days.
HTTPCACHE_ENABLED = True
HTTPCACHE_STORAGE = "scrapers.cache.CompactCacheStorage"
HTTPCACHE_DIR = os.environ.get("ICP_CRAWL_CACHE_DIR") or "httpcache"
HTTPCACHE_EXPIRATION_SECS = 7 * 86400
HTTPCACHE_IGNORE_HTTP_CODES = [429, 500, 502, 503, 504]
HTTPCACHE_IGNORE_SCHEMES = ["file", "data"]

ITEM_PIPELINES = {
    "scrapers.pipelines.PiiScrubPipeline": 100,
    "scrapers.limits.LengthCapPipeline": 150,  # after the scrub: stored titles, snippets, labels capped
    "scrapers.pipelines.EvidenceDedupePipeline": 200,  # after the scrub: on the values stored
}
FEED_EXPORT_ENCODING = "utf-8"
# Each record reaches the file when exported, so a crawl killed at its budget keeps what finished.
FEED_STORAGES = {"": "scrapers.feeds.UnbufferedFileFeedStorage", "file": "scrapers.feeds.UnbufferedFileFeedStorage"}
LOG_LEVEL = "INFO"

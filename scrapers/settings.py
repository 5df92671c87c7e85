"""Scrapy settings for the ICP Finder crawler: polite, bounded and cached by default.

Environment overrides: ICP_CRAWL_HOST_MAP (JSON {host: "127.0.0.1:PORT"}), ICP_CRAWL_CACHE_DIR,
ICP_CRAWL_CACHE_TTL (seconds). Everything can also be set with ``-s NAME=value``.
"""

import json
import os

BOT_NAME = "icp_finder"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"
USER_AGENT = "ICPFinderBot/0.1 (company profile research; respects robots.txt)"

# Crawl policy.
ROBOTSTXT_OBEY = True
ICP_PAGE_CAP = 25  # most pages requested per site
ICP_MIN_USEFUL_PAGES = 3  # fewer fetched pages than this marks the site's evidence as reduced
DEPTH_LIMIT = 2
CONCURRENT_REQUESTS = 32  # many sites at once ...
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # ... each one gently
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
COOKIES_ENABLED = False  # Set-Cookie headers are still read for technology fingerprints
TELNETCONSOLE_ENABLED = False

# Only http/https pages; "data" stays for the spider's end-of-crawl outcome request.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None}

# Local host routing (demo sites and tests).
ICP_HOST_MAP = json.loads(os.environ.get("ICP_CRAWL_HOST_MAP") or "{}")
DOWNLOADER_MIDDLEWARES = {"scrapers.middlewares.HostMapMiddleware": 700}  # before HttpProxy (750)

# A relative HTTPCACHE_DIR lives in the project's .scrapy directory.
HTTPCACHE_ENABLED = True
HTTPCACHE_DIR = os.environ.get("ICP_CRAWL_CACHE_DIR") or "httpcache"
HTTPCACHE_EXPIRATION_SECS = int(os.environ.get("ICP_CRAWL_CACHE_TTL") or 86400)
HTTPCACHE_IGNORE_HTTP_CODES = [429, 500, 502, 503, 504]
HTTPCACHE_IGNORE_SCHEMES = ["file", "data"]

ITEM_PIPELINES = {"scrapers.pipelines.PiiScrubPipeline": 100}
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

"""`icp crawl`: crawl websites for evidence, without a tenant (the crawler's own check)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from icp_assets.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    MAX_DELAY_S,
    MAX_PAGE_CAP,
    delay_seconds,
    page_cap,
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    try:
        from scrapers import settings as crawl_settings  # the one home of the crawl defaults

        cap_default = f"default {crawl_settings.ICP_PAGE_CAP}"
        delay_default = f"default {crawl_settings.DOWNLOAD_DELAY:g}"
    except ValueError:  # an unreadable ICP_CRAWL_* variable: `icp crawl` says which
        cap_default = delay_default = "default: the crawler's settings"

    crawl = commands.add_parser("crawl", help="crawl websites for evidence, without a tenant")
    crawl.add_argument("urls", nargs="+", metavar="URL", help="http(s) address of a site's home page")
    crawl.add_argument("--output", type=Path, required=True, help="evidence records, JSON lines")
    crawl.add_argument("--page-cap", type=page_cap, help=f"most pages per site, 1-{MAX_PAGE_CAP} ({cap_default})")
    crawl.add_argument(
        "--delay", type=delay_seconds, help=f"seconds between requests to one site, 0-{MAX_DELAY_S:g} ({delay_default})"
    )
    crawl.set_defaults(handler=_crawl)


def _crawl(args: argparse.Namespace) -> int:
    import tempfile

    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import migrate
    from resources.crawler import CrawlerResource
    from scrapers.hosts import crawlable_website
    from scrapers.runner import CrawlError, CrawlTarget

    # The output's folder must exist (nothing is created on the way) and the output be no folder;
    # checked before crawling, so a typo costs no crawl.
    if not args.output.parent.is_dir():
        print(f"crawl: {args.output.parent} is not a directory; refused, nothing crawled", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.output.is_dir():
        print(f"crawl: {args.output} is a directory, not a file; refused, nothing crawled", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from scrapers import settings as crawl_settings
    except ValueError as err:
        print(f"crawl: an ICP_CRAWL_* variable cannot be read: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    targets: dict[str, str] = {}
    refused = []
    for url in args.urls:
        try:  # IP addresses in any notation and ports the egress policy refuses are refused here already
            targets.setdefault(crawlable_website(url, crawl_settings.ICP_ALLOWED_PORTS), url)
        except ValueError as err:
            refused.append(f"crawl: {url} {err}: refused by the egress policy")
    if refused:
        print("\n".join([*refused, "nothing crawled"]), file=sys.stderr)
        return EXIT_BAD_INPUT
    migrate(product_database_url())  # the shared crawl cache's table: `icp crawl` may be a database's first use
    crawler = CrawlerResource(page_cap=args.page_cap, delay_s=args.delay)
    with tempfile.TemporaryDirectory(prefix="icp-crawl-") as tmp:
        try:
            result = crawler.crawl(
                [CrawlTarget(domain, url) for domain, url in targets.items()], Path(tmp) / "crawl.jsonl"
            )
        except CrawlError as err:
            print(err, file=sys.stderr)
            return EXIT_FAILED
    try:
        with args.output.open("w", encoding="utf-8") as out:
            for record in result.evidence:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as err:
        print(f"crawl: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return EXIT_FAILED
    for o in result.outcomes:
        evidence = sum(1 for e in result.evidence if e["company_key"] == o["company_key"])
        flag = " (reduced evidence)" if o["reduced_evidence"] else ""
        refused = o.get("refused_by_policy", 0)
        policy = f", {refused} refused by the egress policy ({_refusal_reasons(o)})" if refused else ""
        print(
            f"{o['site_url']}: {o['pages_fetched']} pages, {evidence} evidence, {o['robots_refused']} refused by"
            f" robots.txt, {o['http_errors']} errors, {o['timeouts']} timeouts{policy}{flag}"
        )
    print(f"{len(result.evidence)} evidence records written to {args.output}")
    return EXIT_OK


def _refusal_reasons(outcome: dict) -> str:
    """ "ip_literal x2, port" from an outcome's egress_* issues."""
    reasons = {k.removeprefix("egress_"): n for k, n in outcome.get("issues", {}).items() if k.startswith("egress_")}
    return ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(reasons.items())) or "policy"

"""`icp score`: grade a CSV of accounts against a tenant's accepted rules (or its current cards)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, tenant_id

if TYPE_CHECKING:
    from icp_assets.domain.scoring import AccountCrawlCounts
    from scrapers.runner import CrawlTarget

MAX_RUN_NOW_LIMIT = 1000


def add_commands(commands: argparse._SubParsersAction) -> None:
    score = commands.add_parser(
        "score", help="grade accounts (name, website) against the tenant's accepted rules, or its cards"
    )
    score.add_argument("--tenant", required=True, type=tenant_id, help="a tenant with an intake")
    score.add_argument("--accounts", required=True, type=Path, metavar="CSV", help="columns: name, website")
    score.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="CSV",
        help="name, website, uen, grade, best_rule, matched, unknown, evidence_urls",
    )
    score.set_defaults(handler=_score)


def _score(args: argparse.Namespace) -> int:
    """Check everything the user gave before writing anything: the output's folder, the run-now
    limit, the file; then the tenant (an intake, and rules or cards to grade against). Then store
    and match the accounts, crawl the first ICP_RUN_NOW_LIMIT of them that are due (the rest wait
    for the tenant's next run), grade them all and write the scored file in one rename."""
    from icp_assets.domain import scoring
    from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS
    from icp_assets.domain.intake import NoIntakeError, current_response_id
    from icp_assets.domain.matching.index_store import load_match_index
    from icp_assets.domain.matching.matcher import Matcher
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect
    from icp_assets.platform.paths import match_index_dir

    if not args.out.parent.is_dir() or args.out.is_dir():
        print(f"score: {args.out} is not a file in an existing folder; nothing was scored", file=sys.stderr)
        return EXIT_BAD_INPUT
    limit = _setting("ICP_RUN_NOW_LIMIT", scoring.DEFAULT_RUN_NOW_LIMIT, MAX_RUN_NOW_LIMIT)
    max_age = _setting("ICP_EVIDENCE_MAX_AGE", DEFAULT_EVIDENCE_MAX_AGE_DAYS, 36_500)
    if limit is None or max_age is None:
        return EXIT_BAD_INPUT
    try:
        from scrapers import settings as crawl_settings  # the ports the egress policy allows

        with args.accounts.open("rb") as file:
            raw = file.read(scoring.MAX_FILE_BYTES + 1)  # one byte over is enough to refuse it
        accounts = scoring.parse_accounts(raw, crawl_settings.ICP_ALLOWED_PORTS)
    except OSError as err:
        print(f"score: cannot read {args.accounts}: {err.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as err:  # AccountsFileError, or an unreadable ICP_CRAWL_* variable
        problems = getattr(err, "problems", [str(err)])
        print(f"score: {args.accounts} refused, nothing was scored ({len(problems)} problem(s)):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT

    url = product_database_url()
    with connect(url) as conn:
        try:
            current_response_id(conn, args.tenant)
        except NoIntakeError as err:
            print(err, file=sys.stderr)
            return EXIT_BAD_INPUT
        graded_against, rules = scoring.grading_basis(conn, args.tenant)
        if graded_against is None:
            print(
                f"score: tenant {args.tenant!r} has {scoring.NO_BASIS}; run `icp run --tenant {args.tenant}`"
                " (and `icp accept`) first; nothing was scored",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        index, _ = load_match_index(url, match_index_dir())
        ids = scoring.submit_accounts(conn, args.tenant, accounts, Matcher(index))
        targets = scoring.crawl_targets(conn, args.tenant, limit, ids)
    crawl = _crawl(targets, args.tenant, url, max_age)
    if crawl is None:
        return EXIT_FAILED
    with connect(url) as conn:
        counts = scoring.grade_accounts(conn, args.tenant, ids)
        pending = scoring.pending_count(conn, args.tenant, ids)
        rows = scoring.scored_rows(conn, args.tenant, ids)
    try:
        scoring.write_scores_csv(rows, args.out)
    except OSError as err:
        print(f"score: cannot write {args.out}: {err.strerror}", file=sys.stderr)
        return EXIT_FAILED
    grades = ", ".join(f"{grade} {n}" for grade, n in counts.by_grade.items())
    noun = {"rules": "accepted rule", "cards": "current card"}[graded_against] + ("" if len(rules) == 1 else "s")
    print(f"{len(ids)} accounts graded against {len(rules)} {noun}: {grades}")
    print(f"{crawl.crawled + crawl.failed} sites crawled now ({crawl.failed} failed); {pending} pending", end="")
    print(f", crawled by the tenant's next run (nightly, or `icp run --tenant {args.tenant}`)" if pending else "")
    print(f"written to {args.out}")
    return EXIT_OK


def _setting(name: str, default: int, most: int) -> int | None:
    """A whole-number environment setting from 0 to ``most``; None (and a message) when it is not one."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if value.isascii() and value.isdigit() and int(value) <= most:  # not "²", which isdigit() lets through
        return int(value)
    print(f"score: {name} must be a whole number from 0 to {most}; nothing was scored", file=sys.stderr)
    return None


def _crawl(targets: list[CrawlTarget], tenant: str, url: str, max_age_days: int) -> AccountCrawlCounts | None:
    """Crawl the targets through the tenants' crawler and cache and store what it found; None
    (and the crawler's message) when the crawl process failed: the accounts stay pending."""
    import tempfile

    from icp_assets.domain import scoring
    from icp_assets.platform.db import connect
    from resources.crawler import CrawlerResource
    from scrapers.runner import CrawlError, CrawlResult

    result = CrawlResult()
    if targets:
        with tempfile.TemporaryDirectory(prefix="icp-score-") as tmp:
            try:
                result = CrawlerResource().crawl(targets, Path(tmp) / "crawl.jsonl")
            except CrawlError as err:
                print(f"score: the crawl failed, the accounts stay pending for the next run: {err}", file=sys.stderr)
                return None
    with connect(url) as conn:
        return scoring.record_account_crawl(conn, tenant, result, max_age_days)

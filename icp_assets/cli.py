"""`icp`: the operator's command line. Exit codes: 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import warnings
from pathlib import Path

log = logging.getLogger("icp")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code.

    Usage errors (argparse) return 2 instead of raising SystemExit. A database error the input
    caused (a value PostgreSQL refuses: class 22 data exceptions, class 23 constraint violations)
    is exit 2 with one line, never a traceback (``-v`` logs it). A reader that stops reading
    (``icp ... | head``) ends the command quietly with exit 0: the reader got what it asked for."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2), as a return code
        _flush_stdout()
        return stop.code if isinstance(stop.code, int) else EXIT_OK if stop.code is None else EXIT_BAD_INPUT
    except BrokenPipeError:  # --help into a closed pipe
        _silence_stdout()
        return EXIT_OK
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")  # pgserver's, harmless
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    # Dagster prints a run's events through its own console logger; don't echo them twice.
    for noisy in ("pgserver", "urllib3", "alembic", "dagster"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("dagster.builtin").setLevel(logging.CRITICAL)  # the run's console logger shows them
    import psycopg

    try:
        code = args.handler(args)
        return code if _flush_stdout() else EXIT_OK
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as err:
        log.debug("the database refused the input", exc_info=True)
        reason = (getattr(err, "diag", None) and err.diag.message_primary) or str(err).splitlines()[0]
        print(f"icp: the database refused the input: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _flush_stdout() -> bool:
    """Flush stdout now, so a closed pipe shows here rather than at interpreter exit; False if closed."""
    try:
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        _silence_stdout()
        return False


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush cannot fail loudly
    (the recipe in Python's documentation on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (tests capture it)
        pass


def _parser() -> argparse.ArgumentParser:
    try:
        from scrapers import settings as crawl_settings  # the one home of the crawl defaults

        page_cap, delay = f"default {crawl_settings.ICP_PAGE_CAP}", f"default {crawl_settings.DOWNLOAD_DELAY:g}"
    except ValueError:  # an unreadable ICP_CRAWL_* variable: `icp crawl` says which
        page_cap = delay = "default: the crawler's settings"

    parser = argparse.ArgumentParser(prog="icp", description="ICP Finder: evidence-backed Ideal Customer Profiles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="the product database").add_subparsers(required=True, metavar="ACTION")
    for action, help_text in [
        ("start", "start the embedded server (no-op with ICP_DATABASE_URL)"),
        ("stop", "stop the embedded server"),
        ("status", "is the database reachable, which migrations are applied"),
        ("url", "print the product database URL, its password masked"),
        ("migrate", "apply pending schema migrations"),
        ("psql", "open psql on the product database (credentials passed in its environment)"),
    ]:
        db_action = db.add_parser(action, help=help_text)
        db_action.set_defaults(handler=_db, action=action, show_password=False)
        if action == "url":
            db_action.add_argument("--show-password", action="store_true", help="print the password too")

    intake = commands.add_parser("intake", help="tenant intakes").add_subparsers(required=True, metavar="ACTION")
    submit = intake.add_parser("submit", help="validate and store an intake JSON file")
    submit.add_argument("file", type=Path)
    submit.add_argument("--tenant", required=True, type=_tenant_id)
    submit.add_argument("--submitted-by")
    submit.set_defaults(handler=_intake_submit)

    run = commands.add_parser("run", help="materialize one tenant's partition (the job the sensor requests)")
    run.add_argument("--tenant", required=True, type=_tenant_id, help="a tenant with an intake")
    run.set_defaults(handler=_run)

    suggestions = commands.add_parser("suggestions", help="print a tenant's suggestion cards")
    suggestions.add_argument("--tenant", required=True, type=_tenant_id)
    suggestions.add_argument("--format", choices=["table", "json"], default="table")
    suggestions.set_defaults(handler=_suggestions)

    audience = commands.add_parser("audience", help="size a lookalike audience in the ACRA registry")
    audience.add_argument("--tenant", required=True, type=_tenant_id, help="its customers are left out of the audience")
    audience.add_argument(
        "--expr", required=True, help='e.g. "ssic:62011 AND (ssic2:63 OR section:J) AND NOT status:struck_off"'
    )
    audience.add_argument(
        "--sample", type=_sample_size, default=10, help="sample rows to print (0 or more; at most 1000 are printed)"
    )
    audience.set_defaults(handler=_audience)

    accept = commands.add_parser("accept", help="accept a card as a targeting rule (audited)")
    accept.add_argument("--tenant", required=True, type=_tenant_id)
    accept.add_argument("--suggestion", required=True, help="suggestion_id of a current card")
    accept.add_argument("--by", help="who accepts it")
    accept.set_defaults(handler=_accept)

    crawl = commands.add_parser("crawl", help="crawl websites for evidence, without a tenant")
    crawl.add_argument("urls", nargs="+", metavar="URL", help="http(s) address of a site's home page")
    crawl.add_argument("--output", type=Path, required=True, help="evidence records, JSON lines")
    crawl.add_argument(
        "--page-cap",
        type=_page_cap,
        help=f"most pages per site, 1-{MAX_PAGE_CAP} ({page_cap})",
    )
    crawl.add_argument(
        "--delay",
        type=_delay,
        help=f"seconds between requests to one site, 0-{MAX_DELAY_S:g} ({delay})",
    )
    crawl.set_defaults(handler=_crawl)

    registry = commands.add_parser("registry", help="the ACRA registry and SSIC reference").add_subparsers(
        required=True, metavar="ACTION"
    )
    load = registry.add_parser("load", help="load ACRA CSVs and/or SSIC files")
    load.add_argument("--acra", nargs="+", type=Path, default=[], metavar="CSV")
    load.add_argument(
        "--ssic",
        nargs="+",
        type=Path,
        default=[],
        metavar="XLSX",
        help="SingStat classification-structure and/or alphabetical-index xlsx",
    )
    load.set_defaults(handler=_registry_load)

    resolve = commands.add_parser("resolve", help="match a CSV of seeds (name, domain) to the loaded registry")
    resolve.add_argument("--input", type=Path, required=True, metavar="CSV", help="columns: name, optional domain")
    resolve.add_argument("--output", type=Path, required=True, metavar="CSV")
    resolve.set_defaults(handler=_resolve)

    analyst = commands.add_parser("analyst", help="read-only SQL logins, one tenant each").add_subparsers(
        required=True, metavar="ACTION"
    )
    analyst_add = analyst.add_parser("add", help="create a login for tenant T; prints its connection URL")
    analyst_add.add_argument("--tenant", required=True, type=_tenant_id)
    analyst_add.add_argument("--name", help="role name (default analyst_<random>)")
    analyst_add.set_defaults(handler=_analyst_add)
    analyst.add_parser("list", help="the analyst logins and their tenants").set_defaults(handler=_analyst_list)
    analyst_revoke = analyst.add_parser("revoke", help="drop an analyst login")
    analyst_revoke.add_argument("name", help="the login's role name (see `icp analyst list`)")
    analyst_revoke.set_defaults(handler=_analyst_revoke)

    commands.add_parser("ui", help="start the Dagster UI on the product database").set_defaults(handler=_ui)
    return parser


def _tenant_id(value: str) -> str:
    """argparse type of every --tenant: the id intakes are stored under, or a usage error (exit 2)."""
    from icp_assets.domain.intake import TENANT_ID, TENANT_RULE

    if not TENANT_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} {TENANT_RULE}")
    return value


def _sample_size(value: str) -> int:
    """argparse type of --sample: a whole number, 0 or more (a huge one is capped when sizing)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: the sample size must be 0 or more")
    return number


MAX_PAGE_CAP, MAX_DELAY_S = 1000, 60.0


def _page_cap(value: str) -> int:
    """argparse type of --page-cap: a whole number of pages, 1 to MAX_PAGE_CAP."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PAGE_CAP:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number from 1 to {MAX_PAGE_CAP}")
    return number


def _delay(value: str) -> float:
    """argparse type of --delay: a finite number of seconds, 0 to MAX_DELAY_S (nan and inf refused)."""
    import math

    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and 0 <= number <= MAX_DELAY_S):
        raise argparse.ArgumentTypeError(f"{value!r} must be a number of seconds from 0 to {MAX_DELAY_S:g}")
    return number


def _db(args: argparse.Namespace) -> int:
    from icp_assets.platform import embedded, paths
    from icp_assets.platform.database import product_database_url, redact_url
    from icp_assets.platform.db import migrate

    external = os.environ.get("ICP_DATABASE_URL")
    if args.action == "stop":
        if external:
            print("ICP_DATABASE_URL is set: that server is not ours to stop")
            return EXIT_OK
        print("stopped" if embedded.stop_embedded_server() else "not running")
        return EXIT_OK
    if args.action == "status" and not external and not embedded.embedded_server_running():
        print(f"embedded server not running (data directory {paths.embedded_pgdata()})")
        return EXIT_FAILED
    url = product_database_url()
    shown = url if args.show_password else redact_url(url)  # a password is printed only on request
    if args.action == "url":
        print(shown)
    elif args.action == "psql":
        return _psql(url)
    elif args.action in ("start", "migrate"):
        applied = migrate(url)
        print(f"{shown}\nmigrations applied: {', '.join(applied) or 'none pending'}")
    elif args.action == "status":
        from icp_assets.platform.db import connect

        with connect(url) as conn:
            versions = [r[0] for r in conn.execute("select version from public.icp_schema_migrations order by 1")]
            server = conn.execute("show server_version").fetchone()[0]
        print(f"{shown}\nPostgreSQL {server}; migrations: {', '.join(versions)}")
    return EXIT_OK


def _psql(url: str) -> int:
    """Replace this process with psql, the connection in PG* variables: no credential on its
    command line (where `ps` shows it) or on the terminal."""
    import shutil

    import psycopg

    from icp_assets.platform.database import libpq_environment

    try:
        env = libpq_environment(url)
    except (ValueError, psycopg.ProgrammingError) as err:
        print(f"db psql: cannot pass the database URL to psql: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    psql = shutil.which("psql")
    if psql is None:
        print("db psql: psql is not on PATH; install the PostgreSQL client", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(psql, ["psql"], {**os.environ, **env})


def _intake_submit(args: argparse.Namespace) -> int:
    from icp_assets.domain.intake import MAX_INTAKE_BYTES, IntakeError, parse_intake, submit_intake
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with args.file.open("rb") as file:
            raw = file.read(MAX_INTAKE_BYTES + 1)  # one byte over is enough to refuse it
    except OSError as err:
        print(f"intake: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        intake = parse_intake(raw)
        with connect(product_database_url()) as conn:
            response_id = submit_intake(conn, args.tenant, intake, args.submitted_by)
    except IntakeError as err:
        print(f"intake rejected, nothing was written ({len(err.problems)} problem(s)):", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(response_id)
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.instance import prepare_environment
    from icp_assets.runs import run_tenant

    url = prepare_environment()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the run's progress (dbt's included) is not output
            result = run_tenant(DagsterInstance.get(), url, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"run {result.run_id} for {args.tenant}: {'succeeded' if result.success else 'failed'}")
    return EXIT_OK if result.success else EXIT_FAILED


def _suggestions(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.publish import latest_cards
    from icp_assets.domain.cards.render import format_cards
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            cards = latest_cards(conn, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(cards, indent=2))
    else:
        print(format_cards(args.tenant, cards))
    return EXIT_OK


def _audience(args: argparse.Namespace) -> int:
    from icp_assets.domain.audience import ExpressionError, parse, size_audience
    from icp_assets.domain.intake import NoIntakeError, current_response_id
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        parse(args.expr)  # a malformed expression is refused before the database is reached
        with connect(product_database_url()) as conn:
            current_response_id(conn, args.tenant)  # like every tenant command: a tenant with an intake
            result = size_audience(conn, args.tenant, args.expr, args.sample)
    except ExpressionError as err:
        print(f"bad expression:\n{err.pointer(args.expr)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{result.total} registry entities match (excluding {args.tenant}'s customers)")
    for row in result.sample:
        print(f"  {row['uen']:<12} {row['ssic'] or '-':<6} {row['postal_code'] or '-':<7} {row['name']}")
    return EXIT_OK


def _accept(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.accept import accept_card
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    with connect(product_database_url()) as conn:
        try:
            rule_id = accept_card(conn, args.tenant, args.suggestion, args.by)
        except LookupError as err:
            print(err, file=sys.stderr)
            return EXIT_BAD_INPUT
    print(rule_id)
    return EXIT_OK


def _crawl(args: argparse.Namespace) -> int:
    import tempfile

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


def _registry_load(args: argparse.Namespace) -> int:
    from icp_assets.domain.registry.acra import load_acra_csvs
    from icp_assets.domain.registry.ssic import load_ssic_index, load_ssic_structure
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import migrate

    if not args.acra and not args.ssic:
        print("registry load: give --acra CSV... and/or --ssic XLSX...", file=sys.stderr)
        return EXIT_BAD_INPUT
    missing = [p for p in [*args.acra, *args.ssic] if not p.is_file()]
    if missing:
        print(f"registry load: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    url = product_database_url()
    migrate(url)
    if args.acra:
        stats = load_acra_csvs(url, args.acra, progress=lambda n: log.info("acra: %s rows read", f"{n:,}"))
        print(f"acra_entities: {stats}")
    for path in args.ssic:
        if "index" in path.name.lower():
            print(f"ssic_index: {load_ssic_index(url, path)} phrases")
        else:
            print(f"ssic_codes: {load_ssic_structure(url, path)} codes")
    return EXIT_OK


def _resolve(args: argparse.Namespace) -> int:
    from icp_assets.domain.matching.index_store import load_match_index
    from icp_assets.domain.matching.matcher import Matcher
    from icp_assets.domain.matching.resolve import ResolveInputError, resolve_csv
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import migrate
    from icp_assets.platform.paths import match_index_dir

    if not args.input.is_file():
        print(f"resolve: no such file: {args.input}", file=sys.stderr)
        return EXIT_BAD_INPUT
    url = product_database_url()
    migrate(url)
    index, _ = load_match_index(url, match_index_dir())
    try:
        counts = resolve_csv(Matcher(index), args.input, args.output)
    except ResolveInputError as err:
        print(f"resolve: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.output}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    return EXIT_OK


def _analyst_add(args: argparse.Namespace) -> int:
    from icp_assets.platform.analysts import AnalystError, add_analyst, analyst_url
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    url = product_database_url()
    try:
        with connect(url) as conn:
            role, password = add_analyst(conn, args.tenant, args.name)
    except AnalystError as err:
        print(f"analyst add: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    log.info("created analyst login %s for tenant %s", role, args.tenant)
    print(analyst_url(url, role, password))
    return EXIT_OK


def _analyst_list(args: argparse.Namespace) -> int:
    from icp_assets.platform.analysts import list_analysts
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    with connect(product_database_url()) as conn:
        logins = list_analysts(conn)
    for login in logins:
        missing = "" if login.role_exists else "  (role missing)"
        created = login.created_at.strftime("%Y-%m-%d %H:%M")
        print(f"{login.role_name}\t{login.tenant_id}\t{created}\t{login.created_by}{missing}")
    return EXIT_OK


def _analyst_revoke(args: argparse.Namespace) -> int:
    from icp_assets.platform.analysts import AnalystError, RoleNotDropped, revoke_analyst
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            conn.autocommit = True  # revoke_analyst commits step by step
            tenant = revoke_analyst(conn, args.name)
    except AnalystError as err:
        print(f"analyst revoke: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RoleNotDropped as err:  # access is gone; the role waits for its objects elsewhere
        log.debug("role not dropped", exc_info=True)
        print(f"analyst revoke: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"revoked {args.name} (tenant {tenant})")
    return EXIT_OK


def _ui(args: argparse.Namespace) -> int:
    from icp_assets.platform.instance import prepare_environment

    prepare_environment()
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    os.execv(dagster, [str(dagster), "dev", "-w", str(workspace)])


if __name__ == "__main__":
    sys.exit(main())

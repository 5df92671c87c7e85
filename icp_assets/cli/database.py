"""`icp db`, `icp analyst` and `icp ui`: the product database, analyst logins, the Dagster UI."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, tenant_id

log = logging.getLogger("icp")


def add_commands(commands: argparse._SubParsersAction) -> None:
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

    analyst = commands.add_parser("analyst", help="read-only SQL logins, one tenant each").add_subparsers(
        required=True, metavar="ACTION"
    )
    analyst_add = analyst.add_parser("add", help="create a login for tenant T; prints its connection URL")
    analyst_add.add_argument("--tenant", required=True, type=tenant_id)
    analyst_add.add_argument("--name", help="role name (default analyst_<random>)")
    analyst_add.set_defaults(handler=_analyst_add)
    analyst.add_parser("list", help="the analyst logins and their tenants").set_defaults(handler=_analyst_list)
    analyst_revoke = analyst.add_parser("revoke", help="drop an analyst login")
    analyst_revoke.add_argument("name", help="the login's role name (see `icp analyst list`)")
    analyst_revoke.set_defaults(handler=_analyst_revoke)

    commands.add_parser("ui", help="start the Dagster UI on the product database").set_defaults(handler=_ui)


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
    workspace = Path(__file__).resolve().parents[2] / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    os.execv(dagster, [str(dagster), "dev", "-w", str(workspace)])

"""Shared fixtures: every database test runs against a real PostgreSQL.

The server is the one ICP_DATABASE_URL names, or else an embedded pgserver of the tests' own. Each
test session (and each test that asks for `fresh_database_url`) gets its own new database,
dropped afterwards, so tests never see the demo's data or each other's. New databases are copies
of one migrated template (see `make_database`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from icp_assets.platform.database import database_name, drop_database, export_connection_env, with_database
from icp_assets.platform.db import migrate
from icp_assets.platform.embedded import embedded_server_running, start_embedded_server, stop_embedded_server
from icp_assets.platform.paths import icp_home


def pytest_configure(config: pytest.Config) -> None:
    """Tests crawl only local fixture sites: the crawler's DNS test seam replaces DNS (names it does
    not list resolve to nothing), so no lookup ever leaves the machine, whatever a test crawls."""
    os.environ.setdefault("ICP_CRAWL_TEST_DNS", "{}")


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL to the test server's maintenance database.

    Without ICP_DATABASE_URL the tests run their own embedded server ($ICP_HOME/test-pgdata), apart
    from the one `make demo` uses, and stop it at the end if this session started it.
    """
    external = os.environ.get("ICP_DATABASE_URL")
    if external:
        yield with_database(external, "postgres")
        return
    pgdata = icp_home() / "test-pgdata"
    was_running = embedded_server_running(pgdata)
    yield start_embedded_server(pgdata).get_uri("postgres")
    if not was_running:
        stop_embedded_server(pgdata)


def copy_database(server_url: str, template_url: str) -> str:
    """A new database on the server holding what ``template_url``'s holds (nobody may be connected
    to that one), hardened as `migrate` hardens a database: a copy does not carry the privileges
    granted on the database itself."""
    url = with_database(server_url, f"icp_test_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(database_name(url)), sql.Identifier(database_name(template_url))
            )
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select icp.harden_product_databases()")
    return url


@pytest.fixture(scope="session")
def make_database(server_url: str) -> Iterator[Callable[..., str]]:
    """Factory of new migrated databases on the test server; all are dropped at the end.

    The suite makes some 200 databases and migrating one takes about a second, so the migrations run
    once, into a template, and each new database is a copy of it (a tenth of the time). Given a
    template URL (a database made here and filled, like the e2e tests' registry), the factory copies
    that one instead.
    """
    template = with_database(server_url, f"icp_test_template_{uuid.uuid4().hex[:10]}")
    migrate(template)
    created: list[str] = []

    def make(template_url: str | None = None) -> str:
        url = copy_database(server_url, template_url or template)
        created.append(url)
        return url

    yield make
    for url in [*created, template]:
        drop_database(url)


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str]) -> Iterator[str]:
    """The session's database, exported the way `icp` exports it (ICP_DATABASE_URL, ICP_PG_*)."""
    url = make_database()
    saved = {
        k: os.environ.get(k)
        for k in (
            "ICP_DATABASE_URL",
            "ICP_PG_HOST",
            "ICP_PG_PORT",
            "ICP_PG_USER",
            "ICP_PG_PASSWORD",
            "ICP_PG_DBNAME",
            "ICP_DAGSTER_DATABASE_URL",
        )
    }
    os.environ["ICP_DATABASE_URL"] = url
    export_connection_env(url)
    yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def fresh_database_url(make_database: Callable[[], str]) -> str:
    return make_database()

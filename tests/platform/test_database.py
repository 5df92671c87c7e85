"""Reaching the product database: URLs for another database, Dagster's sibling database, and the
connection variables dbt reads, for TCP and Unix-socket URLs alike."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from icp_assets.platform.database import (
    connection_env,
    dagster_database_url,
    database_name,
    drop_database,
    ensure_database,
    product_database_url,
    with_database,
)

SOCKET_URL = "postgresql://postgres:@/icp?host=/tmp/pg%20sock&port=5433"
TCP_URL = "postgresql://icp:s3cret@db.internal:6543/product"


@pytest.mark.parametrize(
    ("url", "database", "expected"),
    [
        (TCP_URL, "other", "postgresql://icp:s3cret@db.internal:6543/other"),
        (SOCKET_URL, "postgres", "postgresql://postgres:@/postgres?host=/tmp/pg%20sock&port=5433"),
        ("postgresql://localhost", "icp_test_1", "postgresql://localhost/icp_test_1"),
    ],
)
def test_with_database_changes_only_the_database(url: str, database: str, expected: str) -> None:
    assert with_database(url, database) == expected
    assert database_name(expected) == database


def test_a_url_without_a_host_keeps_its_empty_authority() -> None:
    """postgresql:///icp is libpq's "local socket, default port" form."""
    assert with_database("postgresql:///icp", "postgres") == "postgresql:///postgres"
    assert dagster_database_url("postgresql:///icp") == "postgresql+psycopg2:///icp_dagster"


def test_dagster_gets_a_sibling_database_driven_by_psycopg2() -> None:
    assert dagster_database_url(TCP_URL) == "postgresql+psycopg2://icp:s3cret@db.internal:6543/product_dagster"
    assert dagster_database_url(SOCKET_URL).endswith("@/icp_dagster?host=/tmp/pg%20sock&port=5433")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (TCP_URL, ("db.internal", "6543", "icp", "s3cret", "product")),
        (SOCKET_URL, ("/tmp/pg sock", "5433", "postgres", "", "icp")),
        ("postgresql://localhost", ("localhost", "5432", "postgres", "", "postgres")),
    ],
)
def test_connection_env_is_what_dbt_needs_to_reach_the_same_database(url: str, expected: tuple) -> None:
    env = connection_env(url)
    keys = ("ICP_PG_HOST", "ICP_PG_PORT", "ICP_PG_USER", "ICP_PG_PASSWORD", "ICP_PG_DBNAME")
    assert tuple(env[k] for k in keys) == expected
    assert env["ICP_DAGSTER_DATABASE_URL"] == dagster_database_url(url)


def test_the_env_reaches_the_real_server(database_url: str) -> None:
    env = connection_env(database_url)
    conninfo = {"host": env["ICP_PG_HOST"], "port": env["ICP_PG_PORT"], "user": env["ICP_PG_USER"]}
    with psycopg.connect(dbname=env["ICP_PG_DBNAME"], password=env["ICP_PG_PASSWORD"] or None, **conninfo) as conn:
        assert conn.execute("select current_database()").fetchone() == (database_name(database_url),)


def test_ensure_and_drop_database(server_url: str) -> None:
    url = with_database(server_url, f"icp_ensure_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    ensure_database(url)  # already there: nothing to do
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    drop_database(url)
    drop_database(url)  # already gone: nothing to do
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url).close()


def test_ensure_database_accepts_dagsters_url_form(server_url: str) -> None:
    url = dagster_database_url(with_database(server_url, f"icp_sa_{uuid.uuid4().hex[:8]}"))
    ensure_database(url)
    try:
        with psycopg.connect(url.replace("postgresql+psycopg2://", "postgresql://")) as conn:
            assert conn.execute("select current_database()").fetchone() == (database_name(url),)
    finally:
        drop_database(url)


def test_icp_database_url_names_the_product_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICP_DATABASE_URL", TCP_URL)
    assert product_database_url() == TCP_URL

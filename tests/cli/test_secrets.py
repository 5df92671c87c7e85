"""Secrets: no command prints the database password unless asked (`icp db url --show-password`),
`icp db psql` hands psql its credentials in the environment, and percent-encoded credentials are
decoded before they reach dbt."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg.conninfo import conninfo_to_dict

from demo.catalog import demo_intake
from icp_assets import cli
from icp_assets.cli import EXIT_OK, main
from icp_assets.platform.database import connection_env, connection_parts, libpq_environment, redact_url

ICP = str(Path(sys.executable).with_name("icp"))
PASSWORD = "S3cr@t/pw:%x"  # every character that needs percent-encoding in a URL's user part


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@db.example.com:5433/icp", "postgresql://u:***@db.example.com:5433/icp"),
        ("postgresql://u%40x:p%2Fw%40rd@host/db", "postgresql://u%40x:***@host/db"),
        ("postgresql://u:secret@host", "postgresql://u:***@host"),
        ("postgresql://u:secret@host?sslmode=require", "postgresql://u:***@host?sslmode=require"),
        ("postgresql://u:a@b@host/db", "postgresql://u:***@host/db"),  # an unencoded @ in the password
        (
            "postgresql:///icp?host=/run/pg&password=secret&user=u",
            "postgresql:///icp?host=/run/pg&password=***&user=u",
        ),
        ("postgresql+psycopg2://u:secret@h/icp_dagster", "postgresql+psycopg2://u:***@h/icp_dagster"),
        # nothing to hide: unchanged
        ("postgresql://postgres:@/icp?host=/tmp/pg", "postgresql://postgres:@/icp?host=/tmp/pg"),
        ("postgresql://u@host/db", "postgresql://u@host/db"),
        ("postgresql:///icp", "postgresql:///icp"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "secret" not in redact_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u%40x:p%2Fw%40rd@host/db",
        f"postgresql://{quote('ops@acme', safe='')}:{quote(PASSWORD, safe='')}@db.example.com:6543/my%20db",
        "postgresql://postgres:@/icp?host=/tmp/socket%20dir",
        "postgresql://%2Fvar%2Frun%2Fpostgresql/icp",
        "postgresql:///icp?host=/run/pg&user=reader&password=p%26w&port=5499",
    ],
)
def test_credentials_reach_dbt_decoded_as_libpq_reads_them(url: str) -> None:
    libpq = conninfo_to_dict(url)
    parts = connection_parts(url)
    assert parts.user == libpq.get("user", "postgres")
    assert parts.password == libpq.get("password", "")
    assert parts.host == libpq["host"]
    assert parts.dbname == libpq["dbname"]
    assert str(parts.port) == libpq.get("port", "5432")
    env = connection_env(url)
    assert (env["ICP_PG_USER"], env["ICP_PG_PASSWORD"], env["ICP_PG_DBNAME"]) == (
        parts.user,
        parts.password,
        parts.dbname,
    )


def test_the_example_from_the_issue() -> None:
    env = connection_env("postgresql://u%40x:p%2Fw%40rd@host/db")
    assert (env["ICP_PG_USER"], env["ICP_PG_PASSWORD"]) == ("u@x", "p/w@rd")


def _with_password(url: str) -> tuple[str, list[str]]:
    """The test database's URL with a password in it (the servers the tests use trust local
    connections, so any password works), and the forms of it that must never be printed."""
    existing = connection_parts(url).password
    if existing:
        return url, [existing, quote(existing, safe="")]
    scheme, rest = url.split("://", 1)
    userinfo, at, host = rest.rpartition("@")
    user = userinfo.partition(":")[0] if at else "postgres"
    encoded = quote(PASSWORD, safe="")
    return f"{scheme}://{user}:{encoded}@{host}", [PASSWORD, encoded, "S3cr"]


@pytest.fixture
def secret_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    url, secrets = _with_password(database_url)
    monkeypatch.setenv("ICP_DATABASE_URL", url)
    return url, secrets


@pytest.mark.parametrize(
    "arguments",
    [
        ["db", "url"],
        ["db", "status"],
        ["db", "migrate"],
        ["db", "start"],
        ["db", "stop"],
        ["-v", "db", "status"],
        ["-v", "db", "migrate"],
        ["suggestions", "--tenant", "secret-tenant"],
        ["audience", "--tenant", "secret-tenant", "--expr", "ssic2:62"],
        ["-v", "intake", "submit", "{intake}", "--tenant", "secret-tenant"],
    ],
    ids=" ".join,
)
def test_no_command_prints_the_password(
    arguments: list[str],
    secret_url: tuple[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, secrets = secret_url
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(demo_intake()))
    caplog.set_level(logging.DEBUG)
    main([a.replace("{intake}", str(intake)) for a in arguments])
    out, err = capsys.readouterr()
    printed = out + err + caplog.text
    assert printed.strip()
    for secret in secrets:
        assert secret not in printed
    if arguments[-1] == "url":
        assert out.strip() == redact_url(url) and ":***@" in out


def test_db_url_shows_the_password_when_asked(
    secret_url: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = secret_url
    assert main(["db", "url", "--show-password"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == url


class _Exec(Exception):
    pass


def test_db_psql_passes_credentials_in_the_environment_only(
    secret_url: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, secrets = secret_url
    calls = []

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        calls.append((path, argv, env))
        raise _Exec

    monkeypatch.setattr(cli.os, "execve", execve)
    with pytest.raises(_Exec):
        main(["db", "psql"])
    ((path, argv, env),) = calls
    assert Path(path).name == "psql" and argv == ["psql"]  # nothing on the command line `ps` shows
    parts = connection_parts(url)
    assert env["PGPASSWORD"] == parts.password  # decoded
    assert (env["PGUSER"], env["PGDATABASE"], env["PGHOST"]) == (parts.user, parts.dbname, parts.host)
    assert libpq_environment(url).items() <= env.items()
    out, err = capsys.readouterr()
    assert not any(secret in out + err for secret in secrets)


def test_db_psql_opens_a_working_psql_without_printing_credentials(
    secret_url: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, secrets = secret_url
    if not any(Path(d, "psql").exists() for d in os.environ.get("PATH", "").split(os.pathsep)):
        pytest.skip("no psql client on PATH")
    done = subprocess.run(
        [ICP, "db", "psql"],
        input="select 'connected to ' || current_database();\n",
        env={**os.environ, "ICP_DATABASE_URL": url, "ICP_HOME": str(tmp_path), "PSQLRC": os.devnull},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"connected to {connection_parts(url).dbname}" in done.stdout
    assert not any(secret in done.stdout + done.stderr for secret in secrets)


def test_db_psql_without_psql_on_path_fails_cleanly(
    secret_url: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["db", "psql"]) == 1
    assert "psql is not on PATH" in capsys.readouterr().err

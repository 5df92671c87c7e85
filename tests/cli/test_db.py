"""`icp db`: the embedded server's lifecycle, and the same commands against ICP_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from icp_assets.cli import EXIT_FAILED, EXIT_OK, main
from icp_assets.platform.db import migration_files


def _applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [v for (v,) in conn.execute("select version from public.icp_schema_migrations order by 1")]


def test_embedded_server_start_status_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ICP_DATABASE_URL", raising=False)
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))
    versions = [version for version, _ in migration_files()]

    assert main(["db", "status"]) == EXIT_FAILED
    assert "not running" in capsys.readouterr().out

    assert main(["db", "start"]) == EXIT_OK
    assert f"migrations applied: {', '.join(versions)}" in capsys.readouterr().out
    assert (tmp_path / "home" / "pgdata").is_dir()  # the server's data lives under ICP_HOME

    assert main(["db", "url"]) == EXIT_OK
    url = capsys.readouterr().out.strip()
    assert "/icp?host=/" in url  # the embedded server listens on a Unix socket only
    assert _applied(url) == versions  # the printed URL reaches the migrated product database

    assert main(["db", "status"]) == EXIT_OK
    assert f"migrations: {', '.join(versions)}" in capsys.readouterr().out
    assert main(["db", "start"]) == EXIT_OK  # a second start reuses the running server
    assert "none pending" in capsys.readouterr().out

    assert main(["db", "stop"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == "stopped"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()
    assert main(["db", "status"]) == EXIT_FAILED
    assert main(["db", "stop"]) == EXIT_OK
    assert capsys.readouterr().out.strip().endswith("not running")


def test_external_database_is_used_and_never_stopped(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "url"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == database_url
    assert main(["db", "migrate"]) == EXIT_OK
    assert "none pending" in capsys.readouterr().out
    assert main(["db", "stop"]) == EXIT_OK
    assert "not ours to stop" in capsys.readouterr().out
    assert _applied(database_url) == [version for version, _ in migration_files()]  # still up and answering

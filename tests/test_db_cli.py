"""`icp db`: the embedded server's lifecycle, and the same commands against ICP_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from icp_assets.cli import main


def test_embedded_server_start_status_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ICP_DATABASE_URL", raising=False)
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))

    assert main(["db", "status"]) == 1
    assert "not running" in capsys.readouterr().out

    assert main(["db", "start"]) == 0
    started = capsys.readouterr().out
    assert "0001_initial" in started

    assert main(["db", "status"]) == 0
    assert "migrations: 0001_initial" in capsys.readouterr().out
    assert main(["db", "url"]) == 0
    assert "/icp?host=/" in capsys.readouterr().out  # the embedded server listens on a Unix socket only

    assert main(["db", "stop"]) == 0
    assert capsys.readouterr().out.strip() == "stopped"
    assert main(["db", "status"]) == 1


def test_external_database_is_used_and_never_stopped(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip() == database_url
    assert main(["db", "migrate"]) == 0
    assert "none pending" in capsys.readouterr().out
    assert main(["db", "stop"]) == 0
    assert "not ours to stop" in capsys.readouterr().out

"""`icp registry load` on a terminal: the ACRA load's progress as a bar, its other records logged as usual."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from icp_assets.cli.registry import progress_bars
from icp_assets.domain.registry import acra
from tests.support.csv_files import write_csv


def test_a_slow_load_draws_a_progress_bar(
    tmp_path: Path,
    fresh_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
):
    monkeypatch.setattr(acra, "PROGRESS_SECONDS", 0.0)  # every load is a slow one
    rows = [[f"2019{i:05d}A", f"COMPANY {i} PTE. LTD."] for i in range(1500)]
    path = write_csv(tmp_path / "ACRAInformationonCorporateEntitiesC.csv", ["uen", "entity_name"], rows)
    with caplog.at_level(logging.INFO), progress_bars():
        acra.load_acra_csvs(fresh_database_url, [path])

    bars = capsys.readouterr().err.splitlines()
    assert bars[-1] == f"registry load [{'#' * 30}] 100%  1,500 rows  {path.name}"
    assert not any("copying the ACRA files" in message for message in caplog.messages)  # drawn, not logged
    assert any(message.startswith("ACRA load (full_release=False)") for message in caplog.messages)
    assert not logging.getLogger(acra.__name__).handlers  # as it was after the load

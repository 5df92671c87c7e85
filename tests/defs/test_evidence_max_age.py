"""ICP_EVIDENCE_MAX_AGE reaches both evidence stages through the resources the code location wires."""

from __future__ import annotations

import dagster as dg
import pytest

from icp_assets.definitions import resources


def _max_ages() -> tuple[int, int]:
    wired = resources()
    with dg.build_resources({"crawler": wired["crawler"], "llm_client": wired["llm_client"]}) as built:
        return built.crawler.evidence_max_age_days, built.llm_client.evidence_max_age_days


def test_the_maximum_evidence_age_is_90_days_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICP_EVIDENCE_MAX_AGE", raising=False)
    assert _max_ages() == (90, 90)
    monkeypatch.setenv("ICP_EVIDENCE_MAX_AGE", "30")
    assert _max_ages() == (30, 30)

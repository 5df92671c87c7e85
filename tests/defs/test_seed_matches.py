"""seed_matches: its metadata and its two WARN checks, decided at their thresholds
(>= 80% of seeds matched; mapping within 300 s)."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg
import psycopg
import pytest

from icp_assets.defs import tenant
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import seed_matches
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.matching.index_store import registry_version
from icp_assets.domain.seeds import link_seeds_to_companies
from resources.postgres import PostgresResource

TENANT = "sla"
# Ten seeds; each registered one is an exact match, each other one shares no word with the registry.
REGISTERED = ["Zephyra Logistics", "Quillon Foods", "Marvessa Trading", "Brontel Engineering", "Calyxo Bakery",
              "Dravimo Freight", "Estorra Clinics", "Fenwyck Textiles", "Gorlanti Marine", "Hyvena Studios"]  # fmt: skip
STRANGERS = ["Ulmquist Ventures", "Tzarovic Apparel", "Ophrenia Labs"]


def _materialize(url: str, matched: int) -> dg.ExecuteInProcessResult:
    """A tenant of ten seeds, ``matched`` of which are in the registry; seed_matches materialized once."""
    seeds = REGISTERED[:matched] + STRANGERS[: 10 - matched]
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description)"
            " values (%s, %s, 'Live Company')",
            [(f"2020{i:05d}A", f"{name.upper()} PTE. LTD.") for i, name in enumerate(REGISTERED)],
        )
        intake = {
            "website": "https://vendor.example.com",
            "best_customers": [{"name": n, "website": f"https://{n.split()[0].lower()}.sg"} for n in seeds],
        }
        submit_intake(conn, TENANT, Intake.model_validate(intake), None)
        link_seeds_to_companies(conn, TENANT)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
    return dg.materialize(
        [seed_matches],
        partition_key=TENANT,
        instance=instance,
        resources={"postgres": PostgresResource(database_url=url)},
    )


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


@pytest.fixture(autouse=True)
def icp_home(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))  # the match index is saved there


@pytest.mark.parametrize(("matched", "passed"), [(8, True), (7, False)])
def test_match_rate_check_passes_from_80_percent(fresh_database_url: str, matched: int, passed: bool) -> None:
    result = _materialize(fresh_database_url, matched)
    assert result.success  # a WARN check never fails the run
    check = _check(result, "match_rate_sla")
    assert (check.passed, check.severity) == (passed, dg.AssetCheckSeverity.WARN)
    assert check.metadata["match_rate"].value == pytest.approx(matched / 10)

    metadata = result.asset_materializations_for_node("seed_matches")[0].metadata
    assert {k: metadata[k].value for k in ("seeds", "matched", "ambiguous", "unmatched")} == {
        "seeds": 10,
        "matched": matched,
        "ambiguous": 0,
        "unmatched": 10 - matched,
    }
    assert metadata["registry_version"].value == registry_version(fresh_database_url)
    assert metadata["registry_evidence_rows"].value > 0


@pytest.mark.parametrize(("seconds", "passed"), [(300.0, True), (300.5, False)])
def test_mapping_time_check_passes_up_to_300_seconds(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, seconds: float, passed: bool
) -> None:
    clock = iter([1000.0, 1000.0 + seconds])  # the asset reads the clock when it starts and when it is done
    monkeypatch.setattr(tenant, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    result = _materialize(fresh_database_url, 10)
    assert result.success
    check = _check(result, "mapping_time_sla")
    assert (check.passed, check.severity) == (passed, dg.AssetCheckSeverity.WARN)
    assert check.metadata["elapsed_s"].value == pytest.approx(seconds)
    assert _check(result, "match_rate_sla").passed

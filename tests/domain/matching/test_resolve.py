"""`icp resolve` end to end: a seeds CSV in, a matches CSV out, against a loaded registry."""

import csv
import json

import pytest

from demo.catalog import all_companies
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.registry.acra import load_acra_csvs
from tests.support.csv_files import write_csv


@pytest.fixture
def registry_url(tmp_path, fresh_database_url, monkeypatch):
    paths = generate_acra_csvs(tmp_path / "acra", entities=1500, seed=11, extra=all_companies())
    load_acra_csvs(fresh_database_url, paths)
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "home"))
    return fresh_database_url


def test_resolve_writes_one_row_per_seed(tmp_path, registry_url, capsys):
    companies = all_companies()
    seeds = write_csv(
        tmp_path / "seeds.csv",
        ["Name", "Domain"],
        [
            *[[c.name, c.domain] for c in companies],
            ["Completely Unknown Widgets", ""],
            ["Pte. Ltd.", ""],
        ],
    )
    out = tmp_path / "matches.csv"
    assert main(["resolve", "--input", str(seeds), "--output", str(out)]) == EXIT_OK
    rows = list(csv.DictReader(open(out)))
    # One row per seed, in input order, echoing the seed as given.
    assert [(r["name"], r["domain"]) for r in rows] == [
        *[(c.name, c.domain) for c in companies],
        ("Completely Unknown Widgets", ""),
        ("Pte. Ltd.", ""),
    ]
    for company, row in zip(companies, rows[: len(companies)], strict=True):
        assert (row["status"], row["uen"]) == ("matched", company.uen), company.name
        assert row["entity_name"] == company.legal_name
        assert float(row["score"]) >= 0.85 and row["method"] in {"domain", "exact", "fuzzy", "former_name"}
        candidates = json.loads(row["candidates"])
        assert 1 <= len(candidates) <= 3 and candidates[0]["uen"] == company.uen
    unknown, suffix_only = rows[-2:]
    assert (unknown["status"], unknown["uen"], unknown["method"]) == ("unmatched", "", "")
    assert (suffix_only["status"], suffix_only["candidates"]) == ("unmatched", "[]")
    assert f"{len(companies)} matched" in capsys.readouterr().out
    # The index was saved for this registry version and is reused by the next run.
    saved = list((tmp_path / "home" / "match-index").glob("match-index-*.npz"))
    assert len(saved) == 1
    before = saved[0].stat().st_mtime_ns
    assert main(["resolve", "--input", str(seeds), "--output", str(tmp_path / "again.csv")]) == EXIT_OK
    assert saved[0].stat().st_mtime_ns == before
    assert (tmp_path / "again.csv").read_text() == out.read_text()


def test_resolve_rejects_input_without_a_name_column(tmp_path, registry_url, capsys):
    seeds = write_csv(tmp_path / "seeds.csv", ["company", "domain"], [["Harbourline Logistics", "harbourline.sg"]])
    out = tmp_path / "matches.csv"
    assert main(["resolve", "--input", str(seeds), "--output", str(out)]) == EXIT_BAD_INPUT
    assert "`name` column" in capsys.readouterr().err
    assert not out.exists()
    assert main(["resolve", "--input", str(tmp_path / "missing.csv"), "--output", str(out)]) == EXIT_BAD_INPUT

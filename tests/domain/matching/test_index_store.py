"""The match index over the loaded registry: streamed from PostgreSQL, saved once per registry version."""

import pytest

from demo.catalog import all_companies
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.domain.matching.index_store import fetch_registry_entities, load_match_index, registry_version
from icp_assets.domain.matching.matcher import Matcher, MatchIndex
from icp_assets.domain.registry.acra import load_acra_csvs
from tests.support.csv_files import write_csv


@pytest.fixture
def registry(tmp_path, fresh_database_url):
    """A database holding a 500-entity synthetic registry plus the demo companies; (url, its CSVs)."""
    paths = generate_acra_csvs(tmp_path / "acra", entities=500, seed=4, extra=all_companies())
    load_acra_csvs(fresh_database_url, paths)
    return fresh_database_url, paths


def test_matcher_from_registry(tmp_path, fresh_database_url):
    paths = generate_acra_csvs(tmp_path, entities=2000, seed=9, extra=all_companies())
    load_acra_csvs(fresh_database_url, paths)
    entities = list(fetch_registry_entities(fresh_database_url, batch_size=500))
    assert len(entities) == 2000 + len(all_companies())
    matcher = Matcher(MatchIndex.build(entities))
    for company in all_companies():
        result = matcher.match(company.name, company.domain)
        assert (result.status, result.uen) == ("matched", company.uen), company.name
    assert matcher.match("Ang Fishery Supplies").method == "former_name"  # former names are streamed too


def test_match_index_is_saved_per_registry_version(tmp_path, registry):
    url, paths = registry
    folder = tmp_path / "index"
    index, first = load_match_index(url, folder)
    assert first.built and first.path.exists() and len(index) == 500 + len(all_companies())
    again, second = load_match_index(url, folder)
    assert not second.built and second.version == first.version and len(again) == len(index)
    load_acra_csvs(url, paths)  # nothing changes, so neither does the version
    assert registry_version(url) == first.version
    renamed = write_csv(
        tmp_path / "renamed.csv",
        ["uen", "entity_name", "entity_status_description"],
        [["201430111R", "HARBOURLINE GLOBAL LOGISTICS PTE. LTD.", "Live Company"]],
    )
    load_acra_csvs(url, [renamed])
    index, third = load_match_index(url, folder)
    assert third.built and third.version != first.version
    assert sorted(folder.glob("*.npz")) == [third.path]  # the stale version is gone
    assert Matcher(index).match("Harbourline Global Logistics").uen == "201430111R"


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_an_unreadable_saved_index_is_rebuilt(tmp_path, registry, damage):
    url, _ = registry
    folder = tmp_path / "index"
    _, saved = load_match_index(url, folder)
    content = saved.path.read_bytes()
    saved.path.write_bytes(content[: len(content) // 2] if damage == "truncated" else b"not an index")

    index, info = load_match_index(url, folder)
    assert info.built and info.path == saved.path and info.version == saved.version
    assert saved.path.read_bytes() == content  # saved again, whole
    harbourline = next(c for c in all_companies() if c.domain == "harbourline.sg")
    assert Matcher(index).match(harbourline.name, harbourline.domain).uen == harbourline.uen

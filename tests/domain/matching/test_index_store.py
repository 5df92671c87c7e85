"""The match index over the loaded registry: streamed from PostgreSQL, built once per registry version
and stored in the database, where every process (whatever its ICP_HOME) finds it."""

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from demo.catalog import all_companies
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.domain.matching.index_store import (
    BUILD_LOCK,
    fetch_registry_entities,
    load_match_index,
    registry_version,
)
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


def _stored_versions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [v for (v,) in conn.execute("select distinct version from registry.match_index")]


def test_match_index_is_saved_per_registry_version(tmp_path, registry):
    url, paths = registry
    folder = tmp_path / "index"
    index, first = load_match_index(url, folder)
    assert first.built and first.path.exists() and len(index) == 500 + len(all_companies())
    assert _stored_versions(url) == [first.version]
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
    assert sorted(folder.glob("*.npz")) == [third.path]  # the stale version is gone, here
    assert _stored_versions(url) == [third.version]  # and in the database
    assert Matcher(index).match("Harbourline Global Logistics").uen == "201430111R"


def test_another_folder_loads_the_stored_index_without_building(tmp_path, registry, monkeypatch):
    """Another machine (another ICP_HOME) finds the index in the database; it never builds."""
    url, _ = registry
    _, built = load_match_index(url, tmp_path / "first")
    monkeypatch.setattr(MatchIndex, "build", _no_build)
    index, loaded = load_match_index(url, tmp_path / "second")
    assert not loaded.built and loaded.version == built.version
    assert loaded.path.read_bytes() == built.path.read_bytes()
    harbourline = next(c for c in all_companies() if c.domain == "harbourline.sg")
    assert Matcher(index).match(harbourline.name, harbourline.domain).uen == harbourline.uen


def _no_build(*_args, **_kwargs):
    raise AssertionError("the stored index should have been loaded, not built")


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_an_unreadable_local_copy_is_fetched_again(tmp_path, registry, monkeypatch, damage):
    url, _ = registry
    folder = tmp_path / "index"
    _, saved = load_match_index(url, folder)
    content = saved.path.read_bytes()
    saved.path.write_bytes(content[: len(content) // 2] if damage == "truncated" else b"not an index")

    monkeypatch.setattr(MatchIndex, "build", _no_build)
    index, info = load_match_index(url, folder)
    assert not info.built and info.path == saved.path and info.version == saved.version
    assert saved.path.read_bytes() == content  # copied again, whole
    harbourline = next(c for c in all_companies() if c.domain == "harbourline.sg")
    assert Matcher(index).match(harbourline.name, harbourline.domain).uen == harbourline.uen


def test_an_unreadable_stored_index_is_rebuilt(tmp_path, registry):
    url, _ = registry
    _, saved = load_match_index(url, tmp_path / "first")
    with psycopg.connect(url) as conn:
        conn.execute("update registry.match_index set bytes = 'not an index'")
    index, info = load_match_index(url, tmp_path / "second")
    assert info.built and info.version == saved.version
    assert info.path.read_bytes() == saved.path.read_bytes()
    with psycopg.connect(url) as conn:  # stored again, whole
        stored = b"".join(b for (b,) in conn.execute("select bytes from registry.match_index order by part"))
    assert stored == saved.path.read_bytes()


def test_a_process_that_finds_a_build_under_way_waits_and_loads_it(tmp_path, registry, monkeypatch):
    """The advisory lock: while another process holds it (building), a loader waits; once that
    process has stored the index and let go, the loader loads it instead of building a second."""
    url, _ = registry
    _, built = load_match_index(url, tmp_path / "builder")
    with psycopg.connect(url) as conn:
        conn.execute("delete from registry.match_index")  # as if the build were still under way
    with psycopg.connect(url, autocommit=True) as builder:
        builder.execute("select pg_advisory_lock(%s)", (BUILD_LOCK,))
        monkeypatch.setattr(MatchIndex, "build", _no_build)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(load_match_index, url, tmp_path / "waiter")
            _wait_for_lock_waiter(builder)
            assert not waiting.done()
            with builder.transaction(), builder.cursor() as cursor, built.path.open("rb") as saved:
                with cursor.copy("copy registry.match_index (version, part, bytes) from stdin") as copy:
                    copy.write_row((built.version, 0, saved.read()))
            builder.execute("select pg_advisory_unlock(%s)", (BUILD_LOCK,))
            _, loaded = waiting.result()
    assert not loaded.built and loaded.path.read_bytes() == built.path.read_bytes()


def test_two_processes_racing_build_once(tmp_path, registry):
    url, _ = registry
    with ThreadPoolExecutor(2) as pool:
        infos = [f.result()[1] for f in [pool.submit(load_match_index, url, tmp_path / f"w{i}") for i in range(2)]]
    assert sorted(i.built for i in infos) == [False, True]
    assert infos[0].path.read_bytes() == infos[1].path.read_bytes()


def _wait_for_lock_waiter(conn: psycopg.Connection) -> None:
    """Until another session waits for the build lock (the loader under test)."""
    for _ in range(600):
        waiting = conn.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted"
            " and (classid::bigint << 32) | objid::bigint = %s",
            (BUILD_LOCK,),
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("no session waited for the build lock")

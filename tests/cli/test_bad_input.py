"""Bad input at the command line: every --tenant checked, unknown tenants not run, database errors the
input causes reported in one line with exit 2, and a closed pipe (`icp ... | head`) ending quietly."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain import intake as intake_module
from icp_assets.platform.database import database_name, with_database
from tests.support.tables import row_counts

ICP = str(Path(sys.executable).with_name("icp"))
NOISE = ("Traceback", "BrokenPipeError", "Exception ignored")


@pytest.fixture
def intake_file(tmp_path: Path) -> Path:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(demo_intake()))
    return path


def _submit(intake_file: Path, tenant: str, capsys: pytest.CaptureFixture[str]) -> int:
    assert main(["intake", "submit", str(intake_file), "--tenant", tenant]) == EXIT_OK
    return int(capsys.readouterr().out.strip())


COMMANDS = {
    "intake submit": ["intake", "submit", "intake.json"],
    "run": ["run"],
    "suggestions": ["suggestions"],
    "audience": ["audience", "--expr", "ssic2:62"],
    "accept": ["accept", "--suggestion", "s1"],
}
BAD_TENANTS = ["Acme", "acme\n", "a" * 64, "-acme", "acme corp", "ácme", "acme/../x", ""]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("tenant", BAD_TENANTS, ids=repr)
def test_every_tenant_option_is_checked(
    command: str, tenant: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = row_counts(database_url)
    assert main([*COMMANDS[command], f"--tenant={tenant}"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"argument --tenant: {tenant!r} must be 1-63 lowercase letters" in err
    assert row_counts(database_url) == before


def _env(url: str, home: Path) -> dict[str, str]:
    return {**os.environ, "ICP_DATABASE_URL": url, "ICP_HOME": str(home)}


@pytest.mark.slow
def test_run_for_a_tenant_without_intake_exits_2_and_adds_no_partition(fresh_database_url: str, tmp_path: Path) -> None:
    before = row_counts(fresh_database_url)
    done = subprocess.run(
        [ICP, "run", "--tenant", "ghost"], env=_env(fresh_database_url, tmp_path), capture_output=True, text=True
    )
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "tenant 'ghost' has no intake" in done.stderr
    assert not any(n in done.stderr for n in NOISE)
    assert row_counts(fresh_database_url) == before
    dagster_url = with_database(fresh_database_url, database_name(fresh_database_url) + "_dagster")
    try:
        with psycopg.connect(dagster_url) as conn:
            partitions = conn.execute("select partition from dynamic_partitions").fetchall()
        assert partitions == []
    finally:
        from icp_assets.platform.database import drop_database

        drop_database(dagster_url)


def test_text_postgres_cannot_store_is_exit_2_in_one_line(
    database_url: str, intake_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _submit(intake_file, "nul-accept", capsys)
    before = row_counts(database_url)
    assert main(["accept", "--tenant", "nul-accept", "--suggestion", "card\x00"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err == "icp: the database refused the input: PostgreSQL text fields cannot contain NUL (0x00) bytes\n"
    assert row_counts(database_url) == before


def test_a_constraint_the_input_violates_is_exit_2_and_rolled_back(
    database_url: str, intake_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value only the database refuses (here a seed kind outside its check constraint) rolls the
    whole intake back and is reported in one line."""
    real_seeds_of = intake_module.seeds_of

    def bad_kind(intake: intake_module.Intake) -> list[intake_module.Seed]:
        seeds = real_seeds_of(intake)
        return [*seeds[:-1], dataclasses.replace(seeds[-1], kind="bogus")]

    monkeypatch.setattr(intake_module, "seeds_of", bad_kind)
    before = row_counts(database_url)
    assert main(["intake", "submit", str(intake_file), "--tenant", "check-violation"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith('icp: the database refused the input: new row for relation "customer_seeds" violates')
    assert len(err.splitlines()) == 1
    assert row_counts(database_url) == before


# --- a reader that stops early --------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_registry_url(make_database) -> str:
    """1,200 live software companies with long names and one tenant with an intake."""
    url = make_database()
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description, postal_code,"
            " primary_ssic_code) values (%s, %s, 'Live Company', '018000', '62011')",
            [(f"E{i:05d}", f"COMPANY NUMBER {i} WITH A RATHER LONG REGISTERED NAME PTE. LTD.") for i in range(1200)],
        )
        conn.execute("insert into icp.tenants (tenant_id) values ('acme')")
        conn.execute(
            "insert into icp.icp_intake_responses (tenant_id, website, website_domain, answers)"
            " values ('acme', 'https://acme.sg', 'acme.sg', '{}')"
        )
    return url


def test_piping_into_head_ends_quietly(big_registry_url: str, tmp_path: Path) -> None:
    err = tmp_path / "stderr.txt"
    script = (
        f"set -o pipefail; {ICP} audience --tenant acme --expr 'ssic:62011' --sample 1000 2>{err} | head -n1;"
        ' echo "exit=${PIPESTATUS[0]}"'
    )
    done = subprocess.run(["bash", "-c", script], env=_env(big_registry_url, tmp_path), capture_output=True, text=True)
    first, status = done.stdout.splitlines()
    assert first == "1200 registry entities match (excluding acme's customers)"
    assert status == "exit=0"
    assert not any(n in err.read_text() for n in NOISE), err.read_text()


@pytest.mark.parametrize(
    "arguments",
    [
        ["suggestions", "--tenant", "acme"],
        ["suggestions", "--tenant", "acme", "--format", "json"],
        ["audience", "--tenant", "acme", "--expr", "ssic2:62", "--sample", "5"],
        ["db", "url"],
        ["--help"],
    ],
    ids=" ".join,
)
def test_a_closed_stdout_ends_quietly(arguments: list[str], big_registry_url: str, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [ICP, *arguments], env=_env(big_registry_url, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_OK
    assert not any(n in err.decode() for n in NOISE), err.decode()


# --- bounded crawl options, an output that must have a home, audiences of known tenants ------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--page-cap", "-5", "--page-cap: '-5' must be a whole number from 1 to 1000"),
        ("--page-cap", "0", "--page-cap: '0' must be"),
        ("--page-cap", "1001", "--page-cap: '1001' must be"),
        ("--page-cap", "2.5", "--page-cap: '2.5' must be"),
        ("--delay", "nan", "--delay: 'nan' must be a number of seconds from 0 to 60"),
        ("--delay", "inf", "--delay: 'inf' must be"),
        ("--delay", "-1", "--delay: '-1' must be"),
        ("--delay", "61", "--delay: '61' must be"),
        ("--delay", "1e400", "--delay: '1e400' must be"),
    ],
)
def test_crawl_options_are_bounded(
    option: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["crawl", "https://fine.example.com/", "--output", str(out), f"{option}={value}"]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_crawl_refuses_an_output_in_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nonexistent" / "dir" / "x.jsonl"
    assert main(["crawl", "https://fine.example.com/", "--output", str(out), "--delay", "0"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err == f"crawl: {out.parent} is not a directory; refused, nothing crawled\n"
    assert not (tmp_path / "nonexistent").exists()  # nothing created on the way
    assert main(["crawl", "https://fine.example.com/", "--output", str(tmp_path), "--delay", "0"]) == EXIT_BAD_INPUT
    assert f"crawl: {tmp_path} is a directory" in capsys.readouterr().err


def test_audience_for_a_tenant_without_intake_exits_2(
    big_registry_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ICP_DATABASE_URL", big_registry_url)
    assert main(["audience", "--tenant", "nosuch", "--expr", "ssic:62011"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "tenant 'nosuch' has no intake; submit one with `icp intake submit`\n"
    assert main(["audience", "--tenant", "acme", "--expr", "ssic:62011", "--sample", "0"]) == EXIT_OK
    assert capsys.readouterr().out == "1200 registry entities match (excluding acme's customers)\n"

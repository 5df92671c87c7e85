"""Intake validation and the all-or-nothing write, through the real CLI (host normalisation: tests/scrapers/test_hosts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.cli import main
from icp_assets.domain.intake import IntakeError, parse_intake, seeds_of


def test_seeds_are_deduplicated_by_domain_and_name() -> None:
    payload = demo_intake()
    first = payload["best_customers"][0]
    payload["best_customers"] += [
        {"name": "Someone Else", "website": first["website"].replace("https://", "http://www.") + "/about"},
        {"name": first["name"].upper(), "website": "https://another.example.com"},
    ]
    seeds = seeds_of(parse_intake(json.dumps(payload)))
    best = [s for s in seeds if s.kind == "best"]
    assert len(best) == len(demo_intake()["best_customers"])
    assert best[0].website == first["website"]  # kept as given, for crawling


def _with(**changes) -> str:
    payload = demo_intake()
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    return json.dumps(payload)


def _best(**overrides) -> list[dict]:
    customers = demo_intake()["best_customers"]
    customers[1] = {**customers[1], **overrides}
    return customers


INVALID_INTAKES = {
    "missing_website": (_with(website=None), "website: Field required"),
    "malformed_url": (_with(website="https://exa mple.com"), "website: has no valid host name"),
    "malformed_seed_url": (_with(best_customers=_best(website="not a url")), "best_customers.1.website"),
    "no_best_customers": (_with(best_customers=[]), "best_customers: List should have at least 1 item"),
    "best_customers_missing": (_with(best_customers=None), "best_customers: Field required"),
    "non_json": ("{website: https://stockwise.sg", "(document): not valid JSON"),
    "json_array": ("[1, 2]", "(document): must be a JSON object"),
    "wrong_type_list": (_with(best_customers={"name": "x"}), "best_customers: Input should be a valid list"),
    "wrong_type_number": (_with(deal={"acv_usd": "twelve thousand"}), "deal.acv_usd"),
    "wrong_type_name": (_with(best_customers=_best(name=42)), "best_customers.1.name: Input should be a valid string"),
    "over_long_name": (
        _with(best_customers=_best(name="x" * 201)),
        "best_customers.1.name: String should have at most 200",
    ),
    "over_long_reason": (
        _with(lost_or_churned=[{"name": "A", "reason": "r" * 2001}]),
        "lost_or_churned.0.reason: String should have at most 2000",
    ),
    "too_many_seeds": (
        _with(best_customers=[{"name": f"C{i}", "website": f"c{i}.com"} for i in range(16)]),
        "best_customers: List should have at most 15",
    ),
    "unknown_field": (_with(favourite_colour="blue"), "favourite_colour: Extra inputs are not permitted"),
    "lost_without_reason": (
        _with(lost_or_churned=[{"name": "A", "website": "a.com"}]),
        "lost_or_churned.0.reason: Field required",
    ),
    "bad_employee_band": (_with(employee_band="lots"), "employee_band"),
}


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('icp', 'registry') and table_type = 'BASE TABLE'"
        ).fetchall()
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


@pytest.mark.parametrize("case", sorted(INVALID_INTAKES))
def test_invalid_intake_exits_2_and_writes_nothing(
    case: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected_message = INVALID_INTAKES[case]
    path = tmp_path / f"{case}.json"
    path.write_text(content)
    before = _row_counts(database_url)
    assert main(["intake", "submit", str(path), "--tenant", "acme"]) == 2
    assert expected_message in capsys.readouterr().err
    assert _row_counts(database_url) == before


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(IntakeError) as err:
        parse_intake(_with(website="ftp://x.com", best_customers=_best(name="", website="nope")))
    fields = {p.split(":")[0] for p in err.value.problems}
    assert {"website", "best_customers.1.name", "best_customers.1.website"} <= fields


def test_bad_tenant_id_exits_2(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(demo_intake()))
    before = _row_counts(database_url)
    assert main(["intake", "submit", str(path), "--tenant", "Not A Slug!"]) == 2
    assert "tenant" in capsys.readouterr().err
    assert _row_counts(database_url) == before


def test_missing_file_exits_2(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intake", "submit", str(tmp_path / "absent.json"), "--tenant", "acme"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_valid_intake_writes_response_and_seeds(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(demo_intake()))
    assert main(["intake", "submit", str(path), "--tenant", "intake-ok", "--submitted-by", "ops@vendor"]) == 0
    response_id = int(capsys.readouterr().out.strip())
    with psycopg.connect(database_url) as conn:
        domain, by, answers = conn.execute(
            "select website_domain, submitted_by, answers from icp.icp_intake_responses where response_id = %s",
            (response_id,),
        ).fetchone()
        kinds = dict(
            conn.execute(
                "select kind, count(*) from icp.customer_seeds where response_id = %s group by kind", (response_id,)
            ).fetchall()
        )
        seed_domain = conn.execute(
            "select domain from icp.customer_seeds where response_id = %s and name = 'Saffron Table'", (response_id,)
        ).fetchone()[0]
    assert (domain, by) == ("stockwise.sg", "ops@vendor")
    assert answers["deal"]["acv_usd"] == 12000
    assert kinds == {"best": 8, "lost": 3}
    assert seed_domain == "saffrontable.sg"

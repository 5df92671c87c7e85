"""Structured exclusions, the plan's spellings (en-dash bands, `geo`/`language`/`tz`) and its example
payload: accepted and stored normalised, or refused with one message per bad field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from demo.catalog import demo_intake
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.intake import IntakeError, parse_intake
from tests.support.tables import row_counts

PLAN_INTAKE = Path(__file__).parent / "data" / "plan_intake.json"


def _with(**changes: Any) -> str:
    return json.dumps({**demo_intake(), **changes})


def _problems(text: str) -> list[str]:
    with pytest.raises(IntakeError) as err:
        parse_intake(text)
    return err.value.problems


def test_the_plans_example_payload_is_accepted_and_stored_normalised(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    intake = parse_intake(PLAN_INTAKE.read_bytes())
    assert intake.employee_band == "50-200"  # the en dash read, the bounds kept
    assert (intake.geo_language_tz.geos, intake.geo_language_tz.languages) == (["SG", "MY"], ["en"])
    assert intake.geo_language_tz.timezone == "Asia/Singapore"
    assert intake.exclusions.ssic == ["56", "4711", "J"]

    assert main(["intake", "submit", str(PLAN_INTAKE), "--tenant", "plan-example"]) == EXIT_OK
    response_id = int(capsys.readouterr().out.strip())
    with psycopg.connect(database_url) as conn:
        answers, seeds = conn.execute(
            "select answers, (select count(*) from icp.customer_seeds s where s.response_id = r.response_id)"
            " from icp.icp_intake_responses r where response_id = %s",
            (response_id,),
        ).fetchone()
    assert seeds == 8
    assert answers["employee_band"] == "50-200"
    assert answers["geo_language_tz"] == {"geos": ["SG", "MY"], "languages": ["en"], "timezone": "Asia/Singapore"}
    assert answers["exclusions"] == {
        "ssic": ["56", "4711", "J"],
        "headcount_min": 10,
        "headcount_max": 5000,
        "integrations": ["Square"],
        "notes": "No restaurants or single-outlet shops;\nnobody without a warehouse.",
    }
    assert answers["deal"]["price_floor_usd"] == 6000


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("50-200", "50-200"),
        ("50–200", "50-200"),  # en dash
        ("50—200", "50-200"),  # em dash
        ("50 - 200", "50-200"),
        ("1,000–5,000", "1000-5000"),
        ("1000+", "1000+"),
        (" 250+ ", "250+"),
        ("10-49", "10-49"),  # the old bands still mean what they meant
        ("7-7", "7-7"),
    ],
)
def test_employee_bands_keep_their_bounds(written: str, stored: str) -> None:
    assert parse_intake(_with(employee_band=written)).employee_band == stored


@pytest.mark.parametrize(
    ("band", "message"),
    [
        ("lots", 'employee_band: must be a range such as "50-200"'),
        ("200-50", "employee_band: the low bound 200 is above the high bound 50"),
        ("0-9", "employee_band: bounds must lie within 1 to 10,000,000"),
        ("50-", "employee_band: must be a range"),
        ("50+200", "employee_band: must be a range"),
        ("-5", "employee_band: must be a range"),
        (50, "employee_band: must be text"),
    ],
)
def test_bad_employee_bands_are_refused(band: Any, message: str) -> None:
    assert any(p.startswith(message) for p in _problems(_with(employee_band=band))), band


def test_geo_language_tz_takes_either_spelling_and_a_text_or_a_list() -> None:
    long = parse_intake(_with(geo_language_tz={"geos": "SG", "languages": ["en", "zh"], "timezone": "Asia/Singapore"}))
    short = parse_intake(_with(geo_language_tz={"geo": ["SG"], "language": ["en", "zh"], "tz": "Asia/Singapore"}))
    assert long.geo_language_tz == short.geo_language_tz
    assert short.geo_language_tz.geos == ["SG"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"geo": "SG", "geos": ["MY"]}, "geo_language_tz: give 'geo' or 'geos', not both"),
        ({"tz": "Asia/Singapore", "timezone": "UTC"}, "geo_language_tz: give 'tz' or 'timezone', not both"),
        ({"geo": [f"g{i}" for i in range(31)]}, "geo_language_tz.geo: List should have at most 30"),
        ({"language": 7}, "geo_language_tz.language"),
        ({"tz": ["Asia/Singapore"]}, "geo_language_tz.tz: Input should be a valid string"),
        ({"geo": ["SG", ""]}, "geo_language_tz.geo.1: String should have at least 1 character"),
    ],
)
def test_bad_geo_language_tz_names_the_key_as_written(value: dict, message: str) -> None:
    assert any(p.startswith(message) for p in _problems(_with(geo_language_tz=value))), _problems(
        _with(geo_language_tz=value)
    )


def test_exclusions_are_normalised() -> None:
    intake = parse_intake(
        _with(exclusions={"ssic": [" 62011", "521", "j", "521", "4711", "52"], "integrations": ["SAP"]})
    )
    assert intake.exclusions.ssic == ["62011", "521", "J", "4711", "52"]  # trimmed, upper case, once each
    assert intake.exclusions.headcount_min is None and intake.exclusions.integrations == ["SAP"]
    assert parse_intake(_with(exclusions={})).exclusions.ssic == []


BAD_EXCLUSIONS: dict[str, tuple[dict, str]] = {
    "ssic_six_digits": ({"ssic": ["620111"]}, "exclusions.ssic.0: must be a 5-digit SSIC code, a 2-4 digit"),
    "ssic_one_digit": ({"ssic": ["6"]}, "exclusions.ssic.0: must be a 5-digit SSIC code"),
    "ssic_letter_past_u": ({"ssic": ["62011", "V"]}, "exclusions.ssic.1: must be a 5-digit SSIC code"),
    "ssic_mixed": ({"ssic": ["62O11"]}, "exclusions.ssic.0: must be a 5-digit SSIC code"),
    "ssic_number": ({"ssic": [62011]}, 'exclusions.ssic.0: must be text (quoted, so leading zeros survive: "62011")'),
    "ssic_not_a_list": ({"ssic": "62011"}, "exclusions.ssic: Input should be a valid list"),
    "ssic_too_many": ({"ssic": [f"{10 + i}" for i in range(31)]}, "exclusions.ssic: List should have at most 30"),
    "headcount_text": ({"headcount_min": "10"}, "exclusions.headcount_min: Input should be a valid integer"),
    "headcount_fraction": ({"headcount_max": 10.5}, "exclusions.headcount_max: Input should be a valid integer"),
    "headcount_zero": ({"headcount_min": 0}, "exclusions.headcount_min: Input should be greater than or equal to 1"),
    "headcount_huge": ({"headcount_max": 10**9}, "exclusions.headcount_max: Input should be less than or equal to"),
    "floor_above_ceiling": (
        {"headcount_min": 500, "headcount_max": 50},
        "exclusions: headcount_min 500 is above headcount_max 50",
    ),
    "integration_empty": ({"integrations": ["SAP", " "]}, "exclusions.integrations.1: String should have at least 1"),
    "integration_too_long": (
        {"integrations": ["x" * 201]},
        "exclusions.integrations.0: String should have at most 200",
    ),
    "notes_too_long": ({"notes": "n" * 2001}, "exclusions.notes: String should have at most 2000"),
    "notes_escape": ({"notes": "no \x1b[2J banks"}, "exclusions.notes: contains a control character (U+001B)"),
    "unknown_key": ({"postal_district": ["01"]}, "exclusions.postal_district: Extra inputs are not permitted"),
    "not_an_object": (["521"], "exclusions: Input should be a valid dictionary"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXCLUSIONS))
def test_bad_exclusions_are_refused_field_by_field(case: str) -> None:
    value, message = BAD_EXCLUSIONS[case]
    problems = _problems(_with(exclusions=value))
    assert any(p.startswith(message) for p in problems), problems


def test_every_bad_exclusion_is_reported_at_once() -> None:
    problems = _problems(_with(exclusions={"ssic": ["521", "X1"], "headcount_min": -1, "integrations": [""]}))
    assert {p.split(":")[0] for p in problems} == {
        "exclusions.ssic.1",
        "exclusions.headcount_min",
        "exclusions.integrations.0",
    }


def test_notes_keep_their_line_breaks() -> None:
    intake = parse_intake(_with(exclusions={"notes": "No banks.\n\tNo restaurants."}))
    assert intake.exclusions.notes == "No banks.\n\tNo restaurants."


def test_bad_exclusions_exit_2_through_the_cli_and_write_nothing(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intake.json"
    path.write_text(_with(exclusions={"ssic": ["521", "6201x"], "headcount_min": 100, "headcount_max": 10}))
    before = row_counts(database_url)
    assert main(["intake", "submit", str(path), "--tenant", "excluder"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "exclusions.ssic.1: must be a 5-digit SSIC code" in err and "'6201x'" in err
    assert row_counts(database_url) == before

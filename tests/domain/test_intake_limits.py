"""Hostile intakes: size, depth, length and count caps, NaN/Infinity, NUL and broken Unicode.

Every named case goes through the real CLI (`icp intake submit`): exit 2, a message naming the
field, and no row added to any table. The property tests feed parse_intake random JSON, random
bytes and mutated valid intakes: it accepts them or raises IntakeError, never anything else; and a
few of them go all the way through the CLI into PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.catalog import demo_intake
from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.intake import (
    MAX_ADVANCED_CHARS,
    MAX_DEPTH,
    MAX_INTAKE_BYTES,
    Intake,
    IntakeError,
    parse_intake,
)
from tests.support.tables import row_counts


def _doc(**changes: Any) -> dict:
    payload = demo_intake()
    payload.update(changes)
    return payload


def _json(**changes: Any) -> str:
    return json.dumps(_doc(**changes))


def _set(path: tuple, value: Any) -> dict:
    """The demo intake with the value at ``path`` (keys and list indexes) replaced."""
    payload = demo_intake()
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


def _advanced(**sections: dict) -> str:
    return _json(advanced=sections)


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def _raw(payload: dict, old: str, new: str) -> str:
    """The payload's JSON text with one literal replaced (for tokens json.dumps never writes)."""
    text = json.dumps(payload)
    assert old in text
    return text.replace(old, new, 1)


MARK = 123456789  # a number put where a bad token is then spliced into the JSON text
BIG_SECTION = {f"question {i}": "y" * 1000 for i in range(20)}

# case -> (file content, fragment the error output must contain)
CASES: dict[str, tuple[str | bytes, str]] = {
    # the document as a whole
    "over_size_cap": (_json(triggers=["t" * 150] * 20) + " " * MAX_INTAKE_BYTES, "(document): larger than"),
    "empty_file": ("", "(document): not valid JSON"),
    "json_null": ("null", "(document): must be a JSON object"),
    "json_string": ('"intake"', "(document): must be a JSON object"),
    "trailing_garbage": (_json() + " x", "(document): not valid JSON"),
    "not_utf8": (b'{"website": "caf\xe9.sg"}', "(document): not UTF-8"),
    "utf16_bytes": (_json().encode("utf-16"), "(document)"),
    "nesting_bomb_arrays": ("[" * 100_000 + "]" * 100_000, "(document): objects and arrays nested 100000 deep"),
    "nesting_bomb_objects": ('{"a":' * 5000 + "1" + "}" * 5000, "(document): objects and arrays nested 5000 deep"),
    # nesting deeper than MAX_DEPTH, named by its field
    "deep_advanced_answer": (
        _advanced(A={"q": _nested(MAX_DEPTH)}),
        f"advanced.A.q.0.0.0.0.0: nested {MAX_DEPTH + 1} deep",
    ),
    "deep_unknown_field": (_json(extra=_nested(12)), "extra.0.0.0.0.0.0.0: nested"),
    # numbers JSON does not have, or too large to be one
    "nan": (_raw(_set(("deal", "acv_usd"), MARK), str(MARK), "NaN"), "deal.acv_usd: NaN is not a number"),
    "infinity": (
        _raw(_set(("deal", "price_floor_usd"), MARK), str(MARK), "Infinity"),
        "deal.price_floor_usd: Infinity is not a number",
    ),
    "minus_infinity": (
        _raw(_set(("deal", "cycle_days"), MARK), str(MARK), "-Infinity"),
        "deal.cycle_days: -Infinity is not a number",
    ),
    "nan_in_advanced": (
        _raw(_doc(advanced={"B": {"q": MARK}}), str(MARK), "NaN"),
        "advanced.B.q: NaN is not a number",
    ),
    "float_overflow": (
        _raw(_set(("deal", "acv_usd"), MARK), str(MARK), "1e400"),
        "deal.acv_usd: 1e400 is out of range",
    ),
    "huge_integer": (
        _raw(_set(("deal", "cycle_days"), MARK), str(MARK), "9" * 5000),
        "deal.cycle_days: number of 5000 digits",
    ),
    "long_float_literal": (
        _raw(_set(("deal", "acv_usd"), MARK), str(MARK), "0." + "1" * 40),
        "deal.acv_usd: number of 42 characters",
    ),
    # NUL characters and unpaired surrogates, which PostgreSQL cannot store
    "nul_in_website": (_json(website="https://stockwise.sg/\x00"), "website: contains a NUL character"),
    "nul_in_best_customer_name": (
        json.dumps(_set(("best_customers", 2, "name"), "Saffron\x00Table")),
        "best_customers.2.name: contains a NUL character",
    ),
    "nul_in_lost_reason": (
        json.dumps(_set(("lost_or_churned", 0, "reason"), "price\x00")),
        "lost_or_churned.0.reason: contains a NUL character",
    ),
    "nul_in_champion_title": (_json(champion_titles=["CFO", "\x00"]), "champion_titles.1: contains a NUL character"),
    "nul_in_advanced_answer": (_advanced(E={"q": ["ok", "no\x00"]}), "advanced.E.q.1: contains a NUL character"),
    "nul_in_advanced_question": (_advanced(A={"q\x00": "answer"}), "field name contains a NUL character"),
    "nul_in_top_level_key": (_json(**{"website\x00": "x"}), "field name contains a NUL character"),
    "lone_surrogate_in_name": (
        _raw(_set(("best_customers", 0, "name"), "MARKNAME"), "MARKNAME", "A\\ud800B"),
        "best_customers.0.name: contains an unpaired surrogate",
    ),
    "lone_low_surrogate_in_timezone": (
        _raw(_doc(geo_language_tz={"timezone": "MARKTZ"}), "MARKTZ", "\\udfff"),
        "geo_language_tz.timezone: contains an unpaired surrogate",
    ),
    # string lengths
    "over_long_website": (
        _json(website="https://stockwise.sg/" + "p" * 2048),
        "website: String should have at most 2048",
    ),
    "over_long_seed_website": (
        json.dumps(_set(("best_customers", 3, "website"), "https://a.sg/" + "p" * 2048)),
        "best_customers.3.website: String should have at most 2048",
    ),
    "over_long_integration": (
        _json(must_have_integrations=["x" * 201]),
        "must_have_integrations.0: String should have at most 200",
    ),
    "over_long_timezone": (
        _json(geo_language_tz={"timezone": "t" * 201}),
        "geo_language_tz.timezone: String should have at most 200",
    ),
    "blank_seed_name": (
        json.dumps(_set(("best_customers", 0, "name"), "   ")),
        "best_customers.0.name: String should have at least 1",
    ),
    # list lengths
    "too_many_lost": (
        _json(lost_or_churned=[{"name": f"L{i}", "reason": "price"} for i in range(11)]),
        "lost_or_churned: List should have at most 10",
    ),
    "too_many_integrations": (
        _json(must_have_integrations=[f"i{i}" for i in range(21)]),
        "must_have_integrations: List should have at most 20",
    ),
    "too_many_titles": (
        _json(champion_titles=[f"t{i}" for i in range(21)]),
        "champion_titles: List should have at most 20",
    ),
    "too_many_triggers": (_json(triggers=[f"t{i}" for i in range(21)]), "triggers: List should have at most 20"),
    "too_many_geos": (
        _json(geo_language_tz={"geos": [f"g{i}" for i in range(31)]}),
        "geo_language_tz.geos: List should have at most 30",
    ),
    # advanced sections A-H
    "advanced_unknown_section": (_advanced(I={"q": "a"}), "advanced.I: Extra inputs are not permitted"),
    "advanced_section_not_object": (_advanced(A=["q"]), "advanced.A: Input should be a valid dictionary"),
    "advanced_answer_too_long": (_advanced(A={"q": "a" * 2001}), "advanced.A.q: text must have 1 to 2000 characters"),
    "advanced_answer_blank": (_advanced(A={"q": "  "}), "advanced.A.q: text must have 1 to 2000 characters, has 0"),
    "advanced_too_many_answers": (
        _advanced(B={f"q{i}": "a" for i in range(31)}),
        "advanced.B: Dictionary should have at most 30 items",
    ),
    "advanced_question_too_long": (_advanced(C={"q" * 201: "a"}), "advanced.C.qqq"),
    "advanced_list_too_long": (_advanced(C={"q": ["a"] * 31}), "advanced.C.q: a list answer has 31 items, at most 30"),
    "advanced_list_item_too_long": (_advanced(C={"q": ["b" * 201]}), "advanced.C.q: item 0: text must have 1 to 200"),
    "advanced_list_item_not_text": (_advanced(C={"q": ["a", 3]}), "advanced.C.q: item 1: must be text"),
    "advanced_number_too_large": (_advanced(D={"q": 1e13}), "advanced.D.q: a number must lie within"),
    "advanced_number_too_small": (_advanced(D={"q": -(10**13)}), "advanced.D.q: a number must lie within"),
    "advanced_answer_null": (_advanced(F={"q": None}), "advanced.F.q: must be text, a list of texts"),
    "advanced_answer_object": (_advanced(G={"q": {"nested": 1}}), "advanced.G.q: must be text, a list of texts"),
    "advanced_total_too_large": (
        _advanced(A=BIG_SECTION, B=BIG_SECTION, C=BIG_SECTION, D=BIG_SECTION),
        "advanced: answers total 8",  # 80,000-odd characters as JSON
    ),
    # numbers and types elsewhere
    "negative_acv": (_json(deal={"acv_usd": -1}), "deal.acv_usd: Input should be greater than or equal to 0"),
    "cycle_days_too_long": (_json(deal={"cycle_days": 3651}), "deal.cycle_days: Input should be less than or equal"),
    "cycle_days_fraction": (_json(deal={"cycle_days": 1.5}), "deal.cycle_days: Input should be a valid integer"),
    "website_number": (_json(website=42), "website: Input should be a valid string"),
    "seed_website_javascript": (
        json.dumps(_set(("best_customers", 0, "website"), "javascript:alert(1)")),
        "best_customers.0.website",
    ),
    "lost_website_ip": (
        _json(lost_or_churned=[{"name": "A", "website": "https://10.0.0.1", "reason": "r"}]),
        "lost_or_churned.0.website",
    ),
    "geo_unknown_field": (_json(geo_language_tz={"geos": ["SG"], "x": 1}), "geo_language_tz.x: Extra inputs"),
    "deal_not_object": (_json(deal=[1, 2]), "deal: Input should be a valid dictionary"),
    # best customers count as companies: one site or one name listed again counts once
    "one_company_five_times": (
        _json(
            best_customers=[
                {"name": "A Pte Ltd", "website": "a.com.sg"},
                {"name": "A Private", "website": "https://www.A.com.sg/"},
                {"name": "A Group", "website": "http://a.com.sg./about"},
                {"name": "a pte ltd", "website": "https://b.com.sg"},
                {"name": "A Holdings", "website": "WWW.a.com.sg"},
            ]
        ),
        "best_customers: 1 distinct company, at least 5",
    ),
    "four_companies_and_a_repeat": (
        _json(best_customers=[{"name": f"C{i}", "website": f"c{i % 4}.com.sg"} for i in range(5)]),
        "best_customers: 4 distinct companies, at least 5",
    ),
    # control characters (C0, DEL, C1), and with them terminal escape sequences
    "ansi_escape_in_name": (
        json.dumps(_set(("best_customers", 1, "name"), "Kallang \x1b[2J\x1b[31mCold")),
        "best_customers.1.name: contains a control character (U+001B)",
    ),
    "c1_csi_in_title": (
        _json(champion_titles=["CFO\x9b31m"]),
        "champion_titles.0: contains a control character (U+009B)",
    ),
    "newline_inside_name": (
        json.dumps(_set(("best_customers", 0, "name"), "Fake\nINFO accepted")),
        "best_customers.0.name: contains a control character (U+000A)",
    ),
    "tab_in_website": (_json(website="https://stockwise.sg/\tx"), "website: contains a control character (U+0009)"),
    "bell_in_reason": (
        json.dumps(_set(("lost_or_churned", 0, "reason"), "price\x07")),
        "lost_or_churned.0.reason: contains a control character (U+0007)",
    ),
    "del_in_trigger": (_json(triggers=["funding\x7f"]), "triggers.0: contains a control character (U+007F)"),
    "escape_in_advanced_question": (_advanced(A={"q\x1b[0m": "a"}), "field name contains a control character"),
    "escape_in_advanced_list_item": (
        _advanced(B={"q": ["ok", "\x1b]0;title\x07"]}),
        "advanced.B.q.1: contains a control character (U+001B)",
    ),
}


def test_the_advanced_total_case_is_within_the_document_cap() -> None:
    content = CASES["advanced_total_too_large"][0]
    assert MAX_ADVANCED_CHARS < len(content) < MAX_INTAKE_BYTES


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_intake_exits_2_names_the_field_and_writes_nothing(
    case: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, fragment = CASES[case]
    path = tmp_path / "intake.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    before = row_counts(database_url)
    assert main(["intake", "submit", str(path), "--tenant", "hostile"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "intake rejected, nothing was written" in err
    assert fragment in err
    assert "Traceback" not in err
    assert row_counts(database_url) == before


SUBMIT_CASES: dict[str, tuple[list[str], str]] = {
    "tenant_trailing_newline": (["--tenant", "acme\n"], "--tenant"),
    "tenant_upper_case": (["--tenant", "Acme"], "--tenant: 'Acme' must be"),
    "tenant_too_long": (["--tenant", "a" * 64], "--tenant"),
    "tenant_empty": (["--tenant", ""], "--tenant: '' must be"),
    "tenant_leading_dash": (["--tenant=-acme"], "--tenant: '-acme' must be"),
    "tenant_sql": (["--tenant", "acme'; drop table icp.tenants; --"], "--tenant"),
    "tenant_nul": (["--tenant", "acme\x00"], "--tenant"),
    "submitted_by_too_long": (["--tenant", "acme", "--submitted-by", "u" * 201], "submitted_by: 201 characters"),
    "submitted_by_nul": (["--tenant", "acme", "--submitted-by", "ops\x00"], "submitted_by: contains a NUL"),
    "submitted_by_escape": (
        ["--tenant", "acme", "--submitted-by", "ops\x1b[8m"],
        "submitted_by: contains a control character (U+001B)",
    ),
}


@pytest.mark.parametrize("case", sorted(SUBMIT_CASES))
def test_bad_tenant_or_submitter_exits_2_and_writes_nothing(
    case: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, fragment = SUBMIT_CASES[case]
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(demo_intake()))
    before = row_counts(database_url)
    assert main(["intake", "submit", str(path), *arguments]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert row_counts(database_url) == before


def test_a_directory_or_a_device_is_not_an_intake(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = row_counts(database_url)
    assert main(["intake", "submit", str(tmp_path), "--tenant", "acme"]) == EXIT_BAD_INPUT
    assert "cannot read" in capsys.readouterr().err
    assert main(["intake", "submit", "/dev/zero", "--tenant", "acme"]) == EXIT_BAD_INPUT  # read is capped
    assert "(document): larger than" in capsys.readouterr().err
    assert row_counts(database_url) == before


def test_caps_leave_a_full_valid_intake_alone(database_url: str, tmp_path: Path) -> None:
    payload = _doc(
        advanced={
            section: {"question": "answer", "count": 3, "share": 0.5, "yes": True, "items": ["a", "b"]}
            for section in "ABCDEFGH"
        },
        champion_titles=[f"t{i}" for i in range(20)],
    )
    payload["best_customers"] += [{"name": f"Extra {i}", "website": f"extra{i}.sg"} for i in range(7)]
    intake = parse_intake(b"\xef\xbb\xbf" + json.dumps(payload).encode())  # a BOM is fine
    assert len(intake.best_customers) == 15
    assert intake.advanced.A == {"question": "answer", "count": 3, "share": 0.5, "yes": True, "items": ["a", "b"]}
    path = tmp_path / "full.json"
    path.write_text(json.dumps(payload))
    assert main(["intake", "submit", str(path), "--tenant", "full-intake"]) == EXIT_OK


# --- property-based ---------------------------------------------------------------------------

_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "a\ud800b", "\udfff", "https://ok.sg", "javascript:x", "x" * 2100]),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_TEXT, inner, max_size=5)),
    max_leaves=30,
)
_FIELDS = sorted(Intake.model_fields)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)  # surrogates travel as \\uXXXX escapes, as a client would send them


def _check(raw: str | bytes) -> Intake | None:
    try:
        return parse_intake(raw)
    except IntakeError as err:
        assert err.problems and all(isinstance(p, str) and ": " in p for p in err.problems)
        return None


@settings(max_examples=80, deadline=None, database=None)
@given(_JSON)
def test_any_json_value_is_accepted_or_refused_with_intake_error(value: Any) -> None:
    _check(_dumps(value))


@settings(max_examples=60, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_accepted_or_refused_with_intake_error(raw: bytes) -> None:
    _check(raw)


@st.composite
def _mutated_intakes(draw: st.DrawFn) -> str:
    """The demo intake with a few fields replaced, dropped, added or nested, sometimes with a
    non-JSON token (NaN, Infinity, a huge number) spliced into the text."""
    payload = demo_intake()
    for _ in range(draw(st.integers(1, 4))):
        target: Any = payload
        path: list[Any] = []
        while isinstance(target, dict | list) and target and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(target) if isinstance(target, dict) else list(range(len(target)))))
            path.append(key)
            if not isinstance(target[key], dict | list):
                break
            target = target[key]
        if not isinstance(target, dict | list):
            continue
        action = draw(st.sampled_from(["set", "drop", "add"]))
        if isinstance(target, dict):
            key = draw(st.sampled_from(sorted(target) or [draw(st.sampled_from(_FIELDS))]))
            if action == "drop":
                target.pop(key, None)
            elif action == "add":
                target[draw(st.one_of(st.sampled_from(_FIELDS), _TEXT))] = draw(_JSON)
            else:
                target[key] = draw(_JSON)
        elif target:
            index = draw(st.integers(0, len(target) - 1))
            if action == "drop":
                target.pop(index)
            elif action == "add":
                target.append(draw(_JSON))
            else:
                target[index] = draw(_JSON)
    text = _dumps(payload)
    if draw(st.booleans()) and "123" in text:
        text = text.replace("123", draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 40])), 1)
    return text


@settings(max_examples=80, deadline=None, database=None)
@given(_mutated_intakes())
def test_mutated_intakes_are_accepted_or_refused_with_intake_error(text: str) -> None:
    intake = _check(text)
    if intake is not None:  # what is accepted is storable: JSON without NUL or lone surrogates
        dumped = json.dumps(intake.model_dump(mode="json", exclude_none=True), allow_nan=False)
        assert "\\u0000" not in dumped
        dumped.encode("utf-8")


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_mutated_intakes())
def test_mutated_intakes_through_the_cli_write_all_or_nothing(
    text: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mutated.json"
    path.write_text(text)
    before = row_counts(database_url)
    code = main(["intake", "submit", str(path), "--tenant", "mutated"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == EXIT_BAD_INPUT:
        assert "intake rejected" in err
        assert row_counts(database_url) == before
    else:
        assert code == EXIT_OK and int(out.strip()) > 0


def test_depth_cap_needs_no_recursion() -> None:
    with pytest.raises(IntakeError, match="larger than"):  # over the size cap: refused unscanned
        parse_intake("[" * 300_000)
    with pytest.raises(IntakeError, match="nested 200000 deep"):
        parse_intake("[" * 200_000)


def test_free_text_keeps_its_line_breaks_and_names_their_whitespace(database_url: str) -> None:
    """Multi-line reasons and answers are text, not control: tabs and line breaks stay allowed there,
    and around a short value (a pasted name's trailing newline) they are trimmed as before."""
    payload = _doc(advanced={"A": {"how do you win": "Line one.\r\nLine two:\tindented."}})
    payload["lost_or_churned"][0]["reason"] = "Price.\nThen support."
    payload["best_customers"][0]["name"] = " Harbourline Logistics\n"
    intake = parse_intake(json.dumps(payload))
    assert intake.lost_or_churned[0].reason == "Price.\nThen support."
    assert intake.advanced.A["how do you win"] == "Line one.\r\nLine two:\tindented."
    assert intake.best_customers[0].name == "Harbourline Logistics"


def test_five_distinct_companies_with_repeats_are_enough() -> None:
    customers = [{"name": f"C{i}", "website": f"c{i}.com.sg"} for i in range(5)]
    customers += [{"name": "C0 again", "website": "https://www.c0.com.sg/"}, {"name": "c1", "website": "c9.com.sg"}]
    intake = parse_intake(_json(best_customers=customers))
    assert len(intake.best_customers) == 7

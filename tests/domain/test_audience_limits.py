"""Hostile audience expressions: length, depth and term caps, `_` and `%` taken literally, bad samples.

Every named case goes through the real CLI (`icp audience`): exit 2, a message quoting the token (or
naming the option) with a caret under it, and no table changed. The property tests feed the parser
random strings and random token soups: a tree or an ExpressionError, never another exception
(RecursionError included), and a tree always compiles to SQL with one parameter per placeholder.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.audience import (
    MAX_DEPTH,
    MAX_EXPRESSION_CHARS,
    MAX_SAMPLE,
    MAX_TERMS,
    ExpressionError,
    parse,
    size_audience,
    to_sql,
)
from tests.support.tables import row_counts


@pytest.fixture(scope="module")
def registry_url(make_database) -> str:
    """A registry whose statuses tell a literal '_' from LIKE's any-character '_'."""
    import psycopg

    url = make_database()
    entities = [
        ("E1", "Live Company", "62011", "018001"),
        ("E2", "Live", "62011", "018002"),
        ("E3", "Struck Off", "62011", "018003"),
        ("E4", "LiveXCompany", "62011", "018004"),  # matched by LIKE 'live_company%', not by the term
        ("E5", "Live Company", "62019", "528005"),
    ]
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description, postal_code,"
            " primary_ssic_code) values (%s, %s, %s, %s, %s)",
            [(uen, f"{uen} PTE. LTD.", status, postal, ssic) for uen, status, ssic, postal in entities],
        )
        conn.execute("insert into icp.tenants (tenant_id) values ('acme')")
        conn.execute(  # `icp audience` sizes audiences of tenants with an intake only
            "insert into icp.icp_intake_responses (tenant_id, website, website_domain, answers)"
            " values ('acme', 'https://acme.sg', 'acme.sg', '{}')"
        )
    return url


@pytest.fixture
def cli_database(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ICP_DATABASE_URL", registry_url)
    return registry_url


def test_underscore_in_a_status_matches_only_an_underscore(registry_url: str) -> None:
    import psycopg

    with psycopg.connect(registry_url) as conn:

        def uens(text: str) -> list[str]:
            return [r["uen"] for r in size_audience(conn, "acme", text, sample_size=100).sample]

        assert uens("status:live_company") == ["E1", "E5"]  # not E4's "livexcompany"
        assert uens("status:live") == ["E1", "E2", "E4", "E5"]  # a prefix, as before
        assert uens("status:l_ve") == []
        assert uens("status:_") == []
        assert uens("status:struck_off") == ["E3"]


def test_sample_is_capped_and_never_negative(registry_url: str) -> None:
    import psycopg

    with psycopg.connect(registry_url) as conn:
        assert len(size_audience(conn, "acme", "ssic2:62", sample_size=10**30).sample) == 5  # capped, not an error
        assert size_audience(conn, "acme", "ssic2:62", sample_size=0).sample == []
        with pytest.raises(ValueError, match="0 or more"):
            size_audience(conn, "acme", "ssic2:62", sample_size=-1)
    assert MAX_SAMPLE == 1000


def _nest(depth: int) -> str:
    return "(" * depth + "ssic:62011" + ")" * depth


# case -> (expression, fragment of the message, caret position or None)
EXPRESSIONS: dict[str, tuple[str, str, int | None]] = {
    "too_long": ("ssic:62011 OR " * 150 + "ssic:62011", f"at most {MAX_EXPRESSION_CHARS}", MAX_EXPRESSION_CHARS),
    "too_long_one_token": ("x" * 5000, f"at most {MAX_EXPRESSION_CHARS}", MAX_EXPRESSION_CHARS),
    "too_deep_parentheses": (_nest(MAX_DEPTH + 1), f"'(' nests more than {MAX_DEPTH} deep", MAX_DEPTH),
    "recursion_bomb_parentheses": ("(" * 1999, f"'(' nests more than {MAX_DEPTH} deep", MAX_DEPTH),
    "too_deep_not": ("NOT " * (MAX_DEPTH + 1) + "ssic:62011", "'NOT' nests more than", 4 * MAX_DEPTH),
    "recursion_bomb_not": ("NOT " * 499, "'NOT' nests more than", 4 * MAX_DEPTH),
    "too_deep_mixed": ("NOT (" * 11 + "ssic:62011" + ")" * 11, "nests more than", None),
    "too_many_terms": (" OR ".join(["ssic:62011"] * (MAX_TERMS + 1)), "'ssic:62011' is one term more than", 700),
    "too_many_terms_and": (
        " AND ".join(f"NOT postal_district:{i:02d}" for i in range(MAX_TERMS + 1)),
        "'postal_district:50' is one term more than",
        None,
    ),
    "unknown_attribute": ("colour:red", "unknown attribute 'colour'", 0),
    "upper_case_attribute": ("SSIC:62011", "unknown attribute 'SSIC'", 0),
    "empty_attribute": (":62011", "unknown attribute ''", 0),
    "lower_case_keyword": ("ssic:62011 and ssic2:63", "unexpected 'and'", 11),
    "keyword_as_term": ("AND", "unexpected 'AND'", 0),
    "bare_word": ("software", "'software' is not attribute:value", 0),
    "empty_value": ("ssic:", "ssic needs a 5-digit SSIC code, got ''", 5),
    "double_colon": ("ssic::62011", "got ':62011'", 5),
    "underscore_in_ssic": ("ssic:6201_", "got '6201_'", 5),
    "percent_in_ssic": ("ssic:%", "got '%'", 5),
    "percent_in_ssic3": ("ssic3:5%", "ssic3 needs a 3-digit SSIC group, got '5%'", 6),
    "underscore_in_ssic2": ("ssic2:_", "got '_'", 6),
    "percent_in_status": ("status:live%", "status needs a status such as live or struck_off, got 'live%'", 7),
    "percent_only_status": ("status:%", "got '%'", 7),
    "percent_in_postal_district": ("postal_district:0%", "got '0%'", 16),
    "percent_in_section": ("section:%", "section needs an SSIC section letter, got '%'", 8),
    "two_letter_section": ("section:JJ", "got 'JJ'", 8),
    "unknown_age_band": ("age_band:3-9", "age_band needs one of", 9),
    "percent_age_band": ("age_band:%", "got '%'", 9),
    "upper_case_status": ("status:LIVE", "got 'LIVE'", 7),
    "fullwidth_digits": ("ssic:６２０１１", "got '６２０１１'", 5),
    "nul_in_value": ("ssic:62011\x00", "got '62011\\x00'", 5),
    "quote_injection": ("status:live' OR '1'='1", 'got "live\'"', 7),
    "semicolon_injection": ("ssic:62011;drop", "got '62011;drop'", 5),
    "comment_injection": ("ssic:62011--", "got '62011--'", 5),
    "stray_close": ("ssic:62011)", "unexpected ')'", 10),
    "leading_close": (") ssic:62011", "unexpected ')'", 0),
    "open_at_end": ("ssic:62011 AND (", "ends early", 16),
    "missing_close": ("((ssic:62011)", "missing ')'", 13),
    "not_alone": ("NOT", "ends early", 3),
    "or_at_end": ("ssic:62011 OR", "ends early", 13),
    "and_and": ("ssic:62011 AND AND ssic2:63", "unexpected 'AND'", 15),
    "empty_parentheses": ("()", "unexpected ')'", 1),
    "two_terms": ("ssic:62011 ssic2:63", "unexpected 'ssic2:63'", 11),
    "whitespace_only": ("   \t ", "empty expression", 0),
    "empty": ("", "empty expression", 0),
}


@pytest.mark.parametrize("case", sorted(EXPRESSIONS))
def test_bad_expression_exits_2_with_the_token_and_a_caret(
    case: str, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text, fragment, position = EXPRESSIONS[case]
    before = row_counts(cli_database)
    assert main(["audience", "--tenant", "acme", "--expr", text]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("bad expression:") and fragment in err and "Traceback" not in err
    caret = err.splitlines()[-1]
    assert caret.lstrip().startswith("^ ")
    if position is not None:
        assert f"(at position {position})" in caret
    assert len(caret) < 400  # a long expression is shown as a window around the bad token
    assert row_counts(cli_database) == before


OPTIONS: dict[str, tuple[list[str], str]] = {
    "negative_sample": (["--sample", "-1"], "--sample"),
    "negative_sample_equals": (["--sample=-5"], "--sample: '-5': the sample size must be 0 or more"),
    "word_sample": (["--sample", "ten"], "--sample: 'ten' is not a whole number"),
    "float_sample": (["--sample", "1e3"], "--sample: '1e3' is not a whole number"),
    "bad_tenant": (["--tenant", "ACME"], "--tenant: 'ACME' must be"),
    "tenant_with_space": (["--tenant", "ac me"], "--tenant: 'ac me' must be"),
}


@pytest.mark.parametrize("case", sorted(OPTIONS))
def test_bad_option_exits_2_naming_it(case: str, cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments, fragment = OPTIONS[case]
    tenant = [] if "--tenant" in arguments else ["--tenant", "acme"]
    before = row_counts(cli_database)
    assert main(["audience", *tenant, "--expr", "ssic2:62", *arguments]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert row_counts(cli_database) == before


def test_huge_sample_is_capped_not_refused(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audience", "--tenant", "acme", "--expr", "ssic2:62", "--sample", "9" * 40]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("5 registry entities match") and len(out.splitlines()) == 6


def test_caps_leave_a_large_valid_expression_alone() -> None:
    text = " OR ".join(f"(ssic:{62000 + i} AND NOT status:struck_off)" for i in range(MAX_TERMS // 2))
    assert len(text) <= MAX_EXPRESSION_CHARS
    sql, params = to_sql(parse(text))
    assert len(params) == MAX_TERMS and sql.count("%s") == MAX_TERMS
    assert to_sql(parse(_nest(MAX_DEPTH)))[1] == ["62011"]
    assert to_sql(parse("NOT " * MAX_DEPTH + "section:J"))[1] == ["J"]


# --- property-based ---------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "and",
        "ssic:62011",
        "ssic3:521",
        "ssic2:6_",
        "section:J",
        "status:live",
        "status:l_ve",
        "status:%",
        "postal_district:01",
        "age_band:3-9y",
        "age_band:20y+",
        "colour:red",
        ":",
        "%",
        "_",
        "'",
        ";",
        "\x00",
        "\t",
    ]
)


def _check(text: str) -> None:
    try:
        node = parse(text)
    except ExpressionError as err:
        assert 0 <= err.position <= max(len(text), MAX_EXPRESSION_CHARS) and err.message
        err.pointer(text)
        return
    sql, params = to_sql(node)
    assert sql.count("%s") == len(params) <= MAX_TERMS


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_TOKENS, max_size=120), st.sampled_from([" ", "", "  "]))
def test_any_token_soup_parses_or_raises_expression_error(tokens: list[str], separator: str) -> None:
    _check(separator.join(tokens))


@settings(max_examples=30, deadline=None, database=None)
@given(st.integers(0, 3000), st.sampled_from(["(", "NOT ", "NOT (", "( NOT "]))
def test_deep_nesting_never_recurses_out(depth: int, opener: str) -> None:
    _check(opener * depth + "ssic:62011" + ")" * (depth * opener.count("(")))


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(_TOKENS, min_size=1, max_size=40))
def test_parsed_expressions_run_on_postgres(registry_url: str, tokens: list[str]) -> None:
    import psycopg

    text = " ".join(tokens)
    with psycopg.connect(registry_url) as conn:
        try:
            result = size_audience(conn, "acme", text, sample_size=3)
        except ExpressionError:
            return
    assert 0 <= result.total <= 5 and len(result.sample) <= 3

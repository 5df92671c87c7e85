"""`icp audience`: the expression parser, its errors, and the SQL it compiles on real PostgreSQL."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from icp_assets.cli import main
from icp_assets.domain.audience import And, ExpressionError, Not, Or, Term, parse, size_audience, to_sql


def test_precedence_not_and_or() -> None:
    assert parse("ssic:62011 OR ssic2:63 AND NOT status:struck_off") == Or(
        (Term("ssic", "62011"), And((Term("ssic2", "63"), Not(Term("status", "struck_off")))))
    )
    assert parse("(ssic:62011 OR ssic2:63) AND age_band:20y+") == And(
        (Or((Term("ssic", "62011"), Term("ssic2", "63"))), Term("age_band", "20y+"))
    )
    assert parse("NOT NOT section:J") == Not(Not(Term("section", "J")))


def test_values_travel_as_parameters() -> None:
    sql, params = to_sql(parse("ssic:62011 AND (ssic:62019 OR ssic2:63) AND NOT status:struck_off"))
    assert params == ["62011", "62019", "63", "struck_off"]
    assert "62011" not in sql and sql.count("%s") == 4


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("ssic:62011 AND", 14, "ends early"),
        ("ssic:62011 AND (ssic2:63", 24, "missing ')'"),
        ("ssic:62011 ssic2:63", 11, "unexpected 'ssic2:63'"),
        ("colour:red", 0, "unknown attribute 'colour'"),
        ("ssic:6201", 5, "5-digit SSIC code"),
        ("NOT ssic4:620", 10, "4-digit SSIC class"),
        ("ssic:62011 AND OR ssic2:63", 15, "unexpected 'OR'"),
        ("ssic 62011", 0, "not attribute:value"),
        ("ssic:62011'; drop table x; --", 5, "5-digit SSIC code"),
        ("", 0, "empty"),
        (") ssic:62011", 0, "unexpected ')'"),
    ],
)
def test_malformed_expressions_point_at_the_bad_token(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.position == position
    assert fragment in caught.value.message
    caret_line = caught.value.pointer(text).splitlines()[1]
    assert caret_line.index("^") == position


@pytest.fixture
def registry_url(make_database) -> str:
    url = make_database()
    entities = [
        ("E1", "Live Company", "2000-01-01", "018001", "62011"),
        ("E2", "Live Company", f"{date.today().year - 1}-01-01", "018002", "62019"),  # 0-2y
        ("E3", "Struck Off", "2010-01-01", "018003", "62011"),
        ("E4", "Live Company", "2015-01-01", "520004", "63110"),
        ("E5", "Live Company", "2015-01-01", "520005", "46302"),
        ("OWN", "Live Company", "2015-01-01", "018006", "62011"),
    ]
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_status_description,"
            " registration_incorporation_date, postal_code, primary_ssic_code) values (%s, %s, %s, %s, %s, %s)",
            [(uen, f"{uen} PTE. LTD.", status, date, postal, ssic) for uen, status, date, postal, ssic in entities],
        )
        conn.execute(
            "insert into registry.ssic_codes (code, level, title, parent_code, section) values"
            " ('J', 'section', 'Information and communications', null, 'J'),"
            " ('62', 'division', 'Computer programming', 'J', 'J'), ('63', 'division', 'Information services', 'J', 'J')"
        )
        conn.execute("insert into icp.tenants (tenant_id) values ('acme')")
        response = conn.execute(
            "insert into icp.icp_intake_responses (tenant_id, website, website_domain, answers)"
            " values ('acme', 'https://acme.sg', 'acme.sg', '{}') returning response_id"
        ).fetchone()[0]
        seed = conn.execute(
            "insert into icp.customer_seeds (response_id, tenant_id, kind, name) values (%s, 'acme', 'best', 'Own Co')"
            " returning seed_id",
            (response,),
        ).fetchone()[0]
        conn.execute(
            "insert into icp.seed_matches (seed_id, tenant_id, uen, status) values (%s, 'acme', 'OWN', 'matched')",
            (seed,),
        )
    return url


def test_audience_on_postgres_excludes_the_tenants_customers(registry_url: str) -> None:
    with psycopg.connect(registry_url) as conn:
        result = size_audience(conn, "acme", "ssic:62011 AND (ssic:62019 OR ssic2:62) AND NOT status:struck_off")
        assert result.total == 1 and [r["uen"] for r in result.sample] == ["E1"]
        # Another tenant has no customers to leave out.
        assert size_audience(conn, "other", "ssic:62011 AND status:live").total == 2
        assert size_audience(conn, "acme", "section:J").total == 4  # E1, E2, E3, E4
        assert size_audience(conn, "acme", "postal_district:52 OR age_band:0-2y").total == 3
        assert size_audience(conn, "acme", "NOT ssic3:620", sample_size=1).sample[0]["uen"] == "E4"


def test_exclusions_as_and_not_terms_at_every_ssic_level(registry_url: str) -> None:
    """The shapes a card's audience_expression ends with when the intake excludes SSIC codes:
    each AND NOT term takes its entities out of the count."""
    live = "status:live AND (section:J OR ssic3:463)"  # E1, E2, E4, E5 (OWN is acme's own)
    with psycopg.connect(registry_url) as conn:

        def uens(text: str) -> list[str]:
            return [r["uen"] for r in size_audience(conn, "acme", text, sample_size=10).sample]

        assert uens(live) == ["E1", "E2", "E4", "E5"]
        assert uens(f"{live} AND NOT ssic:62019") == ["E1", "E4", "E5"]
        assert uens(f"{live} AND NOT ssic4:6201") == ["E4", "E5"]
        assert uens(f"{live} AND NOT ssic3:620 AND NOT ssic2:63") == ["E5"]
        assert uens(f"{live} AND NOT section:J") == ["E5"]
        assert size_audience(conn, "acme", f"{live} AND NOT section:J AND NOT ssic4:4630").total == 0


def test_cli_prints_total_and_sample_or_exits_2(
    registry_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ICP_DATABASE_URL", registry_url)
    assert main(["audience", "--tenant", "acme", "--expr", "ssic2:62 AND status:live"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 registry entities match") and "E1" in out and "E2" in out and "OWN" not in out
    assert main(["audience", "--tenant", "acme", "--expr", "ssic2:62 AND (status:live"]) == 2
    err = capsys.readouterr().err
    assert "missing ')'" in err and err.splitlines()[-1].index("^") == len("ssic2:62 AND (status:live")

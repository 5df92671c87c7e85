"""Account scoring as plain functions: the accounts file, a rule's attributes, grading (unknown is
not a miss, the best rule, every matched attribute cited), and the scored file."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from demo.scoring_world import COLD_CHAIN_CARD, FOOD_CARD
from icp_assets.domain import scoring
from icp_assets.domain.csv_files import spreadsheet_safe
from icp_assets.domain.scoring import AccountFacts, AccountsFileError, Fact, Rule, grade_account, rule_criteria

PORTS = (80, 443)
UEN = "201599999K"


def parse(text: str) -> list[scoring.AccountInput]:
    return scoring.parse_accounts(text.encode(), PORTS)


# --- the accounts file --------------------------------------------------------------------------


def test_accounts_by_header_name_in_file_order_each_once() -> None:
    accounts = parse(
        "\ufeffWebsite,Notes,NAME\n"
        "https://www.acme.com.sg/about,x,Acme Foods\n"
        "\n"
        "acme.com.sg,dup,Acme Foods Pte Ltd\n"  # the same domain: one account
        ",,Beta Trading\n"
        ",,beta trading\n"  # no website, the same name: one account
    )
    assert [(a.name, a.domain, a.website_problem) for a in accounts] == [
        ("Acme Foods", "acme.com.sg", None),
        ("Beta Trading", None, "no website given"),
    ]
    assert [a.key for a in accounts] == ["acme.com.sg", "name:beta trading"]


def test_a_website_the_crawler_may_not_fetch_is_kept_with_its_reason() -> None:
    accounts = parse(
        "name,website\nIp Co,http://127.0.0.1/\nPort Co,https://port.com.sg:8443/\nFtp Co,ftp://ftp.com.sg/\n"
    )
    problems = {a.name: a.website_problem for a in accounts}
    assert all(a.domain is None for a in accounts)
    assert problems["Ip Co"] == "website is an IP address, not a host name"
    assert "port the crawler does not use" in problems["Port Co"]
    assert problems["Ftp Co"] == "website must be an http or https address"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "(file): empty"),
        ("company,url\nAcme,acme.sg\n", "(header): missing column name, website"),
        ("name\nAcme\n", "(header): missing column website"),
        ("name,website\n", "(file): no accounts under the header"),
        ("name,website\n,acme.sg\n", "line 2: name: empty"),
        ("name,website\nAc\x1b[31mme,acme.sg\n", "line 2: name: contains a control character (U+001B)"),
        ("name,website\nAcme,acme.sg\x07\n", "line 2: website: contains a control character (U+0007)"),
        (f"name,website\n{'x' * 201},acme.sg\n", "line 2: name: 201 characters, at most 200"),
        ('name,website\n"Acme,acme.sg\n', "not valid CSV"),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(AccountsFileError) as refused:
        parse(text)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_too_many_rows_or_bytes_and_not_utf8_are_refused() -> None:
    rows = "".join(f"Company {i},c{i}.com.sg\n" for i in range(scoring.MAX_ACCOUNTS + 1))
    with pytest.raises(AccountsFileError, match=f"more than {scoring.MAX_ACCOUNTS} accounts"):
        parse("name,website\n" + rows)
    with pytest.raises(AccountsFileError, match="larger than 5 MiB"):
        scoring.parse_accounts(b"name,website\n" + b"x" * scoring.MAX_FILE_BYTES, PORTS)
    with pytest.raises(AccountsFileError, match="not UTF-8"):
        scoring.parse_accounts("name,website\nCaf\u00e9,cafe.sg\n".encode("latin-1"), PORTS)


def test_problems_are_listed_up_to_a_limit() -> None:
    with pytest.raises(AccountsFileError) as refused:
        parse("name,website\n" + ",x.sg\n" * 50)
    assert len(refused.value.problems) == scoring.MAX_PROBLEMS_SHOWN + 1
    assert refused.value.problems[-1] == f"... and {50 - scoring.MAX_PROBLEMS_SHOWN} more"


# --- a rule's attributes ----------------------------------------------------------------------------


def test_a_cards_attributes_with_its_cluster_defining() -> None:
    criteria = {c.attribute: c for c in rule_criteria(FOOD_CARD)}
    assert list(criteria) == [
        "SSIC group 463",
        "10-49 staff",
        "uses Xero",
        "uses Shopify",
        "employs a Head of Operations",
    ]
    assert [a for a, c in criteria.items() if c.defining] == ["SSIC group 463", "uses Xero", "uses Shopify"]
    assert criteria["SSIC group 463"].values == ("ssic3:463",)


def test_a_rule_is_read_defensively() -> None:
    """Values of the wrong type are no attribute; unknown keys are ignored; without a cluster the
    SSIC industry (the 3-digit groups of its codes) and the integrations are defining."""
    rule = {
        "title": 42,
        "ssic_codes": ["52101", "52102", "bad", 7],
        "headcount_band": "50\u2013249",
        "integrations": ["NetSuite", "netsuite", None, {"x": 1}],
        "champion_titles": "Supply Chain Manager",
        "audience_expression": "status:live",
        "something_new": [1, 2],
    }
    criteria = rule_criteria(rule)
    assert [(c.attribute, c.values, c.defining) for c in criteria] == [
        ("SSIC group 521", ("ssic3:521",), True),
        ("50\u2013249 staff", ("50\u2013249",), False),
        ("uses NetSuite", ("netsuite",), True),
        ("employs a Supply Chain Manager", ("supply chain manager",), False),
    ]
    assert rule_criteria({"cluster": "not a list", "integrations": "Xero"})[0].attribute == "uses Xero"
    assert rule_criteria({}) == ()


def test_the_card_cluster_stands_in_for_a_rule_without_one() -> None:
    rule = {k: v for k, v in FOOD_CARD.items() if k != "cluster"}
    with_card = rule_criteria(rule, FOOD_CARD["cluster"])
    assert with_card == rule_criteria(FOOD_CARD)
    assert [c.attribute for c in rule_criteria({"cluster": ["technology:hubspot", "geo:41", "ssic2:46"]})] == [
        "SSIC division 46",
        "runs hubspot",
    ]


# --- grading ------------------------------------------------------------------------------------------


def facts(
    *,
    ssic: str | None = "46303",
    integrations: tuple[str, ...] | None = (),
    headcount: float | None = None,
    crawl_reason: str | None = None,
) -> AccountFacts:
    """An account's facts: ACRA's SSIC code (None: not in ACRA), the integrations its site names
    (None with crawl_reason: its site told nothing), its headcount."""
    known: dict[str, list[Fact]] = {}
    if ssic:
        source = f"acra:{UEN}/primary_ssic_code"
        known["ssic"] = [Fact(f"ssic5:{ssic}", ssic, source), Fact(f"ssic3:{ssic[:3]}", ssic, source)]
    if integrations:
        known["integration"] = [Fact(i.casefold(), i, "https://acme.com.sg/integrations") for i in integrations]
    if headcount is not None:
        known["size_band"] = [
            Fact(scoring.size_band(headcount), f"{headcount:g} staff", "https://acme.com.sg/about", headcount)
        ]
    return AccountFacts(1, known, None if ssic else "it is not found in ACRA", crawl_reason)


FOOD = Rule("rule 1: food", rule_criteria(FOOD_CARD))
COLD = Rule("rule 2: cold", rule_criteria(COLD_CHAIN_CARD))


def test_no_integration_on_the_site_is_unknown_not_a_miss() -> None:
    graded = grade_account(facts(integrations=(), headcount=30), [FOOD])
    assert graded.missed == []
    assert {u["attribute"]: u["reason"] for u in graded.unknown} == {
        "uses Xero": "the site names no integration",
        "uses Shopify": "the site names no integration",
        "employs a Head of Operations": "the site names no buyer title",
    }
    # SSIC and size matched, nothing contradicted, the defining integrations unknown: B, not A.
    assert graded.grade == "B"


def test_integrations_the_site_lists_without_the_rules_are_misses() -> None:
    graded = grade_account(facts(integrations=("Xero", "Magento"), headcount=30), [FOOD])
    assert [m["attribute"] for m in graded.missed] == ["uses Shopify"]
    assert graded.grade == "C"  # a defining attribute missed
    both = grade_account(facts(integrations=("Xero", "Shopify"), headcount=30), [FOOD])
    assert both.grade == "A" and both.missed == []


def test_a_blocked_site_leaves_the_registry_to_grade_on() -> None:
    blocked = "its site could not be crawled: robots.txt disallows crawling it"
    graded = grade_account(facts(integrations=None, crawl_reason=blocked), [FOOD])
    assert graded.grade == "C" and graded.missed == []
    assert {u["reason"] for u in graded.unknown} == {blocked}
    assert graded.matched == [
        {"attribute": "SSIC group 463", "value": "46303", "source": f"acra:{UEN}/primary_ssic_code"}
    ]
    outside = grade_account(facts(ssic="62011", integrations=None, crawl_reason=blocked), [FOOD])
    assert outside.grade == "D" and outside.evidence_urls == [f"acra:{UEN}/primary_ssic_code"]


def test_nothing_known_is_grade_unknown_with_every_attribute_and_why() -> None:
    graded = grade_account(facts(ssic=None, integrations=None, crawl_reason="no website given, so ..."), [FOOD, COLD])
    assert graded.grade == "unknown" and graded.best_rule is None and graded.evidence_urls == []
    assert [u["attribute"] for u in graded.unknown] == [c.attribute for c in FOOD.criteria]
    assert graded.unknown[0]["reason"] == "it is not found in ACRA"
    assert graded.unknown[1]["reason"] == "no website given, so ..."
    nothing = grade_account(facts(), [])
    assert nothing.grade == "unknown" and nothing.unknown[0]["reason"] == scoring.NO_BASIS


def test_the_best_rule_is_the_best_grade_then_the_share_then_the_rule_first_listed() -> None:
    cold = grade_account(facts(ssic="52101", integrations=("NetSuite", "Salesforce"), headcount=120), [FOOD, COLD])
    assert cold.best_rule == "rule 2: cold" and cold.grade == "A"
    # The same fit to two rules: the first listed wins.
    twin = Rule("rule 3: food again", FOOD.criteria)
    assert grade_account(facts(integrations=("Xero", "Shopify")), [twin, FOOD]).best_rule == "rule 3: food again"
    # Same grade (C) for both: the higher share wins.
    mixed = grade_account(facts(ssic="52101", integrations=("Xero",), headcount=20), [FOOD, COLD])
    assert mixed.grade == "C" and mixed.best_rule == "rule 1: food"  # 2 of 4 known vs 1 of 3


def test_every_matched_and_missed_attribute_cites_its_source() -> None:
    graded = grade_account(facts(integrations=("Xero", "SAP"), headcount=400), [FOOD])
    cited = {m["attribute"]: m["source"] for m in [*graded.matched, *graded.missed]}
    assert cited == {
        "SSIC group 463": f"acra:{UEN}/primary_ssic_code",
        "uses Xero": "https://acme.com.sg/integrations",
        "uses Shopify": "https://acme.com.sg/integrations",
        "10-49 staff": "https://acme.com.sg/about",
    }
    assert graded.evidence_urls == [
        f"acra:{UEN}/primary_ssic_code",
        "https://acme.com.sg/integrations",
        "https://acme.com.sg/about",
    ]


@pytest.mark.parametrize(
    ("matched", "missed", "attributes", "in_segment", "defining_missed", "grade"),
    [
        (4, 1, 5, True, False, "A"),
        (2, 1, 5, True, False, "B"),  # in the segment, other attributes missed
        (2, 0, 2, True, False, "A"),  # min(3, n) known for a rule of two attributes
        (2, 0, 5, False, False, "B"),  # a defining attribute unknown
        (1, 0, 5, False, False, "C"),  # too few known for B
        (3, 1, 5, False, True, "C"),  # a defining attribute missed
        (0, 2, 5, False, True, "D"),
        (0, 0, 5, False, False, "unknown"),
    ],
)
def test_grade_definitions(
    matched: int, missed: int, attributes: int, in_segment: bool, defining_missed: bool, grade: str
) -> None:
    assert (
        scoring.grade_fit(matched, missed, attributes, in_segment=in_segment, defining_missed=defining_missed) == grade
    )


def test_size_bands_match_by_range_in_any_spelling() -> None:
    rule = Rule("r", rule_criteria({"headcount_band": "250-999", "integrations": ["Xero"]}))
    assert grade_account(facts(integrations=("Xero",), headcount=400), [rule]).grade == "A"
    assert grade_account(facts(integrations=("Xero",), headcount=1200), [rule]).missed[0]["value"] == "1200 staff"


def test_age_and_size_bands_are_the_cards() -> None:
    assert [scoring.size_band(n) for n in (1, 9.5, 10, 49, 50, 249, 250)] == [
        "1-9", "1-9", "10-49", "10-49", "50-249", "50-249", "250+",
    ]  # fmt: skip
    today = date(2025, 6, 1)
    assert [scoring.age_band(date(y, 1, 1), today) for y in (2024, 2022, 2010, 1990)] == [
        "0-2y",
        "3-9y",
        "10-19y",
        "20y+",
    ]


# --- the scored file ------------------------------------------------------------------------------


def test_cells_a_spreadsheet_would_run_are_defused() -> None:
    for cell in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("Acme = good") == "Acme = good"


def test_the_scored_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    out.write_text("the previous file\n")
    row = dict.fromkeys(scoring.OUTPUT_COLUMNS, "") | {"name": "=cmd|' /C calc'!A0", "grade": "A"}

    def rows_then_failure():
        yield row
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        scoring.write_scores_csv(rows_then_failure(), out)
    assert out.read_text() == "the previous file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scored.csv"]  # no temporary file left

    scoring.write_scores_csv([row], out)
    with out.open(newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == list(scoring.OUTPUT_COLUMNS)
    assert written[1][0] == "'=cmd|' /C calc'!A0"

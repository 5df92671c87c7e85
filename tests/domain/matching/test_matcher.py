import pytest

from icp_assets.domain.matching.matcher import (
    METHODS,
    STATUSES,
    Matcher,
    MatchIndex,
    MatchResult,
    RegistryEntity,
    Strings,
    domain_support,
)

LIVE, STRUCK = "Live Company", "Struck Off"

REGISTRY = [
    RegistryEntity("200305123M", "LIM BROS FOOD DISTRIBUTION PTE. LTD.", LIVE),
    RegistryEntity("201430111R", "HARBOURLINE LOGISTICS PTE LTD", LIVE),
    RegistryEntity("201833221Z", "SAFFRON TABLE RESTAURANTS PTE. LTD.", LIVE),
    RegistryEntity("200702345H", "STRAITS FORWARDING & CUSTOMS AGENCY PTE. LTD.", LIVE),
    RegistryEntity("201011111A", "RED DOT STRAITS FORWARDING PTE LTD", LIVE),
    RegistryEntity("199807456D", "ANG SEAFOOD TRADING PTE. LTD.", LIVE, ("ANG FISHERY SUPPLIES PTE. LTD.",)),
    # Siblings: the live "(S)" company and a struck-off namesake normalise identically.
    RegistryEntity("200911223G", "PIONEER WAREHOUSING (S) PTE. LTD.", LIVE),
    RegistryEntity("198800001B", "PIONEER WAREHOUSING PTE. LTD.", STRUCK),
    RegistryEntity("200900002C", "PIONEER WAREHOUSING HOLDINGS PTE. LTD.", LIVE),
    # Two live companies sharing a normalised name: the registry cannot tell them apart.
    RegistryEntity("201500003D", "GOLDEN DRAGON TRADING PTE. LTD.", LIVE),
    RegistryEntity("53000004E", "GOLDEN DRAGON TRADING", "Live"),
    RegistryEntity("201600005F", "EVERGREEN KALLANG TECHNOLOGIES PTE. LTD.", LIVE),
    RegistryEntity("201600006G", "TAMPINES TRADING PTE. LTD.", LIVE),
    RegistryEntity("201600007H", "JURONG TRADING PTE. LTD.", LIVE),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(MatchIndex.build(REGISTRY))


def assert_well_formed(result: MatchResult, threshold: float = 0.85) -> None:
    assert 0.0 <= result.score <= 1.0
    assert result.status in STATUSES
    assert result.method is None or result.method in METHODS
    assert len(result.candidates) <= 3
    if result.status == "matched":
        assert result.uen and result.score >= threshold
    else:
        assert result.uen is None


def test_exact_normalised_name(matcher):
    result = matcher.match("Lim Bros Food Distribution")
    assert (result.uen, result.method, result.score, result.status) == ("200305123M", "exact", 1.0, "matched")
    assert result.entity_name == "LIM BROS FOOD DISTRIBUTION PTE. LTD."
    assert result.candidates[0] == {"uen": "200305123M", "entity_name": result.entity_name, "score": 1.0}


def test_exact_name_prefers_live_entity_over_struck_off_namesake(matcher):
    result = matcher.match("Pioneer Warehousing Pte Ltd")
    assert (result.uen, result.method, result.status) == ("200911223G", "exact", "matched")
    assert {c["uen"] for c in result.candidates} >= {"200911223G", "198800001B"}


def test_two_live_entities_with_the_same_name_are_ambiguous(matcher):
    result = matcher.match("Golden Dragon Trading")
    assert result.status == "ambiguous"
    assert result.uen is None and result.method == "exact"
    assert {c["uen"] for c in result.candidates[:2]} == {"201500003D", "53000004E"}


def test_typo_is_a_fuzzy_match(matcher):
    result = matcher.match("Harbourlnie Logistics")
    assert (result.uen, result.method, result.status) == ("201430111R", "fuzzy", "matched")
    assert 0.85 <= result.score < 1.0


def test_reordered_words_are_close_but_not_exact(matcher):
    result = matcher.match("Logistics Harbourline")
    assert result.uen == "201430111R" and result.method == "fuzzy" and result.score < 1.0


def test_domain_lifts_a_casual_name_over_the_threshold(matcher):
    without = matcher.match("Straits Forwarding")
    assert without.status != "matched"
    result = matcher.match("Straits Forwarding", "https://www.straitsforwarding.com/")
    assert (result.uen, result.method, result.status) == ("200702345H", "domain", "matched")
    assert result.score > without.score


def test_domain_label_spelling_the_name(matcher):
    result = matcher.match("Saffron Table", "saffrontable.sg")
    assert (result.uen, result.method, result.status) == ("201833221Z", "domain", "matched")


def test_domain_finds_candidates_the_name_alone_would_not(matcher):
    result = matcher.match("Lim Bros", "limbrosfood.com.sg")
    assert result.uen == "200305123M" and result.method == "domain"


def test_domain_does_not_override_an_exact_name(matcher):
    result = matcher.match("Harbourline Logistics", "harbourline.sg")
    assert result.method == "exact" and result.score == 1.0


def test_domain_support():
    assert domain_support("limbrosfood", "LIM BROS FOOD DISTRIBUTION") == 1.0
    assert domain_support("tansonsbev", "TAN AND SONS BEVERAGES") == 0.9
    assert domain_support("harbourline", "HARBOURLINE LOGISTICS") == 1.0
    assert domain_support("acme", "LIM BROS FOOD DISTRIBUTION") == 0.0
    assert domain_support("lim", "LIM BROS FOOD DISTRIBUTION") == 0.0  # too short to mean anything
    assert domain_support("meridianfrieght", "MERIDIAN FREIGHT") >= 0.9  # a misspelt label
    assert domain_support("meridianfreight", "XIN MERIDIAN FREIGHT") == 0.0  # the name holds it inside


def test_former_name(matcher):
    result = matcher.match("Ang Fishery Supplies")
    assert (result.uen, result.method, result.status) == ("199807456D", "former_name", "matched")
    assert result.entity_name == "ANG SEAFOOD TRADING PTE. LTD."
    assert result.score < 1.0


def test_unknown_company_is_unmatched(matcher):
    result = matcher.match("Completely Different Widgets")
    assert_well_formed(result)
    assert result.status == "unmatched" and result.uen is None and result.method is None


@pytest.mark.parametrize("name", ["", "Pte. Ltd.", "!!!", "(S)"])
def test_unmatchable_names(matcher, name):
    assert matcher.match(name) == MatchResult(None, None, 0.0, None, "unmatched", [])


def test_a_shared_common_word_is_not_a_match(matcher):
    result = matcher.match("Bedok Trading")
    assert_well_formed(result)
    assert result.status == "unmatched"
    assert all(c["score"] < 0.85 for c in result.candidates)


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("Lim Bros", None),
        ("Pioneer", None),
        ("Dragon", None),
        ("Trading", None),
        ("Kallang", None),
        ("Evergreen Kallang", None),
        ("Red Dot", "reddot.sg"),
        ("Harbour", "harbourline.sg"),
        ("Straits", "straits.com"),
        ("Seafood", None),
        ("Ang", None),
    ],
)
def test_never_a_match_under_the_threshold(matcher, name, domain):
    for threshold in (0.85, 0.95):
        strict = Matcher(MatchIndex.build(REGISTRY), threshold=threshold)
        result = strict.match(name, domain)
        assert_well_formed(result, threshold)


def test_preferring_live_never_hides_a_match_above_the_threshold():
    # The live reordered name (0.99) ranks first but is under the threshold; the struck-off
    # exact name is above it and must still be returned.
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("1", "NORTHWIND SUPPLY PTE LTD", STRUCK),
                RegistryEntity("2", "SUPPLY NORTHWIND PTE LTD", LIVE),
            ]
        ),
        threshold=0.995,
    )
    result = matcher.match("Northwind Supply")
    assert [c["uen"] for c in result.candidates] == ["2", "1"]
    assert (result.uen, result.status, result.score) == ("1", "matched", 1.0)


def test_threshold_is_configurable():
    lenient = Matcher(MatchIndex.build(REGISTRY), threshold=0.5)
    assert lenient.match("Evergreen Kallang").uen == "201600005F"
    assert Matcher(MatchIndex.build(REGISTRY), threshold=0.99).match("Harbourlnie Logistics").status == "unmatched"


def test_saved_index_answers_like_the_built_one(tmp_path):
    entities = [RegistryEntity(f"{i:09d}X", f"COMPANY{i} NUMBER{i % 977} TRADING PTE LTD", LIVE) for i in range(5_000)]
    built = MatchIndex.build(entities)
    built.save(tmp_path / "index.npz")
    loaded = Matcher(MatchIndex.load(tmp_path / "index.npz"))
    assert len(loaded) == 5_000
    for i in range(0, 5_000, 97):
        assert loaded.match(f"Company{i} Number{i % 977} Trading").uen == f"{i:09d}X"
    for query in ("Harbourlnie Logistics", "Pioneer Warehousing", "Company12 Numbr12", "Number5 Trading"):
        assert loaded.match(query) == Matcher(built).match(query)
    assert not list(tmp_path.glob("*.partial"))


def test_identical_name_beats_a_close_sibling() -> None:
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("199807456D", "ANG SEAFOOD TRADING PTE. LTD.", "Live Company"),
                RegistryEntity("199690836W", "ANG SEAFOOD TRADING GROUP PTE. LTD.", "Live Company"),
            ]
        )
    )
    result = matcher.match("Ang Seafood Trading", "angseafood.com.sg")
    assert (result.status, result.uen, result.method) == ("matched", "199807456D", "exact")


def test_names_that_extend_each_other() -> None:
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("1", "ZENVIQ TRADING PTE. LTD.", LIVE),
                RegistryEntity("2", "ZENVIQ TRADING SERVICES PTE. LTD.", LIVE),
                RegistryEntity("3", "KOVARIN LOGISTICS PTE. LTD.", LIVE),
            ]
        )
    )
    assert matcher.match("Zenviq Trading").uen == "1"
    assert matcher.match("Zenviq Trading Services Pte Ltd").uen == "2"
    # A word the registry name lacks points at a sibling that is not registered, not at this one.
    added = matcher.match("Kovarin Logistics Holdings")
    assert added.status == "unmatched" and added.candidates[0]["uen"] == "3"


def test_a_registry_word_is_not_a_typo_of_another() -> None:
    matcher = Matcher(
        MatchIndex.build(
            [RegistryEntity("1", "NOVA CAFE PTE LTD", LIVE), RegistryEntity("2", "NOVENA BAKERY PTE LTD", LIVE)]
        )
    )
    assert matcher.match("Novena Cafe").status == "unmatched"
    assert matcher.match("Novnea Bakery").uen == "2"  # an unknown spelling is corrected


def test_strings_round_trip() -> None:
    values = ["", "CAFÉ", "TAN AND SONS", "中文", "X" * 300]
    strings = Strings.of(values)
    assert len(strings) == len(values) and [strings[i] for i in range(len(values))] == values


def test_domain_spelling_the_leading_words_beats_names_holding_them_inside() -> None:
    # Entities from several generator versions side by side, as in the demo database.
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("201700001A", "MERIDIAN FREIGHT SERVICES PTE LTD", LIVE),
                RegistryEntity("201700002B", "XIN MERIDIAN FREIGHT PRIVATE LIMITED", LIVE),
                RegistryEntity("201700003C", "BANYAN MERIDIAN FREIGHT SERVICES (S) PTE. LTD.", LIVE),
                RegistryEntity("200702345H", "STRAITS FORWARDING & CUSTOMS AGENCY PTE. LTD.", LIVE),
                RegistryEntity("201700004D", "STAR STRAITS FORWARDING", "Live"),
                RegistryEntity("201700005E", "ZENITH STRAITS FORWARDING PTE. LTD.", LIVE),
            ]
        )
    )
    meridian = matcher.match("Meridian Freight", "meridianfreight.sg")
    assert (meridian.status, meridian.uen, meridian.method) == ("matched", "201700001A", "domain")
    straits = matcher.match("Straits Forwarding", "straitsforwarding.com")
    assert (straits.status, straits.uen, straits.method) == ("matched", "200702345H", "domain")
    # Without the website, a name that is only the middle of others is no match.
    assert matcher.match("Meridian Freight").status != "matched"


def test_a_website_spelling_only_the_first_word_does_not_vouch_for_the_rest() -> None:
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("1", "ANGEN OSMAN BEVERAGE TRADING PTE. LTD.", LIVE),
                RegistryEntity("2", "ANGEN TRADING PTE. LTD.", LIVE),
                RegistryEntity("3", "POLYNET DIGITAL ASIA PRIVATE LIMITED", LIVE),
            ]
        )
    )
    # The seed names a company the registry lacks; its website shares only the leading word.
    assert matcher.match("Angen Beverage Trading", "angen.com").status != "matched"
    assert matcher.match("Polynet Media Asia", "polynet.com.sg").status != "matched"


def test_singapore_inside_a_name_is_optional() -> None:
    matcher = Matcher(MatchIndex.build([RegistryEntity("1", "VOFU FACILITY SERVICES SINGAPORE PTE. LTD.", LIVE)]))
    assert matcher.match("Vofu Facility Singapore Services").uen == "1"


def test_a_typo_is_corrected_to_the_spelling_the_other_words_confirm() -> None:
    # YONGLUO is one edit from both YONGLUHO and YONGLUVO; only one of them is a warehouse.
    matcher = Matcher(
        MatchIndex.build(
            [
                RegistryEntity("1", "YONGLUHO RENOVATION PTE LTD", LIVE),
                RegistryEntity("2", "YONGLUHO STORES PRIVATE LIMITED", LIVE),
                RegistryEntity("3", "YONGLUVO WAREHOUSING", "Live"),
            ]
        )
    )
    assert matcher.match("Yongluo Warehousing").uen == "3"


def test_a_repeated_word_must_be_repeated_in_the_name() -> None:
    matcher = Matcher(MatchIndex.build([RegistryEntity("1", "LNA MANAGEMENT GROUP PTE. LTD.", LIVE)]))
    assert matcher.match("LNA Management Group").uen == "1"
    assert matcher.match("LNA Management Group Group Pte Ltd").status == "unmatched"

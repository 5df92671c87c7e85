import pytest

from icp_assets.domain.matching.names import normalise_name
from scrapers.hosts import domain_label


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LIM BROS FOOD DISTRIBUTION PTE. LTD.", "LIM BROS FOOD DISTRIBUTION"),
        ("Lim Bros Food Distribution Pte Ltd", "LIM BROS FOOD DISTRIBUTION"),
        ("PIONEER WAREHOUSING (S) PTE. LTD.", "PIONEER WAREHOUSING"),
        ("Acme (Singapore) Private Limited", "ACME"),
        ("ACME SINGAPORE PTE LTD", "ACME"),
        ("Tan & Sons Beverages", "TAN AND SONS BEVERAGES"),
        ("TAN AND SONS BEVERAGES PTE. LTD.", "TAN AND SONS BEVERAGES"),
        ("Café Déjà Vu Pte Ltd", "CAFE DEJA VU"),
        ("Ｆｕｌｌｗｉｄｔｈ Trading", "FULLWIDTH TRADING"),
        ("McDonald's Restaurants Pte Ltd", "MCDONALDS RESTAURANTS"),
        ("ABC Intl Hldgs Pte Ltd", "ABC INTERNATIONAL HOLDINGS"),
        ("XYZ Engg Svcs", "XYZ ENGINEERING SERVICES"),
        ("KEPPEL CORPORATION LIMITED", "KEPPEL"),
        ("Maju Jaya Sdn Bhd", "MAJU JAYA"),
        ("BRIGHTPATH CONSULTING LLP", "BRIGHTPATH CONSULTING"),
        ("LIMITED EDITION PTE LTD", "LIMITED EDITION"),  # suffix words only go at the end
        ("ONG & CO PTE LTD", "ONG"),
        ("  lots   of\tspace  ", "LOTS OF SPACE"),
        ("A", "A"),
        ("SINGAPORE PTE LTD", "SINGAPORE"),  # a name is never stripped to nothing by SINGAPORE
        ("Stockwise Technologies", "STOCKWISE TECHNOLOGIES"),  # no TECH expansion games
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "...", "&", "Pte. Ltd.", "PRIVATE LIMITED", "Sdn. Bhd.", "(S) Pte Ltd", "中文"]
)
def test_names_with_nothing_identifying_normalise_to_empty(raw):
    assert normalise_name(raw) == ""


def test_casual_and_legal_names_agree():
    assert normalise_name("Straits Forwarding & Customs Agency") == normalise_name(
        "STRAITS FORWARDING & CUSTOMS AGENCY PTE. LTD."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("limbrosfood.com.sg", "limbrosfood"),
        ("www.harbourline.sg", "harbourline"),
        ("https://www.Kallangcoldchain.com/about?x=1", "kallangcoldchain"),
        ("http://www.brightpath.com.sg:8080", "brightpath"),
        ("shop.urbanthreads.sg", "urbanthreads"),
        ("example.co.uk", "example"),
        ("localhost", "localhost"),
        ("", ""),
    ],
)
def test_domain_label(raw, expected):
    assert domain_label(raw) == expected

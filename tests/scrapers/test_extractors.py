"""Extractors, page classification and the PII scrub, on HTML written like real company pages."""

from __future__ import annotations

import pytest

from scrapers.extractors import (
    EXTRACTORS,
    classify_page,
    extract_buyer_titles,
    extract_customers,
    extract_headcount,
    extract_industries,
    extract_integrations,
    extract_locations,
    extract_pricing,
    extract_technologies,
    normalise_title,
)
from scrapers.items import EvidenceItem
from scrapers.middlewares import retry_after_seconds
from scrapers.pii import remove_emails, remove_emails_bytes, scrub_emails
from scrapers.pipelines import PiiScrubPipeline
from scrapers.ssic import SsicIndex, with_ssic


def page(body: str, head: str = "") -> str:
    return f"""<html><head><title>Acme</title>{head}</head><body>
<header><nav><a href="/">Home</a> <a href="/customers">Customers</a> <a href="/pricing">Pricing</a></nav></header>
<main>{body}</main>
<footer><p>Acme Pte Ltd, 1 Raffles Place, Singapore 048616</p></footer></body></html>"""


def labels(evidence: list[dict], signal_key: str | None = None) -> set[str]:
    return {e["value"]["label"] for e in evidence if signal_key in (None, e["signal_key"])}


@pytest.mark.parametrize(
    ("url", "link_text", "expected"),
    [
        ("https://acme.sg/", "", "home"),
        ("https://acme.sg", "", "home"),
        ("https://acme.sg/index.html", "", "home"),
        ("https://acme.sg/about-us", "", "about"),
        ("https://acme.sg/case-studies/lim-bros", "", "customers"),
        ("https://acme.sg/our-clients", "", "customers"),
        ("https://acme.sg/solutions/food-distribution", "", "industries"),
        ("https://acme.sg/sectors", "", "industries"),
        ("https://acme.sg/apps", "", "integrations"),
        ("https://acme.sg/partners", "", "integrations"),
        ("https://acme.sg/pricing", "", "pricing"),
        ("https://acme.sg/company/careers", "", "careers"),
        ("https://acme.sg/jobs.html", "", "careers"),
        ("https://acme.sg/careers/customer-success-manager", "", "careers"),
        ("https://acme.sg/customers/app-partners-inc", "", "customers"),
        ("https://acme.sg/p/12", "Case studies", "customers"),
        ("https://acme.sg/page?id=4", "Who we serve", "industries"),
        ("https://acme.sg/blog/new-office", "Read more", "other"),
        ("https://acme.sg/privacy", "", "other"),
    ],
)
def test_classify_page(url: str, link_text: str, expected: str) -> None:
    assert classify_page(url, link_text) == expected


def test_technologies_from_assets_generator_cookies_and_headers() -> None:
    html = page(
        "<p>Shop</p>",
        head="""
<script async defer src="//js.hs-scripts.com/4471823.js"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>
<script src="https://js.stripe.com/v3/"></script>
<meta name="generator" content="WordPress 6.5.2">
<script>piAId='1032172';</script>""",
    )
    headers = {"set-cookie": "_shopify_y=abc; path=/\n__cf_bm=1; path=/", "server": "cloudflare"}
    found = extract_technologies("https://acme.sg/", html, headers)
    assert labels(found) == {
        "HubSpot",
        "Google Analytics",
        "Stripe",
        "WordPress",
        "Salesforce Pardot",
        "Shopify",
        "Cloudflare",
    }
    by_label = {e["value"]["label"]: e for e in found}
    assert by_label["HubSpot"]["value"]["source"] == "asset"
    assert by_label["HubSpot"]["confidence"] > by_label["Shopify"]["confidence"]
    assert all(e["signal_key"] == "technology" and e["page_type"] == "home" for e in found)


def test_integrations_whole_word_and_confidence_by_page_type() -> None:
    html = page("""<h1>Integrations</h1><p>Works with Xero, Shopify and netsuite.</p>
<p>Our warehouse has 5,000 square metres; every customer segment gets a slack-free schedule.</p>
<p>Xeroxed invoices are not an integration.</p><div><h3>SAP Business One</h3></div>""")
    on_integrations = extract_integrations("https://acme.sg/integrations", html)
    assert labels(on_integrations) == {"Xero", "Shopify", "NetSuite", "SAP"}
    assert {e["confidence"] for e in on_integrations} == {0.85}
    assert "Works with Xero" in next(e for e in on_integrations if e["value"]["label"] == "Xero")["snippet"]
    on_home = extract_integrations("https://acme.sg/", html)
    assert labels(on_home) == labels(on_integrations)
    assert all(e["confidence"] < 0.85 for e in on_home)


def test_industries_from_industries_page_and_serve_sentences() -> None:
    html = page("""<h1>Industries we serve</h1>
<ul><li>Food distribution</li><li>Cold chain logistics</li><li>Contact us</li></ul>
<h3>Freight forwarding</h3><p>We serve beverage wholesalers, ship chandlers and caterers.</p>""")
    found = extract_industries("https://acme.sg/industries", html)
    assert labels(found) >= {
        "food distribution",
        "cold chain logistics",
        "freight forwarding",
        "beverage wholesalers",
        "ship chandlers",
        "caterers",
    }
    assert "contact us" not in labels(found)
    # Elsewhere only the explicit sentence counts: list items on other pages are not industries.
    assert labels(extract_industries("https://acme.sg/about", html)) == {
        "beverage wholesalers",
        "ship chandlers",
        "caterers",
    }


def test_customers_from_case_study_headings_and_logos() -> None:
    html = page("""<h1>Customer stories</h1>
<article><h3>Case study: Lim Bros Food Distribution</h3><p>Cut picking errors.</p></article>
<article><h3>Harbourline Logistics</h3></article>
<img src="/l/1.png" alt="Meridian Freight logo"><h2>What our customers say</h2>""")
    found = extract_customers("https://acme.sg/customers", html)
    assert labels(found) == {"Lim Bros Food Distribution", "Harbourline Logistics", "Meridian Freight"}
    assert extract_customers("https://acme.sg/about", html) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sr. Ops Mgr", "Senior Operations Manager"),
        ("HEAD OF OPERATIONS", "Head of Operations"),
        ("vp of sales", "VP of Sales"),
        ("Finance Mgr", "Finance Manager"),
        ("co-founder & CEO", "Co-Founder & CEO"),
    ],
)
def test_normalise_title(raw: str, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_buyer_titles_from_job_listings_and_talk_to_our() -> None:
    html = page("""<h1>Careers</h1><h2>Open positions</h2>
<ul><li><a href="/jobs/1">Head of Ops</a> - Singapore (Full-time)</li>
<li><a href="/jobs/2">Warehouse Mgr</a></li><li>Great team lunches</li></ul>
<p>Questions? Talk to our VP of Supply Chain before you apply.</p>""")
    found = extract_buyer_titles("https://acme.sg/careers", html)
    assert labels(found) == {"Head of Operations", "Warehouse Manager", "VP of Supply Chain"}
    assert labels(extract_buyer_titles("https://acme.sg/", html)) == {"VP of Supply Chain"}


def test_headcount_from_json_ld_and_text() -> None:
    json_ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "Organization", "numberOfEmployees": {"@type": "QuantitativeValue", '
        '"minValue": 51, "maxValue": 200}}]}</script>'
    )
    found = extract_headcount("https://acme.sg/about", page(json_ld))
    assert [e["value"] for e in found] == [{"label": "51-200", "min": 51, "max": 200}]
    assert found[0]["confidence"] == 0.9

    text = extract_headcount(
        "https://acme.sg/about",
        page("<p>We are a team of 40 based in Singapore.</p><p>Our group has 200+ employees.</p>"),
    )
    assert {(e["value"]["label"], e["value"]["min"], e["value"]["max"]) for e in text} == {
        ("40", 40, 40),
        ("200+", 200, None),
    }
    ranged = extract_headcount("https://acme.sg/about", page("<p>We have 50-100 employees.</p>"))
    assert [e["value"] for e in ranged] == [{"label": "50-100", "min": 50, "max": 100}]


def test_locations_postal_code_and_countries() -> None:
    found = extract_locations("https://acme.sg/", page("<p>Offices in Singapore and Malaysia.</p>"))
    by_label = {e["value"]["label"]: e["value"] for e in found}
    assert by_label["Singapore 048616"] == {"label": "Singapore 048616", "country": "SG", "postal_code": "048616"}
    assert by_label["Malaysia"] == {"label": "Malaysia", "country": "MY"}
    assert "Singapore" not in by_label  # the postal address already says SG


def test_pricing_only_on_pricing_pages() -> None:
    html = page("<h1>Pricing</h1><p>From SGD 890 per month, billed annually.</p><p>Pro: S$45 / user / month</p>")
    found = extract_pricing("https://acme.sg/pricing", html)
    assert [e["value"] for e in found] == [
        {"label": "From SGD 890 per month", "amount": 890.0, "currency": "SGD", "period": "month"},
        {"label": "S$45 / user / month", "amount": 45.0, "currency": "SGD", "period": "month", "per": "user"},
    ]
    assert extract_pricing("https://acme.sg/", html) == []


def test_every_record_has_the_evidence_shape() -> None:
    html = page("<h1>Integrations</h1><p>" + "Xero " * 200 + "</p>")
    found = [e for extract in EXTRACTORS.values() for e in extract("https://acme.sg/integrations", html, {})]
    assert {"integration", "location"} <= {e["signal_key"] for e in found}
    for e in found:
        assert set(e) == {"signal_key", "value", "url", "page_type", "confidence", "snippet"}
        assert isinstance(e["value"]["label"], str) and e["value"]["label"]
        assert len(e["snippet"]) <= 200 and 0 < e["confidence"] <= 1


def test_scrub_emails() -> None:
    text = "Email john.tan@acme.com.sg or sales@acme.sg, or mei [at] acme [dot] sg. Call 6123 4567."
    assert scrub_emails(text) == "Email or , or . Call ."  # phone numbers go too (tests/scrapers/test_pii.py)


def test_pipeline_scrubs_every_field_of_an_item() -> None:
    item = EvidenceItem(
        company_key="acme",
        signal_key="buyer_title",
        value={"label": "Head of Operations (jane.lim@acme.sg)"},
        url="https://acme.sg/careers",
        page_type="careers",
        confidence=0.8,
        snippet="Apply to jane.lim@acme.sg " + "x" * 300,
    )
    scrubbed = PiiScrubPipeline().process_item(item)
    assert scrubbed.value == {"label": "Head of Operations ()"}
    assert "@" not in scrubbed.snippet and len(scrubbed.snippet) == 200


def test_remove_emails_from_bodies_text_and_bytes() -> None:
    text = "<p>Ask jane.lim@acme.sg or mei (at) acme (dot) sg</p>" + "a" * 5000 + "@"
    scrubbed = remove_emails(text)
    assert "acme.sg" not in scrubbed and "(at)" not in scrubbed and scrubbed.startswith("<p>Ask ")
    assert remove_emails("no address here") == "no address here"
    assert remove_emails_bytes(b"%PDF contact wei.ming@acme.sg %%EOF") == b"%PDF contact  %%EOF"


def test_detail_pages_name_one_industry_customer_or_job() -> None:
    industry = page("<h1>Cold chain logistics</h1><h3>Key challenges</h3><ul><li>Tight delivery windows</li></ul>")
    assert labels(extract_industries("https://acme.sg/industries/cold-chain", industry)) == {"cold chain logistics"}
    story = page("<h1>Case study: Harbourline Logistics</h1><h2>The challenge</h2><p>Its 300 employees ...</p>")
    assert labels(extract_customers("https://acme.sg/customers/harbourline", story)) == {"Harbourline Logistics"}
    assert extract_headcount("https://acme.sg/customers/harbourline", story) == []  # the customer's staff
    job = page("<h1>Finance Mgr</h1><h2>Requirements</h2><p>You will report to our Head of Finance and team.</p>")
    assert labels(extract_buyer_titles("https://acme.sg/careers/finance-manager", job)) == {
        "Finance Manager",
        "Head of Finance",
    }


def test_ssic_index_maps_industries_by_content_words() -> None:
    index = SsicIndex([("Wholesale of seafood", "46302"), ("Seafood, wholesale", "46302"), ("Restaurants", "56111")])
    assert index.code_for("seafood wholesale") == "46302" and index.code_for("Restaurant") == "56111"
    assert index.code_for("retail") is None
    evidence = extract_industries(
        "https://acme.sg/industries", page("<ul><li>Seafood wholesale</li><li>Retail</li></ul>")
    )
    mapped = {e["value"]["label"]: e["value"].get("ssic_code") for e in with_ssic(evidence, index)}
    assert mapped == {"seafood wholesale": "46302", "retail": None}
    assert with_ssic(evidence, SsicIndex([])) == evidence  # no index loaded: unchanged


def test_retry_after_seconds_and_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_registry_maps_each_signal_to_its_extractor() -> None:
    html = page(
        """<h1>Careers</h1><ul><li>Head of Ops</li></ul><p>We serve caterers. A team of 40 on Xero.</p>
<p>From SGD 890 per month.</p><h3>Harbourline Logistics</h3>""",
        head='<script src="https://js.stripe.com/v3/"></script>',
    )
    for signal_key, extract in EXTRACTORS.items():
        found = extract(f"https://acme.sg/{signal_key}", html, {})
        assert {e["signal_key"] for e in found} <= {signal_key}
    assert len(EXTRACTORS) == 8


def test_a_fact_seen_twice_is_listed_most_confident_first() -> None:
    """The dedupe pipeline keeps a fact's first record, so each extractor must list the most
    confident sighting of a fact first."""
    html = page(
        """<h1>About</h1><ul><li>Food distribution</li><li>Head of Operations</li></ul>
<script type="application/ld+json">{"numberOfEmployees": 40}</script>
<p>We serve food distribution. A team of 40. Talk to our Head of Operations today.</p>"""
    )
    cases = {
        extract_industries: ("https://acme.sg/industries", "food distribution"),
        extract_buyer_titles: ("https://acme.sg/careers", "Head of Operations"),
        extract_headcount: ("https://acme.sg/about", "40"),
    }
    for extract, (url, label) in cases.items():
        sightings = [e["confidence"] for e in extract(url, html) if e["value"]["label"] == label]
        assert len(set(sightings)) == 2, extract.__name__  # seen twice, at two confidences
        assert sightings == sorted(sightings, reverse=True), extract.__name__

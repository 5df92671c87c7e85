"""``integration``: products a company says it connects to; strongest on an integrations page."""

from __future__ import annotations

from scrapers.extractors.common import Evidence, Headers, evidence, snippet, visible_text, word_pattern
from scrapers.extractors.pages import classify_page

# Canonical name -> spellings. Names that are ordinary English words (Square, Stripe, Segment,
# Slack, Sage) only match with their capital letter, or "square metres" would be an integration.
_INTEGRATIONS: dict[str, tuple[str, ...]] = {
    "HubSpot": ("HubSpot",),
    "Salesforce": ("Salesforce",),
    "Shopify": ("Shopify",),
    "Xero": ("Xero",),
    "Stripe": ("Stripe",),
    "Segment": ("Segment",),
    "Intercom": ("Intercom",),
    "Zendesk": ("Zendesk",),
    "Slack": ("Slack",),
    "SAP": ("SAP",),
    "NetSuite": ("NetSuite",),
    "QuickBooks": ("QuickBooks", "Quick Books"),
    "Magento": ("Magento",),
    "WooCommerce": ("WooCommerce",),
    "Marketo": ("Marketo",),
    "Square": ("Square",),
    "Microsoft Dynamics": ("Microsoft Dynamics", "Dynamics 365"),
    "Zapier": ("Zapier",),
    "Mailchimp": ("Mailchimp",),
    "Lazada": ("Lazada",),
    "Shopee": ("Shopee",),
    "Pipedrive": ("Pipedrive",),
    "Zoho": ("Zoho",),
    "MYOB": ("MYOB",),
    "Sage": ("Sage",),
    "Odoo": ("Odoo",),
    "Freshdesk": ("Freshdesk",),
    "BigCommerce": ("BigCommerce",),
    "PayPal": ("PayPal",),
    "Google Sheets": ("Google Sheets",),
    "Microsoft Teams": ("Microsoft Teams",),
}
_COMMON_WORD_NAMES = {"Square", "Stripe", "Segment", "Slack", "Sage", "SAP"}
_INTEGRATION_PATTERNS = [
    (name, word_pattern(spelling, case_sensitive=name in _COMMON_WORD_NAMES))
    for name, spellings in _INTEGRATIONS.items()
    for spelling in spellings
]


def extract_integrations(
    url: str, html: str, headers: Headers = None, *, page_type: str | None = None
) -> list[Evidence]:
    """Integration names in the visible text, one record per spelling found (all at one confidence)."""
    page_type = page_type or classify_page(url)
    text = visible_text(html)
    confidence = 0.85 if page_type == "integrations" else 0.4
    found = []
    for name, pattern in _INTEGRATION_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(
                evidence("integration", {"label": name}, url, page_type, confidence, snippet(text, *match.span()))
            )
    return found

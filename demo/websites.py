"""Demo websites: each demo company's multi-page site, built from its catalog entry.

The pages look like small real company sites (navigation, footer address, tracking scripts,
JSON-LD, job listings with abbreviated titles, contact emails) so that the crawler and the
extractors run on the same kind of markup they meet on the web, and what they should find is
known from the catalog.
"""

from __future__ import annotations

import json
from html import escape

from demo.catalog import DemoCompany

Site = dict[str, tuple[str, bytes]]  # path -> (content type, body)

HTML = "text/html; charset=utf-8"

# How each technology shows up in a page's <head>.
TECHNOLOGY_TAGS = {
    "HubSpot": '<script id="hs-script-loader" async defer src="//js.hs-scripts.com/4471823.js"></script>',
    "Google Analytics": '<script async src="https://www.googletagmanager.com/gtag/js?id=G-7QX2L9K1"></script>\n'
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js',new Date());gtag('config','G-7QX2L9K1');</script>",
    "Intercom": '<script async src="https://widget.intercom.io/widget/k3v9q2xa"></script>',
    "WooCommerce": '<meta name="generator" content="WooCommerce 8.9.1">\n'
    '<link rel="stylesheet" href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css">',
    "Salesforce Pardot": "<script>piAId='1032172';piCId='';</script>\n"
    '<script async src="https://pi.pardot.com/pd.js"></script>',
    "Shopify": '<script src="https://cdn.shopify.com/s/trekkie.storefront.min.js"></script>',
    "Stripe": '<script src="https://js.stripe.com/v3/"></script>',
    "Segment": '<script src="https://cdn.segment.com/analytics.js/v1/wk3/analytics.min.js"></script>',
    "Zendesk": '<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=9f1"></script>',
}

# Listings abbreviate some words the way job boards do; the extractor expands them again.
_LISTING_ABBREVIATIONS = (("Manager", "Mgr"), ("Operations", "Ops"))


def _page(company: DemoCompany, title: str, body: str, nav: list[tuple[str, str]]) -> bytes:
    head_tags = "\n".join(TECHNOLOGY_TAGS[t] for t in company.technologies if t in TECHNOLOGY_TAGS)
    name = escape(company.name)
    nav_links = "\n".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in nav)
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | {name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head_tags}
</head>
<body>
<header><a href="/" class="logo">{name}</a>
<nav><ul>
{nav_links}
</ul></nav></header>
<main>
{body}
</main>
<footer>
<p>{escape(company.legal_name)} &middot; 10 Anson Road #12-01, Singapore {company.postal_code}</p>
<p>Questions? Email john.tan@{company.domain} or sales@{company.domain}.</p>
<p><a href="/blog">Blog</a> &middot; <a href="/admin/">Staff login</a> &middot;
<a href="/privacy">Privacy policy</a></p>
<p>&copy; 2025 {name}. All rights reserved.</p>
</footer>
</body>
</html>
"""
    return html.encode("utf-8")


def _listing_title(title: str, index: int) -> str:
    if index % 2 == 0:
        return title
    for word, abbreviation in _LISTING_ABBREVIATIONS:
        title = title.replace(word, abbreviation)
    return title


def build_site(company: DemoCompany) -> Site:
    """All pages of one company's website, keyed by path."""
    name = escape(company.name)
    nav = [("/about", "About us"), ("/industries", "Industries"), ("/integrations", "Integrations")]
    if company.customers:
        nav.append(("/case-studies", "Case studies"))
    if company.pricing:
        nav.append(("/pricing", "Pricing"))
    nav += [("/careers", "Careers"), ("/blog", "Blog")]
    industries = company.industries or ("business services",)
    champion = escape(company.job_titles[0]) if company.job_titles else "team"
    organization_json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": company.legal_name,
            "url": f"https://{company.domain}/",
            "foundingDate": company.incorporated,
            "numberOfEmployees": {"@type": "QuantitativeValue", "value": company.headcount},
            "address": {"@type": "PostalAddress", "addressCountry": "SG", "postalCode": company.postal_code},
        }
    )

    pages: dict[str, str] = {
        "/": f"""<section class="hero">
<h1>{name}</h1>
<p>Trusted {escape(industries[0])} partner in Singapore since {company.incorporated[:4]}.</p>
<p><a href="/about">Learn more about us</a> or talk to our {champion} about your needs.</p>
</section>""",
        "/about": f"""<h1>About {name}</h1>
<p>{name} was founded in {company.incorporated[:4]}. Today we are a team of {company.headcount}
people working from our Singapore office, serving customers across Singapore and Malaysia.</p>
<script type="application/ld+json">{organization_json_ld}</script>""",
        "/industries": '<h1>Industries we serve</h1>\n<ul class="industries">\n'
        + "\n".join(f"<li>{escape(i.capitalize())}</li>" for i in industries)
        + "\n</ul>\n<p>Each industry gets a team that knows its suppliers and seasons.</p>",
        "/integrations": f"""<h1>Integrations</h1>
<p>{name} works with {escape(", ".join(company.integrations) or "your existing tools")}.</p>
"""
        + "\n".join(
            f'<div class="card"><h3>{escape(i)}</h3><p>Orders and invoices stay in sync with '
            f"{escape(i)} automatically.</p></div>"
            for i in company.integrations
        ),
        "/careers": f"""<h1>Careers at {name}</h1>
<h2>Open positions</h2>
<ul class="jobs">
"""
        + "\n".join(
            f'<li><a href="/careers#role-{n}">{escape(_listing_title(t, n))}</a> - Singapore (Full-time)</li>'
            for n, t in enumerate(company.job_titles)
        )
        + "\n</ul>\n<p>Send your CV to our hiring team.</p>",
        "/blog": "<h1>News</h1><article><h2>We moved to a bigger office</h2>"
        "<p>More space for the team and our customers.</p></article>",
        "/privacy": "<h1>Privacy policy</h1><p>We keep only the data we need.</p>",
        "/admin/": '<h1>Staff login</h1><form><input name="user"></form>',
    }
    if company.customers:
        pages["/case-studies"] = "<h1>Customer stories</h1>\n" + "\n".join(
            f'<article><img src="/logos/{n}.png" alt="{escape(c)} logo"><h3>{escape(c)}</h3>'
            f"<p>&ldquo;{name} cut our order processing time in half.&rdquo;</p></article>"
            for n, c in enumerate(company.customers)
        )
    if company.pricing:
        pages["/pricing"] = (
            f"<h1>Pricing</h1>\n<p>{escape(company.pricing)}.</p>\n"
            "<p>Every plan includes onboarding and local support.</p>"
        )

    site: Site = {path: (HTML, _page(company, _page_title(path, company), body, nav)) for path, body in pages.items()}
    site["/robots.txt"] = (
        "text/plain",
        (f"User-agent: *\nDisallow: /admin\n\nSitemap: https://{company.domain}/sitemap.xml\n").encode(),
    )
    urls = "\n".join(f"<url><loc>https://{company.domain}{p}</loc></url>" for p in pages if p != "/admin/")
    site["/sitemap.xml"] = (
        "application/xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n'
        ).encode(),
    )
    return site


def _page_title(path: str, company: DemoCompany) -> str:
    if path == "/":
        return f"{company.name} - {(company.industries or ('Business services',))[0].capitalize()}"
    return path.strip("/").replace("-", " ").capitalize()


def build_sites(companies: tuple[DemoCompany, ...] | list[DemoCompany]) -> dict[str, Site]:
    """Sites keyed by bare domain; the virtual host server answers for "www." + domain too."""
    return {company.domain: build_site(company) for company in companies}

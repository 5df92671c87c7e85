"""Personal data scrubbing. The product promises that no personal email address and no phone
number is collected, so page bodies are scrubbed as they are downloaded (before the HTTP cache
stores them), the cache keeps no response header or URL that could carry either, and every item
field is scrubbed again before output. LLM answers go through ``scrub_text`` too.

One scrub, in three steps:

1. **Decode** what hides a character: HTML entities (``&#64;``, ``&commat;``, ``&amp;#64;``),
   percent escapes (``%40``), JavaScript/JSON escapes (``\\u0040``, ``\\x40``), zero-width
   characters, and compatibility forms (full-width ``＠`` and digits, NFKC). Text is decoded
   completely; markup (``scrub_markup``) only where the decoded character cannot change the
   markup's structure, so ``&lt;`` stays ``&lt;``.
2. **Emails**: anything with a local part before an ``@`` (an address cut short by a snippet
   boundary, "john.tan@b", counts), spaced (``jane @ acme.sg``) and spelled-out forms
   (``jane [at] acme [dot] sg``, ``(at)``, ``{at}``, ``<at>``, ``jane at acme dot sg``). In markup,
   tags and comments between a local part, the ``@`` and the domain go first
   (``jane<span>@</span>acme.sg``). Role addresses (sales@, info@) go too: telling them from
   personal ones reliably is not worth the risk, and the crawl keeps nothing of them.
3. **Phone numbers**: the ``phonenumbers`` library's matcher, Singapore as the default region, at
   ``Leniency.VALID``: a number must be a valid number of its country, so years, prices, postal
   codes, UENs and headcount ranges stay. International prefixes written ``00`` count as ``+``;
   separators the matcher does not know (``6123·4501``, ``+65_9123_4567``) and percent-escaped
   punctuation (``+65%209123%204504``) are read as spaces.
4. **Split by markup**: emails and numbers that tags, comments or CDATA markers split
   (``<span>+65 9123</span><span> 4502</span>``, ``6123<!-- x -->4503``, ``jane<span title=">">@
   </span>acme.sg``) are found in a projection of the markup where each run of markup is one
   space, and cut from the text around the markup. ``tel:``/``mailto:`` link targets and
   Cloudflare's obfuscated addresses (``data-cfemail``) are blanked whatever their spelling.

Every pattern is bounded (local parts at most 64 characters, as in RFC 5321) or possessive, and
markup is tokenized once, so a hostile page (unclosed quotes, tags and comments, long runs of word
characters) cannot make a scan quadratic.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import phonenumbers

PHONE_REGION = "SG"

# --- 1. decoding ---------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_DOUBLE_ENTITY = re.compile(r"&amp;(?=#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_JS_ESCAPE = re.compile(r"\\(?:u\{?([0-9A-Fa-f]{4})\}?|x([0-9A-Fa-f]{2}))")
_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# Compatibility characters that spell ASCII: full-width and small forms, letter-like symbols,
# enclosed and mathematical alphanumerics, odd spaces and dots.
_COMPAT = re.compile("[\u2000-\u206f\u2100-\u214f\u2460-\u24ff\ufe50-\ufe6f\uff00-\uffef\U0001d400-\U0001d7ff]+")
_MARKUP_CHARS = set("<>&\"'")
# Characters a percent escape may stand for in markup and URLs: unreserved ones, "@" and "+".
_PERCENT_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~@+")


def _harmless(char: str) -> bool:
    """A decoded character that cannot change the structure of markup, JSON or a JS string."""
    return len(char) == 1 and char not in _MARKUP_CHARS and char != "\\" and (char >= " " or char in "\t\n")


def _decode_entity_in_markup(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group())
    return decoded if decoded != match.group() and all(_harmless(c) for c in decoded) else match.group()


def _decode_percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _PERCENT_SAFE else match.group()


def _decode_js(match: re.Match[str]) -> str:
    char = chr(int(match.group(1) or match.group(2), 16))
    return char if _harmless(char) else match.group()


def _compat_in_markup(match: re.Match[str]) -> str:
    return html.escape(unicodedata.normalize("NFKC", match.group()))  # a full-width "＜" stays text


def _until_stable(decode: Any, text: str, rounds: int = 5) -> str:
    for _ in range(rounds):
        decoded = decode(text)
        if decoded == text:
            break
        text = decoded
    return text


def decode_text(text: str) -> str:
    """Text as a reader sees it: every entity, escape and compatibility form decoded."""
    text = _until_stable(html.unescape, text)
    text = _until_stable(lambda t: _JS_ESCAPE.sub(_decode_js, _PERCENT.sub(_decode_percent, t)), text)
    text = _ZERO_WIDTH.sub("", text)
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


def decode_markup(markup: str, *, unicode_forms: bool = True) -> str:
    """Markup with the characters its entities and escapes hide written out, where writing them
    out keeps the markup's structure (``&lt;``, ``&quot;`` and ``\\u003c`` stay as they are)."""

    def once(text: str) -> str:
        if "&" in text:
            text = _ENTITY.sub(_decode_entity_in_markup, _DOUBLE_ENTITY.sub("&", text))
        if "%" in text:
            text = _PERCENT.sub(_decode_percent, text)
        if "\\" in text:
            text = _JS_ESCAPE.sub(_decode_js, text)
        return text

    text = _until_stable(once, markup)
    if unicode_forms and not text.isascii():
        text = _COMPAT.sub(_compat_in_markup, _ZERO_WIDTH.sub("", text))
    return text


# --- 2. email addresses --------------------------------------------------------------------

_LOCAL = r"[\w.+-][\w.+'-]{0,63}"
_PLAIN_EMAIL = re.compile(_LOCAL + r"@[\w.-]{0,255}")
_SPACED_EMAIL = re.compile(_LOCAL + r"(?:[ \t]@[ \t]?|@[ \t])[\w-]{1,63}(?:[ \t]?\.[ \t]?[\w-]{1,63}){1,8}")
_AT = r"(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>|&lt;\s*at\s*&gt;)"
_DOT = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>|&lt;\s*dot\s*&gt;)\s*|\.|\s+dot\s+)"
_BRACKETED_EMAIL = re.compile(_LOCAL + r"\s*" + _AT + r"\s*[\w-]{1,63}(?:" + _DOT + r"[\w-]{1,63}){0,8}", re.I)
# "jane at acme dot sg" (any case), or "jane.tan at acme.com.sg" (lower case, a dot or an
# underscore in the name: "available at shopify.com" is not an address).
_WORDED_EMAIL = re.compile(
    r"(?<![\w.+'-])"
    + _LOCAL
    + r"\s+(?:at|AT|At)\s+[\w-]{1,63}(?:\s+(?:dot|DOT|Dot)\s+[\w-]{1,63}){1,8}"
    + r"|(?<![\w.+'-])[a-z0-9]{1,30}[._][a-z0-9._]{1,30}\s+at\s+[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.[a-z]{2,6}\b"
)
# "peter.wong -at- acme -dot- sg": with dashes the domain needs a dot, so "pay-at-table" stays.
_DASHED_EMAIL = re.compile(
    _LOCAL + r"\s{0,3}-\s{0,3}at\s{0,3}-\s{0,3}\w{1,63}(?:\s{0,3}-\s{0,3}dot\s{0,3}-\s{0,3}\w{1,63}|\.\w{1,63}){1,8}",
    re.I,
)
_AT_WORD = re.compile(
    r"[\[({<;]\s*at\s*[\])}>&]|\sat\s|-\s{0,3}at\s{0,3}-", re.I
)  # cheap test before the spelled-out patterns
# Tags and comments right before or after an "@" (or a bracketed "at"): joined before matching.
_TAGS = r"(?:\s*(?:<!--.{0,500}?-->|<[^<>]{0,300}>))+\s*"
_AT_MARKS = r"(?:@|" + _AT + r")"
_TAGS_BEFORE_AT = re.compile(r"(?<=[\w.+'-])" + _TAGS + r"(?=" + _AT_MARKS + r")", re.I | re.S)
_TAGS_AFTER_AT = re.compile(r"(" + _AT_MARKS + r")" + _TAGS + r"(?=[\w-])", re.I | re.S)
_DOMAIN_DOT_TAGS = re.compile(r"(@[\w-]{1,63})" + _TAGS + r"(?=\.[\w-])", re.S)


def remove_emails(text: str) -> str:
    """Text with every email address cut out, nothing else changed."""
    if "@" in text:
        text = _SPACED_EMAIL.sub("", text)
        text = _PLAIN_EMAIL.sub("", text)
    if _AT_WORD.search(text):
        text = _BRACKETED_EMAIL.sub("", text)
        text = _WORDED_EMAIL.sub("", text)
        text = _DASHED_EMAIL.sub("", text)
    return text


def email_spans(text: str) -> list[tuple[int, int]]:
    """Where ``remove_emails`` would cut (the patterns' matches in ``text``, overlapping ones merged)."""
    patterns = [_SPACED_EMAIL, _PLAIN_EMAIL] if "@" in text else []
    if _AT_WORD.search(text):
        patterns += [_BRACKETED_EMAIL, _WORDED_EMAIL, _DASHED_EMAIL]
    return _merged([m.span() for pattern in patterns for m in pattern.finditer(text)])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        elif end > start:
            merged.append((start, end))
    return merged


def _join_tags_around_at(markup: str) -> str:
    """``jane<span>@</span>acme.sg`` -> ``jane@acme.sg``, so the address is seen whole."""
    if "<" not in markup:
        return markup
    markup = _TAGS_BEFORE_AT.sub("", markup)
    markup = _TAGS_AFTER_AT.sub(r"\1", markup)
    return _DOMAIN_DOT_TAGS.sub(r"\1", markup)


# --- 3. phone numbers ----------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d[\d\s().+/-]{4,}\d")  # cheap test before the matcher
_IDD = re.compile(r"(?<![\d\w])00(?=[1-9]\d{0,2}[\s.-]?\d)")  # "0065 9123 4567" is "+65 9123 4567"
_EXTENSION_TAIL = re.compile(r"\s*(?:ext\.?|extn\.?|extension|x)\s*\d{1,6}\b", re.I)


# Separators the matcher does not know, read as spaces: middle dots, bullets, underscores, odd
# dashes and spaces ("6123·4501", "+65_9123_4567"). One character for one: spans hold.
_SEPARATORS = str.maketrans(
    dict.fromkeys("_\u00a0\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2022\u2024\u2027\u2043\u2212"
                  "\u2219\u22c5\u2027\u30fb\uff3f\uff65\u2007\u202f\u3000\ufe4d\ufe4e\ufe4f", " ")
)  # fmt: skip
# Percent escapes of a phone number's punctuation ("tel:+65%209123%204504", "?ref=6123%204505"),
# and "+" for a space between digits in a query: spaces of the same length, the character last.
_PERCENT_PUNCT = re.compile(r"%(?:20|2[BbDdEeFf]|28|29|09|[Cc]2%[Aa]0)|(?<=\d)\+(?=\d)")


def _percent_punct(match: re.Match[str]) -> str:
    escape = match.group()
    char = " " if escape == "+" or len(escape) > 3 else unquote(escape)
    return char.rjust(len(escape))


def _phone_probe(text: str) -> str:
    """``text`` as the matcher reads it: the same length, so spans in it hold for ``text``."""
    if not text.isascii() or "_" in text:
        text = text.translate(_SEPARATORS)
    if "%" in text or "+" in text:
        text = _PERCENT_PUNCT.sub(_percent_punct, text)
    return _IDD.sub(" +", text)


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where valid phone numbers are in ``text`` (Singapore forms, and international ones)."""
    probe = _phone_probe(text)  # same length: the spans hold for the original
    if not _DIGIT_RUN.search(probe):
        return []
    spans = []
    # The matcher gives up after max_tries candidates (65,535 by default): never, here, so a page
    # cannot hide a number behind enough decoys. Each candidate costs a bounded amount.
    matcher = phonenumbers.PhoneNumberMatcher(
        probe, PHONE_REGION, leniency=phonenumbers.Leniency.VALID, max_tries=len(probe) + 1
    )
    for match in matcher:
        start, end = match.start, match.end
        if probe[start] == "+" and start > 0 and probe[start - 1] == " " and text[start - 1 : start + 1] == "00":
            start -= 1
        tail = _EXTENSION_TAIL.match(text, end)
        spans.append((start, tail.end() if tail else end))
    return spans


def _cut(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the given (sorted, disjoint) spans, in one pass."""
    kept, at = [], 0
    for start, end in spans:
        kept.append(text[at:start])
        at = max(at, end)
    kept.append(text[at:])
    return "".join(kept)


def remove_phones(text: str) -> str:
    """Text with every phone number cut out, nothing else changed."""
    return _cut(text, _merged(phone_spans(text)))


# --- 4. what markup hides between the parts ------------------------------------------------

# A tag as an HTML tokenizer reads it: it ends at the first ">" outside a quoted attribute value,
# or at the end of the text; possessive, so it is read once whatever the input ("jane<span
# title=">">@</span>acme.sg"). Comments end at "-->" (str.find); CDATA markers are markup, their
# content is text.
_MARKUP_START = re.compile(r"<!--|<!\[CDATA\[|\]\]>|<[A-Za-z/!?]")
_TAG = re.compile(r"""<[A-Za-z/!?](?:[^>"'=]++|=\s*+"[^"]*+"?|=\s*+'[^']*+'?|=|["'])*+>?""")
_SPACE_AFTER = re.compile(r"\s*")


def _markup_spans(text: str) -> list[tuple[int, int]]:
    """Tags, comments and CDATA markers in ``text``, each with the whitespace around it, adjacent
    ones merged; linear in the length of ``text``."""
    spans: list[tuple[int, int]] = []
    at = 0
    while match := _MARKUP_START.search(text, at):
        start, token = match.start(), match.group()
        if token == "<!--":
            close = text.find("-->", start + 4)
            end = len(text) if close < 0 else close + 3
        elif token in ("<![CDATA[", "]]>"):
            end = match.end()
        else:
            end = _TAG.match(text, start).end()  # type: ignore[union-attr] (it always matches)
        start = at + len(text[at:start].rstrip())
        end = _SPACE_AFTER.match(text, end).end()  # type: ignore[union-attr]
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        at = end
    return spans


_NUMBER_LEFT = frozenset("0123456789+-.()/")
_NUMBER_RIGHT = frozenset("0123456789+-.(/")


def _remove_split_by_markup(text: str) -> str:
    """Emails and phone numbers that tags or comments split (``<span>+65 9123</span><span> 4502
    </span>``, ``6123<!-- x -->4503``), found in a projection of ``text`` where each run of markup
    is one space, and cut out of the text around the markup, which stays."""
    markup = _markup_spans(text) if "<" in text or "]]>" in text else []
    if not markup:
        return text
    pieces, starts, origins = [], [], []  # the text between the markup: its place in the projection and in text
    at = length = 0
    for start, end in [*markup, (len(text), len(text))]:
        starts.append(length)
        origins.append(at)
        pieces.append(text[at:start])
        length += start - at + 1
        at = end
    projection = " ".join(pieces)
    # The matcher is the costly part: only when markup sits between two parts of a number.
    splits_a_number = any(
        0 < start and end < len(text) and text[start - 1] in _NUMBER_LEFT and text[end] in _NUMBER_RIGHT
        for start, end in markup
    )
    found = _merged(email_spans(projection) + (phone_spans(projection) if splits_a_number else []))
    if not found:
        return text
    cuts = []
    for p_start, p_end in found:
        i = max(0, bisect_right(starts, p_start) - 1)
        while i < len(pieces) and starts[i] < p_end:
            low, high = max(p_start, starts[i]), min(p_end, starts[i] + len(pieces[i]))
            if low < high:
                cuts.append((origins[i] + low - starts[i], origins[i] + high - starts[i]))
            i += 1
    return _cut(text, _merged(cuts))


# Links that are a phone number or an address whatever their spelling ("tel:+65%209123%204504"):
# their target is blanked. Cloudflare's obfuscated addresses (``data-cfemail``, the
# /cdn-cgi/l/email-protection#... links) are the address XOR-encoded in hex: blanked too.
_CONTACT_URI = re.compile(r"(?<![\w.+-])((?:tel|mailto|sms|callto|facetime|facetime-audio):)[^\s\"'<>`]{1,2048}", re.I)
_CONTACT_URI_QUOTED = re.compile(
    r"""(=\s*(["'])\s*(?:tel|mailto|sms|callto|facetime|facetime-audio):)(?:(?!\2)[^<>\n]){1,2048}""", re.I
)
_CF_EMAIL = re.compile(r"(data-cfemail\s*=\s*[\"']?|/cdn-cgi/l/email-protection#)[0-9A-Fa-f]{2,1024}", re.I)


def _blank_contact_links(text: str) -> str:
    if ":" in text:
        text = _CONTACT_URI_QUOTED.sub(r"\1", text)
        text = _CONTACT_URI.sub(r"\1", text)
    if "cfemail" in text or "email-protection" in text:
        text = _CF_EMAIL.sub(r"\1", text)
    return text


def _remove_personal(text: str) -> str:
    """Decoded text or markup without emails and phone numbers: whole, then split by markup."""
    text = _blank_contact_links(_join_tags_around_at(text))
    return _remove_split_by_markup(remove_phones(remove_emails(text)))


# --- the scrubs ----------------------------------------------------------------------------


def scrub_markup(markup: str, *, unicode_forms: bool = True) -> str:
    """A page body (HTML, XML, JSON, JS) without email addresses or phone numbers, in any encoding
    they hide behind; the markup's structure is kept."""
    return _remove_personal(decode_markup(markup, unicode_forms=unicode_forms))


def remove_emails_bytes(body: bytes) -> bytes:
    """The scrub for bodies that are not text (PDFs, feeds without a charset): the bytes read as
    latin-1, so every byte maps to one character and back (no Unicode forms: they are not text)."""
    return scrub_markup(body.decode("latin-1"), unicode_forms=False).encode("latin-1", errors="ignore")


def scrub_text(text: str) -> str:
    """Text decoded, without email addresses or phone numbers, leftover whitespace tidied."""
    text = _remove_personal(decode_text(text))
    return re.sub(r"\s{2,}", " ", text).strip()


scrub_emails = scrub_text  # the older name


def has_personal_data(text: str) -> bool:
    decoded = decode_text(text)
    return _remove_personal(decoded) != decoded


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,15}://\S*$")


def scrub_url(url: str) -> str:
    """A URL without personal data in its user part, path, query or fragment. A URL with none
    comes back unchanged; a query value with some is emptied, a path segment loses it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub_text(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host

    path = "/".join(
        quote(scrub_text(unquote(seg)), safe="") if has_personal_data(unquote(seg)) else seg
        for seg in parts.path.split("/")
    )
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    scrubbed_pairs = [(scrub_text(k), "" if has_personal_data(v) else v) for k, v in pairs]
    query = parts.query if scrubbed_pairs == pairs else urlencode(scrubbed_pairs)
    fragment = "" if has_personal_data(unquote(parts.fragment)) else parts.fragment
    cleaned = urlunsplit((parts.scheme, netloc, path, query, fragment))
    return url if cleaned == url else cleaned


def scrub(value: Any) -> Any:
    """Scrub every string inside a JSON-able value (URLs as URLs, other strings as text)."""
    if isinstance(value, str):
        return scrub_url(value) if _URL.match(value) else scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


# The hash of a binary body the HTTP cache stores without it (scrapers.cache): the page's content
# hash when the page is served from the cache.
BODY_SHA256_HEADER = b"X-ICP-Body-SHA256"
# Response headers worth keeping: what Scrapy needs (type, redirects, retries) and what the
# technology fingerprints read. Every other header is dropped; cookies keep their names only.
KEPT_HEADERS = frozenset(
    {
        b"content-type",
        b"content-language",
        b"content-disposition",
        b"last-modified",
        b"etag",
        b"location",
        b"retry-after",
        b"server",
        b"x-powered-by",
        b"powered-by",
        b"x-shopid",
        b"set-cookie",
        BODY_SHA256_HEADER.lower(),
    }
)
_URL_HEADERS = frozenset({b"location", b"content-location"})
_BODY_SHA256_KEY = BODY_SHA256_HEADER.lower()
_SHA256_HEX = re.compile(rb"[0-9a-f]{64}")
_COOKIE_NAME = re.compile(rb"^\s*([^=;\s]{1,256})=")


def scrub_headers(headers: Mapping[bytes, Iterable[bytes]]) -> dict[bytes, list[bytes]]:
    """Response headers reduced to ``KEPT_HEADERS``, each value without personal data: URLs
    scrubbed as URLs, Set-Cookie cut down to the cookie's name (``_ga=``)."""
    kept: dict[bytes, list[bytes]] = {}
    for name, values in headers.items():
        key = bytes(name).lower()
        if key not in KEPT_HEADERS:
            continue
        cleaned = []
        for value in [values] if isinstance(values, bytes) else values:
            if key == _BODY_SHA256_KEY:
                value = value if _SHA256_HEX.fullmatch(value) else b""
            elif key == b"set-cookie":
                cookie = _COOKIE_NAME.match(value)
                value = (
                    cookie.group(1) + b"="
                    if cookie and not has_personal_data(cookie.group(1).decode("latin-1"))
                    else b""
                )
            else:
                text = value.decode("latin-1")
                scrubbed = (
                    scrub_url(text)
                    if key in _URL_HEADERS
                    else text
                    if not has_personal_data(text)
                    else scrub_text(text)
                )
                value = scrubbed.encode("latin-1", errors="ignore")
            if value:
                cleaned.append(value)
        if cleaned:
            kept[name] = cleaned
    return kept

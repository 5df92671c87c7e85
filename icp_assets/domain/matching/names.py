"""Company-name and domain normalisation shared by the matcher and the registry loaders.

Intake names are casual ("Tan & Sons Beverages") while ACRA holds legal names
("TAN AND SONS BEVERAGES PTE. LTD."); both sides go through `normalise_name` so that the
matcher compares what distinguishes companies, not legal boilerplate.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms, as token sequences, removed only at the end of a name (repeatedly, so
# "X CO PTE LTD" loses both). A name that consists of nothing else normalises to "".
_LEGAL_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.split())
    for s in (
        "SDN BHD",
        "PTE LTD",
        "PVT LTD",
        "PRIVATE LIMITED",
        "LIMITED",
        "LTD",
        "PTE",
        "LLP",
        "LLC",
        "INC",
        "INCORPORATED",
        "CORP",
        "CORPORATION",
        "CO",
        "COMPANY",
        "BHD",
        "BERHAD",
        "PLC",
        "LP",
    )
)

# Abbreviations ACRA names use interchangeably with the full word. Deliberately small: an
# entry like TECH -> TECHNOLOGY would merge genuinely different names, and BROS is kept as
# written because websites spell it that way ("limbrosfood").
ABBREVIATIONS: dict[str, str] = {
    "INTL": "INTERNATIONAL",
    "ENGG": "ENGINEERING",
    "ENGRG": "ENGINEERING",
    "HLDG": "HOLDINGS",
    "HLDGS": "HOLDINGS",
    "SVC": "SERVICES",
    "SVCS": "SERVICES",
    "MGMT": "MANAGEMENT",
    "MFG": "MANUFACTURING",
    "MKTG": "MARKETING",
    "DEVT": "DEVELOPMENT",
}

# "(S)", "(SINGAPORE)", "(SPORE)" mark the Singapore arm of a group; they carry no identity.
_SINGAPORE_MARKER = re.compile(r"\(\s*(S|SG|SPORE|SINGAPORE)\s*\)")
_APOSTROPHES = re.compile(r"['`\u2019]")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")

# Second-level labels under a country code ("com.sg", "co.uk") that are not the company's name.


def ascii_fold(text: str) -> str:
    """Strip accents and drop what has no ASCII form, so "Café" and "CAFE" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _strip_legal_suffixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for suffix in _LEGAL_SUFFIXES:
            if len(tokens) >= len(suffix) and tuple(tokens[-len(suffix) :]) == suffix:
                del tokens[-len(suffix) :]
                changed = True
                break
        # "X & CO PTE LTD" leaves a dangling AND once CO is gone.
        if tokens and tokens[-1] == "AND" and changed:
            tokens.pop()
    return tokens


def normalise_name(name: str) -> str:
    """Uppercase, ASCII, punctuation-free name without legal form or Singapore marker.

    Returns "" when nothing identifying is left (only a suffix, only punctuation); callers
    treat "" as unmatchable.
    """
    text = ascii_fold(name or "").upper()
    text = _SINGAPORE_MARKER.sub(" ", text)
    text = text.replace("&", " AND ")
    text = _APOSTROPHES.sub("", text)
    tokens = _NON_ALNUM.sub(" ", text).split()
    tokens = [ABBREVIATIONS.get(t, t) for t in tokens]
    tokens = _strip_legal_suffixes(tokens)
    if len(tokens) > 1 and tokens[-1] == "SINGAPORE":
        tokens.pop()
        tokens = _strip_legal_suffixes(tokens)
    if all(t == "AND" for t in tokens):  # "&" alone names nothing
        return ""
    return " ".join(tokens)

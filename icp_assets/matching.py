"""Match a seed company (a casual name, maybe a website) to one ACRA entity.

The Matcher is built once over the registry and answers many queries. Candidates come from an
exact normalised-name lookup plus rare-token blocking (entities sharing the query's rarest one
or two tokens), so a query never scans the registry. Each candidate gets a 0..1 score mixing
character similarity (rapidfuzz) with rarity-weighted token overlap; a website whose label
spells the entity's name lifts the score. Live entities win near-ties, and a near-tie between
equals is reported as ambiguous rather than guessed.
"""

from __future__ import annotations

import logging
import math
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from icp_assets.names import domain_label, normalise_name

log = logging.getLogger(__name__)

METHODS = ("domain", "exact", "fuzzy", "former_name")
STATUSES = ("matched", "ambiguous", "unmatched")

# A former name is weaker evidence than the same current name: the name may since belong to
# someone else. Kept more than one default margin below 1.0 so current names win outright.
FORMER_NAME_FACTOR = 0.96
# Share of the remaining gap to 1.0 that a website label spelling the name closes.
DOMAIN_LIFT = 0.65
# Blocking reads postings of the rarest tokens only; tokens this common are used only when the
# query has nothing rarer, and then the character prefilter caps the work.
MAX_BLOCK_POSTINGS = 20_000
SHORTLIST = 25
# Name score = this share of whole-string similarity + the rest of rarity-weighted token overlap.
CHARACTER_WEIGHT = 0.3
_FILLER = frozenset({"AND", "THE", "OF"})


@dataclass(frozen=True)
class RegistryEntity:
    uen: str
    entity_name: str
    status: str | None = None
    former_names: tuple[str, ...] = ()

    @property
    def is_live(self) -> bool:
        return (self.status or "").lower().startswith("live")


@dataclass(frozen=True)
class MatchResult:
    """uen is set only when status is "matched"; candidates are the top 3 whatever the status."""

    uen: str | None
    entity_name: str | None
    score: float
    method: str | None
    status: str
    candidates: list[dict] = field(default_factory=list)


@dataclass
class _Scored:
    entity: int
    score: float
    method: str
    live: bool


def _compact_forms(key: str) -> set[str]:
    """How a name is written as a domain label: run together, with or without "and"."""
    tokens = key.lower().split()
    return {"".join(tokens), "".join(t for t in tokens if t.upper() not in _FILLER)}


def _word_prefixes(key: str) -> set[str]:
    """Run-together leading words: "STRAITS FORWARDING AND ..." -> straits, straitsforwarding, ..."""
    prefixes = set()
    for tokens in (key.lower().split(), [t for t in key.lower().split() if t.upper() not in _FILLER]):
        for end in range(1, len(tokens) + 1):
            prefixes.add("".join(tokens[:end]))
    return prefixes


def domain_support(label: str, key: str) -> float:
    """0..1: how clearly a domain label spells a normalised name ("limbrosfood" ~ "LIM BROS FOOD ...").

    1.0 when the label is the name's leading whole words run together, 0.9 when it cuts a
    word ("tansonsbev") or adds to the full name ("harbourlinesg"), else near-identical only.
    """
    if len(label) < 4:
        return 0.0
    if label in _word_prefixes(key):
        return 1.0
    forms = _compact_forms(key)
    if any(f.startswith(label) or label.startswith(f) for f in forms):
        return 0.9
    close = max(fuzz.ratio(label, f) for f in forms) / 100
    return close if close >= 0.9 else 0.0


class Matcher:
    """An in-memory index over registry names (current and former) for `match` queries."""

    def __init__(self, entities: Iterable[RegistryEntity], threshold: float = 0.85, margin: float = 0.03):
        started = time.perf_counter()
        self.threshold = threshold
        self.margin = margin
        self._uens: list[str] = []
        self._names: list[str] = []
        self._live = bytearray()
        # One "key" per distinct normalised name of an entity (current or former).
        self._key_text: list[str] = []
        self._key_sorted: list[str] = []
        self._key_entity = array("i")
        self._key_former = bytearray()
        self._exact: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        for entity in entities:
            index = len(self._uens)
            self._uens.append(entity.uen)
            self._names.append(entity.entity_name)
            self._live.append(entity.is_live)
            seen: set[str] = set()
            for former, raw in ((False, entity.entity_name), *((True, n) for n in entity.former_names)):
                key = normalise_name(raw)
                if not key or key in seen:
                    continue
                seen.add(key)
                key_id = len(self._key_text)
                tokens = key.split()
                self._key_text.append(key)
                self._key_sorted.append(" ".join(sorted(tokens)))
                self._key_entity.append(index)
                self._key_former.append(former)
                self._exact.setdefault(key, []).append(key_id)
                for token in set(tokens):
                    postings.setdefault(token, []).append(key_id)
        self._postings = {token: array("i", ids) for token, ids in postings.items()}
        # Run-together forms of every name, sorted for prefix search by domain label.
        forms = sorted((form, key_id) for key_id, key in enumerate(self._key_text) for form in _compact_forms(key))
        self._forms = [form for form, _ in forms]
        self._form_keys = array("i", (key_id for _, key_id in forms))
        self._vocabulary = list(self._postings)
        log_keys = math.log(len(self._key_text) + 1)
        self._idf = {token: log_keys - math.log(len(ids)) + 1 for token, ids in self._postings.items()}
        self._unseen_weight = log_keys + 1
        log.info(
            "matcher built over %d entities (%d names, %d tokens) in %.2fs",
            len(self._uens),
            len(self._key_text),
            len(self._vocabulary),
            time.perf_counter() - started,
        )

    def __len__(self) -> int:
        return len(self._uens)

    # --- query side ---------------------------------------------------------------------

    def _weight(self, token: str) -> float:
        """Inverse document frequency: a shared rare token says more than a shared TRADING."""
        return self._idf.get(token, self._unseen_weight)

    def _resolve(self, token: str) -> str:
        """The registry's spelling of a query token, correcting a typo against the vocabulary."""
        if token in self._postings or len(token) < 4 or not self._vocabulary:
            return token
        best = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=80)
        return best[0] if best else token

    def _domain_keys(self, label: str) -> set[int]:
        """Names a domain label spells: forms starting with the label, or the label's own prefixes."""
        if len(label) < 4:
            return set()
        found: set[int] = set()
        start = bisect_left(self._forms, label)
        for i in range(start, min(start + SHORTLIST, len(self._forms))):
            if not self._forms[i].startswith(label):
                break
            found.add(self._form_keys[i])
        for end in range(4, len(label)):
            i = bisect_left(self._forms, label[:end])
            while i < len(self._forms) and self._forms[i] == label[:end]:
                found.add(self._form_keys[i])
                i += 1
        return found

    def _shortlist(self, keys: set[int], tokens: list[str]) -> set[int]:
        """At most SHORTLIST keys, the closest by whole-string similarity (computed in C)."""
        if len(keys) <= SHORTLIST:
            return keys
        ids = list(keys)
        query_sorted = " ".join(sorted(tokens))  # as the registry spells them
        best = process.extract(query_sorted, [self._key_sorted[k] for k in ids], scorer=fuzz.ratio, limit=SHORTLIST)
        return {ids[i] for _, _, i in best}

    def _candidate_keys(self, query: str, tokens: list[str], label: str) -> set[int]:
        """Exact name, names the domain spells, and names sharing the query's rarest tokens.

        Names holding both of the two rarest tokens come first, so that many near-identical
        names holding only one ("RED DOT STRAITS ...") cannot crowd them out; names holding
        only the rarest token are considered when few hold both and no name is exact.
        """
        keys = set(self._exact.get(query, ())) | self._domain_keys(label)
        known = sorted((len(self._postings[t]), t) for t in set(tokens) if t in self._postings)
        blocks = [
            set(self._postings[token])
            for rank, (count, token) in enumerate(known[:2])
            if rank == 0 or count <= MAX_BLOCK_POSTINGS
        ]
        if blocks:
            both = set.intersection(*blocks)
            # Narrow a crowd of names sharing only common tokens by the query's further tokens.
            for _, token in known[2:]:
                if len(both) <= SHORTLIST:
                    break
                narrower = both.intersection(self._postings[token])
                if narrower:
                    both = narrower
            keys |= self._shortlist(both, tokens)
            if len(both) < SHORTLIST and query not in self._exact:
                keys |= self._shortlist(blocks[0] - both, tokens)
        return keys

    def _token_overlap(self, tokens: list[str], key_tokens: list[str]) -> float:
        """Rarity-weighted overlap of tokens; near-identical tokens (typos) count in part."""
        query_weight = sum(self._weight(t) for t in tokens)
        key_weight = sum(self._weight(t) for t in key_tokens)
        shared = 0.0
        for token in tokens:
            if token in key_tokens:
                shared += self._weight(token)
                continue
            if len(token) < 4:
                continue
            similarity, other = max(((fuzz.ratio(token, k), k) for k in key_tokens), default=(0.0, ""))
            if similarity >= 80:
                shared += min(self._weight(token), self._weight(other)) * similarity / 100
        if not shared:
            return 0.0
        # F2: a word the seed names but the entity lacks counts against it more than the
        # reverse, since people drop words from legal names ("Saffron Table") but rarely add.
        precision, recall = shared / key_weight, shared / query_weight
        return min(1.0, 5 * precision * recall / (4 * precision + recall))

    def _score_key(
        self, query: str, query_sorted: str, tokens: list[str], key_id: int, label: str
    ) -> tuple[float, str]:
        key = self._key_text[key_id]
        former = bool(self._key_former[key_id])
        exact = key == query
        if exact:
            score = 1.0
        else:
            # Reordered or typo-corrected tokens are close, but only the same name is exact.
            characters = fuzz.ratio(query_sorted, self._key_sorted[key_id]) / 100
            overlap = self._token_overlap(tokens, key.split())
            score = min(0.99, CHARACTER_WEIGHT * characters + (1 - CHARACTER_WEIGHT) * overlap)
        if former:
            score *= FORMER_NAME_FACTOR
        method = "former_name" if former else ("exact" if exact else "fuzzy")
        support = domain_support(label, key) if label else 0.0
        if support and score < 1.0:
            score += (1.0 - score) * DOMAIN_LIFT * support
            method = "domain"
        return score, method

    def match(self, name: str, domain: str | None = None) -> MatchResult:
        """Best registry entity for a seed; never a match below the threshold."""
        query = normalise_name(name)
        if not query:
            return MatchResult(None, None, 0.0, None, "unmatched", [])
        label = "".join(c for c in domain_label(domain or "") if c.isalnum())
        query_sorted = " ".join(sorted(query.split()))
        tokens = [self._resolve(t) for t in query.split()]
        best: dict[int, _Scored] = {}
        for key_id in self._candidate_keys(query, tokens, label):
            score, method = self._score_key(query, query_sorted, tokens, key_id, label)
            entity = self._key_entity[key_id]
            if entity not in best or score > best[entity].score:
                best[entity] = _Scored(entity, score, method, bool(self._live[entity]))
        # Within one margin a live entity outranks one that is struck off or dissolved.
        ranked = sorted(best.values(), key=lambda s: s.score + (self.margin if s.live else 0.0), reverse=True)
        candidates = [
            {"uen": self._uens[s.entity], "entity_name": self._names[s.entity], "score": round(s.score, 4)}
            for s in ranked[:3]
        ]
        eligible = [s for s in ranked if s.score >= self.threshold]
        if not eligible:
            top_score = max((s.score for s in ranked), default=0.0)
            return MatchResult(None, None, top_score, None, "unmatched", candidates)
        top = eligible[0]
        runner_up = eligible[1] if len(eligible) > 1 else None
        # An identical name is decisive unless another entity carries the same name.
        exact_tie = runner_up is not None and runner_up.method == "exact"
        if (
            runner_up is not None
            and (top.method != "exact" or exact_tie)
            and top.score - runner_up.score < self.margin
            and (runner_up.live or not top.live)
        ):
            return MatchResult(None, None, top.score, top.method, "ambiguous", candidates)
        return MatchResult(
            self._uens[top.entity], self._names[top.entity], top.score, top.method, "matched", candidates
        )

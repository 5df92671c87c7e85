"""Match a seed company (a casual name, maybe a website) to one ACRA entity.

A MatchIndex is built once per registry version and saved as arrays (names as one UTF-8 blob,
postings as token -> sorted key ids), so 2M entities cost bytes rather than Python objects and
load in seconds. The Matcher answers queries over it: candidates come from an exact
normalised-name lookup, the names a website label spells, and rare-token blocking (names
sharing the query's rarest tokens; a misspelt word blocks on all the registry words fewest
edits away), so a query never scans the registry. Each candidate gets a 0..1 score mixing character
similarity (rapidfuzz) with rarity-weighted token overlap, where registry words the seed lacks
cost more the more distinctive they are; a website whose label spells both the seed and the
entity's leading words lifts the score. Live entities win near-ties, and a near-tie with the
best alternative is reported as ambiguous rather than guessed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from icp_assets.domain.matching.names import normalise_name
from scrapers.hosts import domain_label

log = logging.getLogger(__name__)

METHODS = ("domain", "exact", "fuzzy", "former_name")
STATUSES = ("matched", "ambiguous", "unmatched")

# Bump when the saved layout or the normalisation changes: older files are then rebuilt.
INDEX_FORMAT = 2

# A former name is weaker evidence than the same current name: the name may since belong to
# someone else. Kept more than one default margin below 1.0 so current names win outright.
FORMER_NAME_FACTOR = 0.96
# Share of the remaining gap to 1.0 that a website label spelling the name closes, when the
# label also spells every word of the seed. A label spelling only some of them ("angen.com"
# for "Angen Beverage Trading") repeats what the name says and vouches for little: it lifts
# PARTIAL_LABEL_LIFT times the share (by rarity) of the seed's words it spells.
DOMAIN_LIFT = 0.65
PARTIAL_LABEL_LIFT = 0.3
# Each seed word the entity lacks shrinks the lift by this factor: the website cannot vouch
# for a name the seed itself contradicts ("Ironcrest Holdings Ventures" vs IRONCREST VENTURES).
MISSING_WORD_LIFT = 0.25
# Blocking intersects postings rarest first; a token held by more names than this is only
# used to narrow a block, never as a block of its own.
MAX_BLOCK_POSTINGS = 20_000
# Names of only common words ("Trading") are decided by exact name and domain; the fuzzy
# shortlist then reads at most this many blocked names.
MAX_SHORTLIST_INPUT = 3_000
SHORTLIST = 25
ADDED_WORD_FACTOR = 0.9
# A registry word the seed leaves out costs less, and more the rarer the word: at 2M names
# "X Y" often exists beside "X COOL Y" and "X Y GROUP", and while GROUP may be an
# afterthought, a distinctive COOL names another company. Each such word keeps
# DROPPED_WORD_FACTOR less DROPPED_WORD_COST times its rarity (its weight relative to a word
# no name holds) of the score; a website spelling the name then has to vouch for it.
DROPPED_WORD_FACTOR = 0.95
DROPPED_WORD_COST = 0.35
# A typo is corrected to every vocabulary word within the fewest edits of it (a swap of two
# letters is one edit), at most TYPO_SPELLINGS of them: "YONGLUO" is one edit from YONGLUHO
# and YONGLUVO alike, and the seed's other words decide.
TYPO_SPELLINGS = 5
# Score bonus for ranking only: enough to put "X (S)" (live) before its struck-off namesake,
# too little to put a live sibling before a better-scoring name.
LIVE_PREFERENCE = 0.011
# Name score = this share of whole-string similarity + the rest of rarity-weighted token overlap.
CHARACTER_WEIGHT = 0.3
_FILLER = frozenset({"AND", "THE", "OF"})
# Words a name may carry or not anywhere, not only at its end (where normalisation drops them).
_OPTIONAL = frozenset({"SINGAPORE"})


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


class Strings:
    """Many strings as one UTF-8 blob plus offsets: item i is decoded only when read."""

    def __init__(self, blob: bytes, offsets: np.ndarray):
        self._blob = blob
        self._offsets = offsets

    @classmethod
    def of(cls, items: Iterable[str]) -> Strings:
        encoded = [s.encode() for s in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]].decode()

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_blob": np.frombuffer(self._blob, dtype=np.uint8), f"{prefix}_offsets": self._offsets}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> Strings:
        return cls(arrays[f"{prefix}_blob"].tobytes(), arrays[f"{prefix}_offsets"])


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
    # A misspelt label, not one that holds the name inside ("xinmeridianfreight"): same start,
    # about the same length.
    close = max(
        (fuzz.ratio(label, f) / 100 for f in forms if f[:2] == label[:2] and abs(len(f) - len(label)) <= 2),
        default=0.0,
    )
    return close if close >= 0.9 else 0.0


def _key_hash(key: str) -> int:
    """Stable across processes (unlike hash()), so the exact-name table can be saved."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class MatchIndex:
    """The registry's names as arrays; one "key" per distinct normalised name of an entity."""

    uens: Strings
    names: Strings
    live: np.ndarray  # bool per entity
    keys: Strings  # normalised names
    key_entity: np.ndarray  # int32 per key
    key_former: np.ndarray  # bool per key
    hash_sorted: np.ndarray  # uint64 key hashes, sorted
    hash_keys: np.ndarray  # int32 key id per sorted hash
    vocabulary: Strings  # token per token id
    postings_start: np.ndarray  # int64, token id -> start in postings (one extra at the end)
    postings: np.ndarray  # int32 key ids, sorted within each token
    forms: Strings  # run-together forms of every key, sorted (domain-label prefix search)
    form_keys: np.ndarray  # int32 key id per form

    @classmethod
    def build(cls, entities: Iterable[RegistryEntity]) -> MatchIndex:
        started = time.perf_counter()
        uens: list[str] = []
        names: list[str] = []
        live = bytearray()
        keys: list[str] = []
        key_entity = array("i")
        key_former = bytearray()
        token_ids: dict[str, int] = {}
        pair_token = array("i")
        pair_key = array("i")
        for entity in entities:
            index = len(uens)
            uens.append(entity.uen)
            names.append(entity.entity_name)
            live.append(entity.is_live)
            seen: set[str] = set()
            for former, raw in ((False, entity.entity_name), *((True, n) for n in entity.former_names)):
                key = normalise_name(raw)
                if not key or key in seen:
                    continue
                seen.add(key)
                key_id = len(keys)
                keys.append(key)
                key_entity.append(index)
                key_former.append(former)
                for token in set(key.split()):
                    pair_token.append(token_ids.setdefault(token, len(token_ids)))
                    pair_key.append(key_id)
        tokens = np.frombuffer(pair_token, dtype=np.int32)
        # A stable sort keeps key ids ascending within each token, which intersection relies on.
        postings = np.frombuffer(pair_key, dtype=np.int32)[np.argsort(tokens, kind="stable")]
        postings_start = np.zeros(len(token_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=len(token_ids)), out=postings_start[1:])
        hashes = np.fromiter((_key_hash(k) for k in keys), dtype=np.uint64, count=len(keys))
        hash_order = np.argsort(hashes, kind="stable")
        forms = [(form, key_id) for key_id, key in enumerate(keys) for form in _compact_forms(key)]
        forms.sort()
        index = cls(
            uens=Strings.of(uens),
            names=Strings.of(names),
            live=np.frombuffer(live, dtype=np.bool_).copy(),
            keys=Strings.of(keys),
            key_entity=np.frombuffer(key_entity, dtype=np.int32).copy(),
            key_former=np.frombuffer(key_former, dtype=np.bool_).copy(),
            hash_sorted=hashes[hash_order],
            hash_keys=hash_order.astype(np.int32),
            vocabulary=Strings.of(token_ids),
            postings_start=postings_start,
            postings=postings,
            forms=Strings.of(f for f, _ in forms),
            form_keys=np.fromiter((k for _, k in forms), dtype=np.int32, count=len(forms)),
        )
        log.info(
            "match index built over %d entities (%d names, %d tokens) in %.1fs",
            len(uens),
            len(keys),
            len(token_ids),
            time.perf_counter() - started,
        )
        return index

    def __len__(self) -> int:
        return len(self.live)

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"format": np.array([INDEX_FORMAT])}
        for name in ("uens", "names", "keys", "vocabulary", "forms"):
            arrays.update(getattr(self, name).arrays(name))
        for name in ("live", "key_entity", "key_former", "hash_sorted", "hash_keys", "postings_start", "postings"):
            arrays[name] = getattr(self, name)
        arrays["form_keys"] = self.form_keys
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> MatchIndex:
        with np.load(Path(path)) as arrays:
            if int(arrays["format"][0]) != INDEX_FORMAT:
                raise ValueError(f"{path}: index format {int(arrays['format'][0])}, expected {INDEX_FORMAT}")
            strings = {n: Strings.from_arrays(arrays, n) for n in ("uens", "names", "keys", "vocabulary", "forms")}
            plain = {
                n: arrays[n]
                for n in (
                    "live",
                    "key_entity",
                    "key_former",
                    "hash_sorted",
                    "hash_keys",
                    "postings_start",
                    "postings",
                    "form_keys",
                )
            }
        return cls(**strings, **plain)


@dataclass(frozen=True)
class _Query:
    """A seed prepared once: its words, their registry spellings and what its website spells."""

    text: str  # normalised name
    sorted_text: str  # its words sorted, for order-free character similarity
    words: list[tuple[str, ...]]  # per seed word, its registry spellings (itself when known)
    known: frozenset[str]  # seed words the registry knows as spelt
    label: str  # the website's name label, alphanumerics only
    label_lift: float  # 1.0 when the label spells every seed word, less when only some


@dataclass(frozen=True)
class _Scored:
    entity: int
    key: int
    score: float
    method: str
    live: bool
    name_score: float  # before the domain lift
    support: float  # how clearly the website spells the name


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids in both sorted arrays, in time proportional to the smaller one."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    positions = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return a[b[positions] == a]


class Matcher:
    """Queries over a MatchIndex; threshold and margin are per use, the index per registry version."""

    def __init__(self, index: MatchIndex, threshold: float = 0.85, margin: float = 0.03):
        started = time.perf_counter()
        self.index = index
        self.threshold = threshold
        self.margin = margin
        vocabulary = [index.vocabulary[i] for i in range(len(index.vocabulary))]
        self._token_ids = {token: i for i, token in enumerate(vocabulary)}
        counts = np.diff(index.postings_start)
        log_keys = math.log(len(index.keys) + 1)
        self._idf: list[float] = (log_keys - np.log(np.maximum(counts, 1)) + 1).tolist()
        self._counts: list[int] = counts.tolist()
        self._unseen_weight = log_keys + 1
        # Typo correction looks among tokens sharing the first or the last two letters.
        self._by_edge: dict[str, list[str]] = {}
        for token in vocabulary:
            if len(token) >= 4:
                self._by_edge.setdefault("<" + token[:2], []).append(token)
                self._by_edge.setdefault(">" + token[-2:], []).append(token)
        log.debug("matcher ready over %d entities in %.1fs", len(index), time.perf_counter() - started)

    def __len__(self) -> int:
        return len(self.index)

    # --- query side ---------------------------------------------------------------------

    def _weight(self, token: str) -> float:
        """Inverse document frequency: a shared rare token says more than a shared TRADING."""
        token_id = self._token_ids.get(token)
        return self._unseen_weight if token_id is None else self._idf[token_id]

    def _postings(self, token_id: int) -> np.ndarray:
        start = self.index.postings_start
        return self.index.postings[start[token_id] : start[token_id + 1]]

    def _spellings(self, token: str) -> tuple[str, ...]:
        """The registry's spellings of a query word: itself when known, else the vocabulary
        words closest to it (a typo is often one edit from several, and the other words decide)."""
        if token in self._token_ids or len(token) < 4:
            return (token,)
        nearby = dict.fromkeys([*self._by_edge.get("<" + token[:2], ()), *self._by_edge.get(">" + token[-2:], ())])
        close = [w for w, _, _ in process.extract(token, list(nearby), scorer=fuzz.ratio, score_cutoff=80, limit=None)]
        found = process.extract(token, close, scorer=OSA.distance, limit=TYPO_SPELLINGS)
        if not found:
            return (token,)
        return tuple(word for word, edits, _ in found if edits == found[0][1])

    def _label_lift(self, label: str, raw: list[str], words: list[tuple[str, ...]]) -> float:
        """How far a website label may lift: fully when it spells every word of the seed (in
        any order, as the seed or the registry spells it), else in proportion to what it spells."""
        if len(label) < 4:
            return 0.0
        total = covered = 0.0
        for token, spellings in zip(raw, words, strict=True):
            if len(token) < 2 or token in _FILLER or token in _OPTIONAL:
                continue
            weight = self._weight(spellings[0])
            total += weight
            if any(t.lower() in label for t in (token, *spellings)):
                covered += weight
        if not total or covered >= total:
            return 1.0
        return PARTIAL_LABEL_LIFT * covered / total

    def _prepare(self, query: str, domain: str | None) -> _Query:
        raw = query.split()
        words = [self._spellings(t) for t in raw]
        label = "".join(c for c in domain_label(domain or "") if c.isalnum())
        return _Query(
            text=query,
            sorted_text=" ".join(sorted(raw)),
            words=words,
            known=frozenset(t for t in raw if t in self._token_ids),
            label=label,
            label_lift=self._label_lift(label, raw, words),
        )

    def _exact_keys(self, query: str) -> list[int]:
        index = self.index
        wanted = np.uint64(_key_hash(query))
        start = int(np.searchsorted(index.hash_sorted, wanted))
        found = []
        while start < len(index.hash_sorted) and index.hash_sorted[start] == wanted:
            key_id = int(index.hash_keys[start])
            if index.keys[key_id] == query:
                found.append(key_id)
            start += 1
        return found

    def _domain_keys(self, label: str) -> set[int]:
        """Names a domain label spells: forms starting with the label, or the label's own prefixes."""
        if len(label) < 4:
            return set()
        forms, form_keys = self.index.forms, self.index.form_keys
        found: set[int] = set()
        start = bisect_left(forms, label)
        for i in range(start, min(start + SHORTLIST, len(forms))):
            if not forms[i].startswith(label):
                break
            found.add(int(form_keys[i]))
        for end in range(4, len(label)):
            i = bisect_left(forms, label[:end])
            while i < len(forms) and forms[i] == label[:end]:
                found.add(int(form_keys[i]))
                i += 1
        return found

    def _shortlist(self, keys: np.ndarray, query_sorted: str) -> set[int]:
        """At most SHORTLIST keys, the closest by word-order-free similarity (computed in C)."""
        if len(keys) <= SHORTLIST:
            return {int(k) for k in keys}
        ids = keys[:MAX_SHORTLIST_INPUT].tolist()
        texts = [self.index.keys[k] for k in ids]
        best = process.extract(query_sorted, texts, scorer=fuzz.token_sort_ratio, limit=SHORTLIST)
        return {ids[i] for _, _, i in best}

    def _word_postings(self, token_ids: tuple[int, ...]) -> np.ndarray:
        """Keys holding any of a word's spellings, sorted."""
        if len(token_ids) == 1:
            return self._postings(token_ids[0])
        return np.unique(np.concatenate([self._postings(t) for t in token_ids]))

    def _candidate_keys(self, q: _Query) -> set[int]:
        """Exact name, names the domain spells, and names sharing the query's rarest tokens.

        Names holding both of the two rarest tokens come first, so that many near-identical
        names holding only one ("RED DOT STRAITS ...") cannot crowd them out; names holding
        only the rarest token are considered when few hold both and no name is exact.
        """
        exact = self._exact_keys(q.text)
        keys = set(exact) | self._domain_keys(q.label)
        known = set()
        for spellings in q.words:
            ids = tuple(self._token_ids[t] for t in spellings if t in self._token_ids)
            if ids:
                known.add((sum(self._counts[i] for i in ids), ids))
        if not known:
            return keys
        known = sorted(known)
        rarest = self._word_postings(known[0][1])
        both = rarest
        if len(known) > 1 and (known[1][0] <= MAX_BLOCK_POSTINGS or len(rarest) > MAX_BLOCK_POSTINGS):
            both = _intersect(rarest, self._word_postings(known[1][1]))
        # Narrow a crowd of names sharing only common tokens by the query's further tokens.
        for _, token_ids in known[2:]:
            if len(both) <= SHORTLIST:
                break
            narrower = _intersect(both, self._word_postings(token_ids))
            if len(narrower):
                both = narrower
        keys |= self._shortlist(both, q.sorted_text)
        if len(both) < SHORTLIST and not exact and len(rarest) <= MAX_BLOCK_POSTINGS:
            keys |= self._shortlist(np.setdiff1d(rarest, both, assume_unique=True), q.sorted_text)
        return keys

    def _token_overlap(self, q: _Query, key_tokens: list[str]) -> tuple[float, float, int]:
        """Rarity-weighted overlap of tokens, the factor for entity words the seed lacks, and
        how many seed words the entity lacks.

        A seed word counts in the spelling this entity uses; a typo that was not corrected
        counts in part for a near token. A known seed word is a different word, never a typo
        of another ("NOVENA" is not "NOVA"). SINGAPORE counts only when both sides carry it.
        """
        key_set = set(key_tokens)
        tokens = []
        for spellings in q.words:
            token = next((t for t in spellings if t in key_set), spellings[0])
            if token not in _OPTIONAL or token in key_set:
                tokens.append(token)
        key_tokens = [t for t in key_tokens if t not in _OPTIONAL or t in tokens]
        query_weight = sum(self._weight(t) for t in tokens)
        key_weight = sum(self._weight(t) for t in key_tokens)
        shared = 0.0
        missing = added = 0
        unmatched = Counter(key_tokens)  # a word the seed repeats must be repeated to match
        for token in tokens:
            if unmatched[token]:
                shared += self._weight(token)
                unmatched[token] -= 1
                continue
            missing += 1
            if token in q.known:
                added += 1
                continue
            if len(token) < 4:
                continue
            similarity, other = max(((fuzz.ratio(token, k), k) for k in key_tokens), default=(0.0, ""))
            if similarity >= 80:
                shared += min(self._weight(token), self._weight(other)) * similarity / 100
                unmatched[other] = max(0, unmatched[other] - 1)
                missing -= 1
        if not shared:
            return 0.0, 1.0, missing
        # F2: a word the seed names but the entity lacks counts against it more than the
        # reverse, since people drop words from legal names ("Saffron Table") but rarely add
        # them; an added word usually names a sibling ("X HOLDINGS") or another company, so
        # each known word the entity lacks also costs a flat share (ADDED_WORD_FACTOR), and
        # each entity word the seed lacks a share growing with its rarity (DROPPED_WORD_COST).
        precision, recall = shared / key_weight, shared / query_weight
        f2 = min(1.0, 5 * precision * recall / (4 * precision + recall))
        dropped = 1.0
        for t, count in unmatched.items():
            rarity = min(1.0, self._weight(t) / self._unseen_weight)
            dropped *= (DROPPED_WORD_FACTOR - DROPPED_WORD_COST * rarity) ** count
        return f2 * ADDED_WORD_FACTOR**added, dropped, missing

    def _score_key(self, q: _Query, key_id: int) -> _Scored:
        key = self.index.keys[key_id]
        former = bool(self.index.key_former[key_id])
        exact = key == q.text
        support = domain_support(q.label, key) if q.label else 0.0
        vouched = 0.0  # how far the website vouches for this name beyond the seed's words
        if exact:
            score = name_score = 1.0
            vouched = support * q.label_lift  # lifts an exact former name only
        else:
            # Reordered or typo-corrected tokens are close, but only the same name is exact.
            key_tokens = key.split()
            characters = fuzz.ratio(q.sorted_text, " ".join(sorted(key_tokens))) / 100
            overlap, dropped, missing = self._token_overlap(q, key_tokens)
            vouched = support * q.label_lift * MISSING_WORD_LIFT**missing
            name_score = min(0.99, CHARACTER_WEIGHT * characters + (1 - CHARACTER_WEIGHT) * overlap * dropped)
            # The entity words the seed lacks are what a website spelling the name vouches for.
            score = min(
                0.99, CHARACTER_WEIGHT * characters + (1 - CHARACTER_WEIGHT) * overlap * dropped ** (1 - vouched)
            )
        if former:
            score *= FORMER_NAME_FACTOR
            name_score *= FORMER_NAME_FACTOR
        method = "former_name" if former else ("exact" if exact else "fuzzy")
        if vouched and score < 1.0:
            score += (1.0 - score) * DOMAIN_LIFT * vouched
            method = "domain"
        entity = int(self.index.key_entity[key_id])
        return _Scored(entity, key_id, score, method, bool(self.index.live[entity]), name_score, support)

    def _too_close(self, top: _Scored, runner_up: _Scored) -> bool:
        """Whether the two best candidates are too close to choose between.

        An identical name is decisive unless another entity carries the same name, and a live
        entity beats a struck-off one of the same name. Names the website spells equally well
        are compared by name alone, since the lift toward 1.0 squeezes their difference.
        """
        if top.method == "exact" and runner_up.method != "exact":
            return False
        if top.live and not runner_up.live and self.index.keys[top.key] == self.index.keys[runner_up.key]:
            return False
        if top.support and top.support == runner_up.support:
            return abs(top.name_score - runner_up.name_score) < self.margin
        return top.score - runner_up.score < self.margin

    def match(self, name: str, domain: str | None = None) -> MatchResult:
        """Best registry entity for a seed; never a match below the threshold."""
        query = normalise_name(name)
        if not query:
            return MatchResult(None, None, 0.0, None, "unmatched", [])
        q = self._prepare(query, domain)
        index = self.index
        best: dict[int, _Scored] = {}
        for key_id in self._candidate_keys(q):
            scored = self._score_key(q, key_id)
            if scored.entity not in best or scored.score > best[scored.entity].score:
                best[scored.entity] = scored
        # A live entity outranks a struck-off or dissolved one of (nearly) the same score.
        ranked = sorted(best.values(), key=lambda s: s.score + (LIVE_PREFERENCE if s.live else 0.0), reverse=True)
        candidates = [
            {"uen": index.uens[s.entity], "entity_name": index.names[s.entity], "score": round(s.score, 4)}
            for s in ranked[:3]
        ]
        eligible = [s for s in ranked if s.score >= self.threshold]
        if not eligible:
            top_score = max((s.score for s in ranked), default=0.0)
            return MatchResult(None, None, top_score, None, "unmatched", candidates)
        top = eligible[0]
        # The runner-up need not clear the threshold: "X Y" at 0.86 for "X Y GROUP" beside
        # "X Y ASIA" at 0.84 is a guess between names that each lack a word, not a match.
        runner_up = next((s for s in ranked if s is not top), None)
        if runner_up is not None and self._too_close(top, runner_up):
            return MatchResult(None, None, top.score, top.method, "ambiguous", candidates)
        return MatchResult(
            index.uens[top.entity], index.names[top.entity], top.score, top.method, "matched", candidates
        )

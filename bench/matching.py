"""Seed matching at registry scale: our Matcher against the plan's SQL and a brute-force rapidfuzz scan.

A synthetic registry (ICP_BENCH_ENTITIES, default 2,000,000) and labelled queries
(ICP_BENCH_QUERIES, default 1,000) with realistic noise: casual names, typos, dropped or
swapped legal suffixes, (S), & vs and, abbreviations, word order, former names, brand-only
names with a website, siblings and names that extend each other, and 20% companies that are
not in the registry (held out of it, or a registry name with a word added). Accepted matches
are scored for precision and recall; ambiguous and unmatched answers are abstentions.

Baselines on a sample (ICP_BENCH_BASELINE_QUERIES, default 15): the plan's
`similarity(name, q) > 0.35 order by similarity desc limit 1` on a pg_trgm server
(ICP_BENCH_TRGM_URL) and rapidfuzz `process.extractOne(q, all_names, scorer=token_set_ratio)`.
"""

from __future__ import annotations

import bisect
import os
import random
import resource
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import psutil
import psycopg
from psycopg import sql
from rapidfuzz import fuzz, process

from bench.report import baseline, figure, note
from demo.synthetic_registry import synthetic_acra_rows
from icp_assets.domain.matching.matcher import Matcher, MatchIndex, RegistryEntity
from icp_assets.domain.matching.names import normalise_name
from icp_assets.domain.registry.acra import FORMER_NAME_COLUMNS

BENCH = "matching"
SEED = 20240611
TRGM_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
PLAN_THRESHOLD = 0.35
LEGAL_SUFFIXES = (" PTE. LTD.", " PTE LTD", " PRIVATE LIMITED", " LLP")
ABBREVIATE = {"INTERNATIONAL": "Intl", "HOLDINGS": "Hldgs", "ENGINEERING": "Engg", "SERVICES": "Svcs"}
EXTRA_WORDS = ("HOLDINGS", "INTERNATIONAL", "GROUP", "ASIA", "TRADING", "SERVICES")


@dataclass(frozen=True)
class Query:
    kind: str
    name: str
    domain: str | None
    expected: str | None  # the UEN, or None when the company is not in the registry


def _bare(name: str) -> str:
    for suffix in LEGAL_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    word = list(words[i])
    at = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "drop", "replace"))
    if edit == "swap":
        word[at], word[at + 1] = word[at + 1], word[at]
    elif edit == "drop":
        del word[at]
    else:
        word[at] = rng.choice("AEIOURSTLN")
    words[i] = "".join(word)
    return " ".join(words)


def _suffix_noise(rng: random.Random, name: str) -> str:
    bare = _bare(name).replace(" (S)", "")
    return bare + rng.choice(("", " Pte Ltd", " Private Limited", " (S) Pte. Ltd.", " PTE LTD"))


def _domain(rng: random.Random, name: str) -> str:
    words = [w for w in normalise_name(name).lower().split() if w != "and"]
    return "".join(words[: rng.choice((1, 2, 2, 3))]) + rng.choice((".com.sg", ".sg", ".com"))


def _casual(rng: random.Random, name: str) -> str:
    text = _bare(name)
    return text.title() if rng.random() < 0.6 else text


def _noisy(rng: random.Random, name: str) -> tuple[str, str]:
    kind = rng.choice(("clean", "typo", "suffix", "order"))
    if kind == "typo":
        return kind, _casual(rng, _typo(rng, _bare(name)))
    if kind == "suffix":
        return kind, _suffix_noise(rng, name)
    if kind == "order":
        words = _bare(name).split()
        if len(words) >= 3:
            words[-1], words[-2] = words[-2], words[-1]
        return kind, " ".join(words).title()
    return kind, _casual(rng, name)


def build_registry(entities: int, held_out: int) -> tuple[list[RegistryEntity], list[RegistryEntity]]:
    """The registry, and companies generated alike but kept out of it (the "not in registry" seeds)."""
    rng = random.Random(SEED)
    hold = set(rng.sample(range(entities + held_out), held_out))
    registry: list[RegistryEntity] = []
    outside: list[RegistryEntity] = []
    for i, row in enumerate(synthetic_acra_rows(entities + held_out, seed=SEED)):
        former = tuple(row[c] for c in FORMER_NAME_COLUMNS if row[c] != "na")
        entity = RegistryEntity(row["uen"], row["entity_name"], row["entity_status_description"], former)
        (outside if i in hold else registry).append(entity)
    return registry, outside


def make_queries(
    registry: list[RegistryEntity], outside: list[RegistryEntity], keys: Counter[str], count: int
) -> list[Query]:
    """Labelled queries; `keys` counts entities per normalised registry name (current or former),
    so that targets are unambiguous and negatives truly absent. A name is taken as the registry's
    whatever its word order, as the generator does (ACRA would refuse it), so a brand or an absent
    seed that only reorders a registry name is never generated."""
    rng = random.Random(SEED + 1)
    orderless = {_orderless(k) for k in keys}

    def registered(name: str) -> bool:
        return _orderless(normalise_name(name)) in orderless

    sample = rng.sample(registry, min(len(registry), 200_000))
    unique = [e for e in sample if keys[normalise_name(e.entity_name)] == 1]
    with_former = [e for e in unique if e.former_names and all(keys[normalise_name(n)] == 1 for n in e.former_names)]
    with_and = [e for e in unique if " & " in e.entity_name or " AND " in e.entity_name]
    with_abbreviation = [e for e in unique if any(w in e.entity_name.split() for w in ABBREVIATE)]
    siblings = [e for e in registry[: len(registry) // 4] if " (S) PTE. LTD." in e.entity_name and e.is_live]
    sorted_keys = sorted(keys)
    queries: list[Query] = []

    def add(kind: str, name: str, expected: str | None, domain: str | None = None) -> None:
        queries.append(Query(kind, name, domain, expected))

    positives = count - count // 5
    plan = [
        ("noisy", 0.40),
        ("and", 0.07),
        ("abbreviation", 0.07),
        ("former", 0.10),
        ("brand_domain", 0.10),
        ("sibling", 0.10),
        ("with_domain", 0.16),
    ]
    for kind, share in plan:
        for _ in range(round(positives * share)):
            if kind == "noisy":
                target = rng.choice(unique)
                noise, name = _noisy(rng, target.entity_name)
                add(noise, name, target.uen)
            elif kind == "and":
                target = rng.choice(with_and)
                name = target.entity_name
                name = name.replace(" & ", " and ") if " & " in name else name.replace(" AND ", " & ")
                add(kind, _casual(rng, name), target.uen)
            elif kind == "abbreviation":
                target = rng.choice(with_abbreviation)
                words = [ABBREVIATE.get(w, w) for w in _bare(target.entity_name).split()]
                add(kind, " ".join(words), target.uen)
            elif kind == "former":
                target = rng.choice(with_former)
                add(kind, _casual(rng, rng.choice(target.former_names)), target.uen)
            elif kind == "brand_domain":
                # A brand (the leading words, which no other registry name starts with) and the
                # website that spells it.
                while True:
                    target = rng.choice(unique)
                    words = _bare(target.entity_name).split()
                    brand = " ".join(words[: max(1, len(words) - 1)])
                    if _names_starting_with(sorted_keys, normalise_name(brand)) == 1 and not registered(brand):
                        break
                add(kind, brand.title(), target.uen, "".join(normalise_name(brand).lower().split()) + ".sg")
            elif kind == "sibling":
                # "X (S) PTE. LTD." (live) sits beside "X HOLDINGS" and a struck-off "X".
                target = rng.choice(siblings)
                stem = target.entity_name.replace(" (S) PTE. LTD.", "")
                add(kind, _casual(rng, target.entity_name) if rng.random() < 0.5 else stem.title(), target.uen)
            else:
                target = rng.choice(unique)
                noise, name = _noisy(rng, target.entity_name)
                add(f"{noise}+domain", name, target.uen, _domain(rng, target.entity_name))
    while len(queries) < count:
        if rng.random() < 0.6:
            entity = rng.choice(outside)
            if registered(entity.entity_name):
                continue  # generated alike, it shares a registry name: not a negative
            noise, name = _noisy(rng, entity.entity_name)
            if registered(name):
                continue  # the noise turned it into a registry name
            add(f"absent:{noise}", name, None, _domain(rng, entity.entity_name) if rng.random() < 0.4 else None)
        else:
            # A registry name with a word added: a sibling or extension that does not exist.
            base = rng.choice(unique)
            words = normalise_name(base.entity_name).split()
            name = f"{_bare(base.entity_name)} {rng.choice([w for w in EXTRA_WORDS if w not in words])}"
            if registered(name):
                continue
            add("absent:extension", _casual(rng, name), None)
    rng.shuffle(queries)
    return queries


def _orderless(key: str) -> str:
    return " ".join(sorted(key.split()))


def _names_starting_with(sorted_keys: list[str], words: str) -> int:
    """How many registry names are these words or begin with them."""
    start = bisect.bisect_left(sorted_keys, words)
    end = bisect.bisect_left(sorted_keys, words + "!")  # "!" sorts right after " "
    return end - start


def score(answers: list[str | None], queries: list[Query]) -> tuple[float, float, float, float]:
    """Precision and recall of accepted answers, F1, and the share of queries left unanswered."""
    accepted = [(a, q) for a, q in zip(answers, queries, strict=True) if a is not None]
    correct = sum(a == q.expected for a, q in accepted)
    findable = sum(q.expected is not None for q in queries)
    precision = correct / len(accepted) if accepted else 1.0
    recall = correct / findable if findable else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, 1 - len(accepted) / len(queries)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def build_matcher(registry: list[RegistryEntity]) -> Matcher:
    started = time.perf_counter()
    matcher = Matcher(MatchIndex.build(registry))
    figure(BENCH, "index_build_seconds", time.perf_counter() - started, "s")
    return matcher


def run_ours(matcher: Matcher, queries: list[Query]) -> None:
    started = time.perf_counter()
    results = [matcher.match(q.name, q.domain) for q in queries]
    elapsed = time.perf_counter() - started
    precision, recall, f1, abstention = score([r.uen for r in results], queries)
    figure(BENCH, "precision", precision)
    figure(BENCH, "recall", recall)
    figure(BENCH, "f1", f1)
    figure(BENCH, "abstention_rate", abstention)
    figure(BENCH, "ambiguous_rate", sum(r.status == "ambiguous" for r in results) / len(results))
    figure(BENCH, "queries_per_second", len(queries) / elapsed, "q/s")
    figure(BENCH, "peak_rss", peak_rss_gib(), "GiB")
    misses: dict[str, int] = {}
    for q, r in zip(queries, results, strict=True):
        if r.uen != q.expected:
            label = f"{q.kind}:{'wrong' if r.uen else 'abstained'}"
            misses[label] = misses.get(label, 0) + 1
    note(BENCH, f"errors by query kind: {dict(sorted(misses.items()))}")


def run_rapidfuzz_baseline(registry: list[RegistryEntity], sample: list[Query]) -> None:
    names = [e.entity_name for e in registry]
    answers = []
    started = time.perf_counter()
    for q in sample:
        best = process.extractOne(q.name, names, scorer=fuzz.token_set_ratio, processor=str.upper)
        answers.append(registry[best[2]].uen if best and best[1] >= 85 else None)
    per_query = (time.perf_counter() - started) / len(sample)
    precision, recall, f1, _ = score(answers, sample)
    baseline(BENCH, "rapidfuzz_extractOne", "seconds_per_query", per_query, "s")
    baseline(BENCH, "rapidfuzz_extractOne", "precision", precision)
    baseline(BENCH, "rapidfuzz_extractOne", "recall", recall)
    baseline(BENCH, "rapidfuzz_extractOne", "f1", f1)


def run_trgm_baseline(registry: list[RegistryEntity], sample: list[Query]) -> None:
    """The plan: whole-registry similarity() per seed, over a regex-cleaned name, on pg_trgm."""
    url = os.environ.get("ICP_BENCH_TRGM_URL", TRGM_URL_DEFAULT)
    table = sql.Identifier(f"bench_acra_{uuid.uuid4().hex[:8]}")
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        note(BENCH, f"plan_sql baseline skipped: {url} unreachable ({err.__class__.__name__})")
        return
    with conn:
        conn.execute("create extension if not exists pg_trgm")
        conn.execute(sql.SQL("create unlogged table {} (uen text, name text)").format(table))
        try:
            started = time.perf_counter()
            with conn.cursor().copy(sql.SQL("copy {} (uen, name) from stdin").format(table)) as copy:
                for e in registry:
                    copy.write_row((e.uen, e.entity_name))
            note(BENCH, f"plan_sql: loaded {len(registry):,} names in {time.perf_counter() - started:.1f}s")
            query = sql.SQL(
                "select uen, similarity(name, %(q)s) as s from {} where similarity(name, %(q)s) > %(t)s"
                " order by s desc limit 1"
            ).format(table)
            answers = []
            started = time.perf_counter()
            for q in sample:
                row = conn.execute(query, {"q": q.name.upper(), "t": PLAN_THRESHOLD}).fetchone()
                answers.append(row[0] if row else None)
            per_query = (time.perf_counter() - started) / len(sample)
        finally:
            conn.execute(sql.SQL("drop table if exists {}").format(table))
    precision, recall, f1, _ = score(answers, sample)
    baseline(BENCH, "plan_sql_trgm", "seconds_per_query", per_query, "s")
    baseline(BENCH, "plan_sql_trgm", "precision", precision)
    baseline(BENCH, "plan_sql_trgm", "recall", recall)
    baseline(BENCH, "plan_sql_trgm", "f1", f1)


def main() -> None:
    entities = int(os.environ.get("ICP_BENCH_ENTITIES", 2_000_000))
    count = int(os.environ.get("ICP_BENCH_QUERIES", 1_000))
    sample_size = int(os.environ.get("ICP_BENCH_BASELINE_QUERIES", 15))
    started = time.perf_counter()
    registry, outside = build_registry(entities, held_out=max(count, 200))
    note(BENCH, f"generated {len(registry):,} entities in {time.perf_counter() - started:.0f}s")
    figure(BENCH, "entities", len(registry))
    note(BENCH, f"rss with the generated registry in memory: {psutil.Process().memory_info().rss / 2**30:.2f} GiB")
    matcher = build_matcher(registry)
    keys = Counter(matcher.index.keys[i] for i in range(len(matcher.index.keys)))
    queries = make_queries(registry, outside, keys, count)
    del keys
    figure(BENCH, "queries", len(queries))
    run_ours(matcher, queries)
    sample = random.Random(SEED + 2).sample(queries, min(sample_size, len(queries)))
    run_rapidfuzz_baseline(registry, sample)
    run_trgm_baseline(registry, sample)

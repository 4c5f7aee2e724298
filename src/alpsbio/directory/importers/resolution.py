"""Entity resolution: is this incoming record an organisation we already hold from another source?

Pure Python + rapidfuzz, no Django, so it is testable and reusable by the back office.

Blocking: only records of the same country are compared, and only those sharing at least one
*distinctive* normalised name token (one that appears in at most ``RARE_TOKEN_MAX`` names of that
country) or the same acronym. That keeps ~13,000 CORDIS x ~8,600 ROR records to a few hundred
thousand comparisons (seconds), instead of 10^8.

Scoring: ``name`` is the best rapidfuzz ``token_sort_ratio`` between any normalised name of one
record (legal name, names per language, aliases) and any of the other; ``place`` is true when the
normalised city or the NUTS-3 region is the same (ROR says "Munich", CORDIS "MUENCHEN": the NUTS-3
code is what reconciles them). Decision (thresholds tuned on the real ROR x CORDIS data):

* merge when name ≥ 95 and place agrees (or one side has no place);
* merge when name ≥ 90 and place agrees;
* merge when name ≥ 98 between two names of ≥ 15 characters, whatever the place;
* merge when the acronyms are equal (≥ 3 letters), place agrees and name ≥ 70;
* otherwise, name ≥ 80 or equal acronyms is a *near miss*: reported for a manager, not merged;
* two candidates that both qualify within ``AMBIGUITY_MARGIN`` points: neither is merged (ambiguous).

Every match is one-to-one: the pool record absorbs at most one incoming record per run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from alpsbio.directory.importers.normalise import (
    normalise_acronym,
    normalise_city,
    normalise_name,
)

MERGE_NAME = 95.0
MERGE_NAME_WITH_PLACE = 90.0
MERGE_ACRONYM_NAME = 70.0
NEAR_MISS = 80.0
AMBIGUITY_MARGIN = 3.0
LONG_EXACT = 98.0
LONG_NAME = 15
SHORT_NAME = 5
RARE_TOKEN_MAX = 300
MAX_CANDIDATES = 400


@dataclass
class Record:
    """What the resolver knows of one organisation, from any source."""

    key: Hashable
    country: str
    names: Sequence[str]
    acronyms: Sequence[str] = ()
    city: str = ""
    nuts3: str = ""
    label: str = ""  # shown in reports
    norm_names: list[str] = field(default_factory=list, init=False)
    norm_acronyms: set[str] = field(default_factory=set, init=False)
    norm_city: str = field(default="", init=False)

    def __post_init__(self) -> None:
        seen: list[str] = []
        acronyms = list(self.acronyms)
        for i, name in enumerate(self.names):
            n = normalise_name(name) if name else ""
            # A one-word alias of up to five letters ("NEAT") is an acronym, not a name: as a
            # name it would equal any "NEAT SRL" in the country.
            if i > 0 and " " not in n and len(n) <= SHORT_NAME:
                acronyms.append(n)
                continue
            if n and n not in seen:
                seen.append(n)
        self.norm_names = seen
        self.norm_acronyms = {a for a in (normalise_acronym(x) for x in acronyms) if len(a) >= 3}
        self.norm_city = normalise_city(self.city) if self.city else ""
        if not self.label:
            self.label = self.names[0] if self.names else str(self.key)


@dataclass(frozen=True)
class Decision:
    new_key: Hashable
    pool_key: Hashable
    score: float
    reason: str
    new_label: str
    pool_label: str


def name_score(a: Record, b: Record) -> tuple[float, int]:
    """Best similarity between any two names, and the length of the shorter name of that pair."""
    best = 0.0
    length = 0
    for x in a.norm_names:
        for y in b.norm_names:
            s = fuzz.token_sort_ratio(x, y, score_cutoff=best)
            if s > best or (s == best and s > 0 and min(len(x), len(y)) > length):
                best = s
                length = min(len(x), len(y))
    return best, length


def same_place(a: Record, b: Record) -> bool | None:
    """True/False when both sides say where they are, None when one side does not."""
    if (a.nuts3 and b.nuts3) or (a.norm_city and b.norm_city):
        if a.nuts3 and b.nuts3 and a.nuts3 == b.nuts3:
            return True
        return bool(a.norm_city and b.norm_city and a.norm_city == b.norm_city)
    return None


def judge(a: Record, b: Record) -> tuple[float, str, bool]:
    """(score, reason, should merge) for one pair."""
    score, length = name_score(a, b)
    place = same_place(a, b)
    acronym = bool(a.norm_acronyms & b.norm_acronyms)
    if score >= MERGE_NAME and place is not False:
        return score, f"name {score:.0f}" + (", same place" if place else ""), True
    if score >= MERGE_NAME_WITH_PLACE and place:
        return score, f"name {score:.0f}, same place", True
    if score >= LONG_EXACT and length >= LONG_NAME:
        # A long, distinctive name that is (nearly) identical is the same body even when the
        # sources place it differently (ROR often geocodes the head office, CORDIS the lab).
        return score, f"name {score:.0f}, long name", True
    if acronym and place and score >= MERGE_ACRONYM_NAME:
        return score, f"acronym, same place, name {score:.0f}", True
    why = f"name {score:.0f}" + (", acronym" if acronym else "")
    why += {True: ", same place", False: ", different place", None: ", place unknown"}[place]
    return score, why, False


class Resolver:
    """An index over the pool (records already in the database) for fast candidate lookup."""

    def __init__(self, pool: Iterable[Record]) -> None:
        self.pool: dict[Hashable, Record] = {}
        self.by_token: dict[tuple[str, str], list[Hashable]] = defaultdict(list)
        self.by_acronym: dict[tuple[str, str], list[Hashable]] = defaultdict(list)
        for rec in pool:
            self.pool[rec.key] = rec
            for tok in {t for n in rec.norm_names for t in n.split()}:
                self.by_token[(rec.country, tok)].append(rec.key)
            for acr in rec.norm_acronyms:
                self.by_acronym[(rec.country, acr)].append(rec.key)

    def candidates(self, rec: Record) -> list[Hashable]:
        toks = {t for n in rec.norm_names for t in n.split() if len(t) > 1}
        postings = sorted((self.by_token.get((rec.country, t), []) for t in toks), key=len)
        found: dict[Hashable, None] = {}
        for post in postings:
            if len(post) > RARE_TOKEN_MAX and found:
                break  # only common tokens left, and we already have distinctive candidates
            for k in post[:MAX_CANDIDATES]:
                found[k] = None
        for acr in rec.norm_acronyms:
            for k in self.by_acronym.get((rec.country, acr), []):
                found[k] = None
        return list(found)[: MAX_CANDIDATES * 2]

    def assess(self, rec: Record) -> tuple[list[Decision], list[Decision]]:
        """(qualifying matches best first, near misses) for one incoming record."""
        merges: list[Decision] = []
        near: list[Decision] = []
        for key in self.candidates(rec):
            other = self.pool[key]
            score, reason, ok = judge(rec, other)
            d = Decision(rec.key, key, score, reason, rec.label, other.label)
            if ok:
                merges.append(d)
            elif score >= NEAR_MISS or (rec.norm_acronyms & other.norm_acronyms):
                near.append(d)
        merges.sort(key=lambda d: -d.score)
        near.sort(key=lambda d: -d.score)
        return merges, near


@dataclass
class Resolution:
    merges: list[Decision] = field(default_factory=list)
    near_misses: list[Decision] = field(default_factory=list)
    ambiguous: list[Decision] = field(default_factory=list)

    def summary(self, examples: int = 10) -> dict[str, object]:
        def show(ds: list[Decision]) -> list[dict[str, object]]:
            return [
                {
                    "incoming": d.new_label,
                    "existing": d.pool_label,
                    "score": round(d.score, 1),
                    "why": d.reason,
                    "incoming_key": str(d.new_key),
                    "existing_key": str(d.pool_key),
                }
                for d in ds[:examples]
            ]

        return {
            "merged": len(self.merges),
            "near_misses": len(self.near_misses),
            "ambiguous": len(self.ambiguous),
            "merge_examples": show(self.merges),
            "near_miss_examples": show(self.near_misses),
            "ambiguous_examples": show(self.ambiguous),
        }


def resolve(incoming: Iterable[Record], pool: Iterable[Record]) -> Resolution:
    """Match incoming records to pool records one-to-one (best scores first)."""
    resolver = Resolver(pool)
    proposals: list[Decision] = []
    result = Resolution()
    for rec in incoming:
        merges, near = resolver.assess(rec)
        if len(merges) >= 2 and merges[0].score - merges[1].score < AMBIGUITY_MARGIN:
            result.ambiguous.extend(merges[:2])
            continue
        if merges:
            proposals.append(merges[0])
        elif near:
            result.near_misses.append(near[0])
    # One-to-one: a pool record absorbs only its best incoming record; the others become
    # near misses a manager can merge by hand.
    taken_pool: set[Hashable] = set()
    for d in sorted(proposals, key=lambda d: -d.score):
        if d.pool_key in taken_pool:
            result.near_misses.append(d)
            continue
        taken_pool.add(d.pool_key)
        result.merges.append(d)
    result.near_misses.sort(key=lambda d: -d.score)
    return result

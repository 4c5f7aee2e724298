"""Suggested partners on the product path, measured on real Horizon 2020 collaborations.

The product ranks partners for an organisation u (``MatchIndex.suggest_partners`` -> ``_rank``
-> ``engine.scoring.score_pair``) by ``text + w_h * (1 - exp(-AA)) + policy bonuses``, where
``text = (1 - w_t) * cos(embeddings) + w_t * cos(TF-IDF)`` of the two organisation profiles
(``index.PROFILE_TFIDF_WEIGHT`` = w_t = 0.4; 0.6 was tried and reverted on 26 Nov 2026;
``MatchingSettings.history_weight`` = w_h = 0.25). The reference of the comparisons is the
product as it was shipped when this benchmark was written (w_t 0.4, w_h 0.25, policy on); the
product's current setting is marked.
This benchmark rebuilds that ranking on the temporal link-prediction protocol of
``engine.linkpred`` (as bench/match_history_weight.py): every organisation known at the cut-off
is a candidate, existing partners are excluded, and the new partner pairs formed afterwards are
scored (recall@20 and MRR, macro over the FR/IT/CH/AT/DE query organisations, random tie-break).

Profiles as of the cut-off: ``index._org_texts_of({}, {}, legal_name, titles)`` with the titles
of the organisation's projects (all programmes, as the directory holds every project) that
started up to the cut-off, most recent first, at most 30; the legal name from the participations
file, else pic_names.csv.gz, else cordis_orgs_merged_by_pic.csv, else "PIC <pic>" as the H2020
importer names it. Nothing after the cut-off is read for texts, graph or types.

Text signal, as the index builds it: USE and E5 vectors (cached on disk by model, version and
content hash), each centred on its own language subspace fitted on the pool (all candidates'
texts), weighted 0.5/0.5 (``engine.embedding.combined_centred``); the index's hashed character
n-gram TF-IDF fitted on the pool (``index.fit_tfidf``). A profile that is only a name counts
on TF-IDF only as a candidate and gets no text scores as a query, as ``_text_for_row`` does.
History: Adamic-Adar on the co-participation graph of all projects (health subset too).
"+ policy": the full ``score_pair`` total with the default policy (complementarity, border,
sector; sought neutral, no networks), CORDIS activity types mapped to the directory's types as
the importers do (``CORDIS_TYPE_MAP``), re-ordering the top 100 by text + history as ``_rank``
does for 20 suggestions. The product's ANN shortlist (over 10,000 profiles) is not emulated.

Settings: Adamic-Adar alone, TF-IDF alone, embeddings alone (w_t 0), text alone for w_t in
TEXT_WEIGHTS, text + w_h * history for w_h in HISTORY_WEIGHTS, each with and without the policy,
and at the shipped weights each policy bonus alone (complementarity, border, sector).

``--learned`` adds the engine's learned link predictor (``alpsbio match evaluate``'s logistic
ranker) as the history part instead of ``1 - exp(-AA)``: fitted, as the product would fit it on
its directory, on the graph of all projects one step before the cut-off (val: <= June 2015 ->
July-December 2015; test: <= 2015 -> 2016), then applied at the cut-off. Its score is a logit,
mapped to [0, 1] in two ways: ``pct8``, the within-query percentile to the 8th power (only the
top few percent count), and ``rel``, exp(s - the query's best s).

Run: .venv/bin/python bench/match_suggest_quality.py [--split val|test] [--subsets health]
     [--models use,e5] [--threads 2] [--cache DIR] [--only NAME,...] [--learned]
  val  (default; labels in 2016 only): rank <= December 2015 -> new pairs in 2016;
  test (T = 2016, the issue's link-prediction benchmark): rank <= 2016 -> 2017-2018.
Prints each setting's recall@20 and MRR, its ratio to Adamic-Adar measured in the same run, and
its recall@20 difference to the product as shipped with a paired-bootstrap 95% half-width.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from alpsbio.matching.engine import linkpred as lp  # noqa: E402
from alpsbio.matching.engine.embedding import (  # noqa: E402
    CombinedEmbedder,
    E5Embedder,
    Embedder,
    LanguageCentredEmbedder,
    UseEmbedder,
)
from alpsbio.matching.engine.scoring import history_strength  # noqa: E402
from match_crosslingual import DiskCached  # noqa: E402
from match_history_weight import MethodTable, temporal_split  # noqa: E402  (the same split and graph)

TEXT_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
HISTORY_WEIGHTS = (0.25, 0.5, 1.0)
LEARNED_WEIGHTS = (0.25, 1.0, 2.0)
SHIPPED = (0.4, 0.25)  # PROFILE_TFIDF_WEIGHT, history_weight when this benchmark was written
SHORTLIST = 100  # _rank: max(limit * 5, 50) for 20 suggestions
CHUNK = 64  # texts embedded between two saves of the disk cache


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    import django

    django.setup()


def text_name(w_t: float) -> str:
    if w_t == 0:
        return "embeddings alone (w_t 0)"
    return f"text w_t {w_t:g}"


def hist_name(w_t: float, w_h: float, policy: bool = False) -> str:
    return f"text w_t {w_t:g} + {w_h:g} h" + (" + policy" if policy else "")


# ------------------------------------------------------------------------- data


def legal_names(data: Path, parts: Sequence[Path]) -> dict[str, str]:
    """PIC -> legal name: participations file, then pic_names.csv.gz, then the merged CORDIS
    organisations file (names are not time-dependent information)."""
    names: dict[str, str] = {}
    sources: list[tuple[Path, str]] = [(p, "name") for p in parts]
    sources += [
        (data / "pic_names.csv.gz", "name"),
        (data / "cordis_orgs_merged_by_pic.csv", "name"),
    ]
    for path, col in sources:
        if not path.exists():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["pic", col])
        df = df[(df[col].str.strip() != "") & (df["pic"] != "")]
        for pic, name in zip(df["pic"], df[col], strict=True):
            names.setdefault(pic, name.strip())
    return names


def profile_texts(
    org_ids: Sequence[str],
    t: float,
    months: bool,
    parts: Sequence[Path],
    projs: Sequence[Path],
    names: dict[str, str],
) -> tuple[list[str], np.ndarray]:
    """Each organisation's profile text as the index builds it, from projects started <= t.

    Returns the texts and whether each describes more than a name (``index._describes``)."""
    from alpsbio.matching.index import _org_texts_of

    full = lp.Corpus.load(parts, projs, max_consortium=10**9, months=months)
    part = full.part[full.part["year"] <= t]
    starts = (
        pd.concat(
            [
                pd.read_csv(p, dtype=str, keep_default_na=False, usecols=["rcn", "start_date"])
                for p in projs
            ]
        )
        .drop_duplicates("rcn")
        .set_index("rcn")["start_date"]
    )
    part = part.assign(
        title=part["rcn"].map(full.proj["title"]).fillna("").astype(str),
        start=part["rcn"].map(starts).fillna("").astype(str),
    )
    part = part[part["title"].str.strip() != ""]
    part = part.sort_values(["pic", "start", "rcn"], ascending=[True, False, False])
    titles = part.groupby("pic", sort=False)["title"].apply(list).to_dict()
    texts, described = [], []
    for pic in org_ids:
        name = names.get(str(pic), f"PIC {pic}")
        prof = _org_texts_of({}, {}, name, titles.get(str(pic), [])[:30])
        text = "\n".join(v for v in prof.values() if v)  # Profile.text
        texts.append(text)
        described.append(bool(text.strip()) and text.strip() != name.strip())
    return texts, np.array(described, dtype=bool)


# ------------------------------------------------------------------------- text signal


def embed_all(model: Embedder, texts: Sequence[str], label: str) -> float:
    """Fill the disk cache in chunks (an interrupted run keeps its work); returns seconds."""
    t0 = time.perf_counter()
    uniq = list(dict.fromkeys(texts))
    cached = model if isinstance(model, DiskCached) else None
    todo = uniq
    if cached is not None:
        from alpsbio.matching.engine.embedding import content_hash

        store = cached._store(False)
        todo = [x for x in uniq if content_hash(x) not in store]
    print(f"  {label}: {len(uniq)} texts, {len(todo)} to embed", flush=True)
    for i in range(0, len(todo), CHUNK):
        model.embed(todo[i : i + CHUNK])
        done = min(i + CHUNK, len(todo))
        rate = done / (time.perf_counter() - t0)
        print(f"    {done}/{len(todo)} ({rate:.1f} texts/s)", flush=True)
    return time.perf_counter() - t0


def embeddings(
    texts: Sequence[str], models: Sequence[str], threads: int, cache: Path
) -> tuple[np.ndarray, dict[str, float]]:
    """The pool's vectors as ``combined_centred`` makes them (each model centred on its own
    language subspace fitted on the pool, cosines weighted equally)."""
    seconds: dict[str, float] = {}
    parts: list[Embedder] = []
    for key in models:
        base: Embedder = UseEmbedder(threads) if key == "use" else E5Embedder(threads)
        cached = DiskCached(base, cache)
        seconds[key] = embed_all(cached, texts, key)
        parts.append(LanguageCentredEmbedder(cached))
    comb = CombinedEmbedder(parts, [1.0 / len(parts)] * len(parts)).fit(texts)
    return comb.embed(list(texts)), seconds


# ------------------------------------------------------------------------- policy


def policy_parts(types: np.ndarray) -> tuple[dict[str, np.ndarray], list[str], Any]:
    """Type-by-type tables of the constant policy terms of ``score_pair``: complementarity,
    sought (neutral 0.5: no wishes) and crossing sectors (the border term is per country)."""
    from alpsbio.directory.importers.orgs import CORDIS_TYPE_MAP
    from alpsbio.matching.engine.complementarity import type_complementarity
    from alpsbio.matching.engine.types import SECTOR_OF_TYPE, PolicyWeights

    pol = PolicyWeights()
    kinds = [str(CORDIS_TYPE_MAP.get(c, "")) for c in lp.ORG_TYPES]
    sectors = [SECTOR_OF_TYPE.get(k, "") for k in kinds]
    k = len(kinds)
    tables = {name: np.zeros((k, k)) for name in ("complementarity", "sought", "sector")}
    for a in range(k):
        for b in range(k):
            cross = bool(sectors[a] and sectors[b]) and sectors[a] != sectors[b]
            tables["complementarity"][a, b] = pol.complementarity * type_complementarity(
                kinds[a], kinds[b]
            )
            tables["sought"][a, b] = pol.sought * 0.5
            tables["sector"][a, b] = pol.cross_sector * float(cross)
    return tables, kinds, pol


def check_policy(
    table: np.ndarray, kinds: list[str], types: np.ndarray, country: np.ndarray, pol: Any
) -> None:
    """The vectorised total equals ``score_pair``'s on a few pairs (guards against drift)."""
    from alpsbio.matching.engine.scoring import score_pair
    from alpsbio.matching.engine.types import SECTOR_OF_TYPE, Profile

    rng = np.random.default_rng(1)
    for _ in range(50):
        u, v = rng.integers(0, len(types), 2)
        text, hist, w_h = float(rng.random()), float(rng.random()), 0.5

        def prof(i: int) -> Profile:
            kind = kinds[types[i]]
            return Profile(
                id=str(i),
                org_id=str(i),
                kind="organisation",
                org_type=kind,
                sector=SECTOR_OF_TYPE.get(kind, ""),
                country=str(country[i]),
                region=str(country[i]),
            )

        want = score_pair(prof(u), prof(v), text, hist, dataclasses.replace(pol, history=w_h))
        got = (
            text
            + w_h * hist
            + table[types[u], types[v]]
            + pol.cross_border * float(country[u] != country[v])
        )
        assert abs(want.total - got) < 1e-9, (want.total, got)


def policy_rank(
    text: np.ndarray, hist: np.ndarray, w_h: float, bonus: np.ndarray, excl: np.ndarray
) -> np.ndarray:
    """``_rank``: ``score_pair`` on the best SHORTLIST by text + history, the rest after them."""
    coarse = text + w_h * hist
    total = np.clip(text, 0.0, 1.0) + w_h * hist + bonus
    masked = np.where(excl, -np.inf, coarse)
    k = min(SHORTLIST, masked.shape[1] - 1)
    top = np.argpartition(-masked, k, axis=1)[:, :k]
    final = coarse - 100.0
    np.put_along_axis(final, top, np.take_along_axis(total, top, axis=1), axis=1)
    return final


# ------------------------------------------------------------------------- run


def learned_history(ts: Any) -> tuple[lp.Split, np.ndarray, lp.Ranker, int]:
    """The engine's logistic ranker fitted on all projects one step before the cut-off, the
    split it is applied on (all projects at the cut-off, the product's graph) and the columns
    of the benchmark's candidates in that split's graph."""
    corpus = lp.Corpus.load(ts.parts, ts.projs, months=ts.months)
    fit_t = ts.cutoff - 0.5 if ts.months else ts.cutoff - 1
    snap = lp.Snapshot.build(corpus, fit_t)
    train = lp.make_split(corpus, snap, np.nextafter(fit_t, np.inf), ts.cutoff)
    model = lp.fit_model(train, lp.EvalConfig())
    prod = ts.ctx if ts.ctx is not None else ts.snap
    cols = ts.cols if ts.cols is not None else np.arange(ts.snap.graph.n)
    return lp.Split(prod, None, np.zeros(0, dtype=np.int64), []), cols, model, len(train.queries)


def learned_parts(
    applied: lp.Split, cols: np.ndarray, model: lp.Ranker, rows: np.ndarray, excl: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The learned score of ``rows`` against every candidate, and its two maps to [0, 1]."""
    crow = cols[rows]
    s = np.asarray(model.score(lp.batch_features(applied, crow, lp._excluded(applied, crow))))
    s = s[:, cols]
    best = np.where(excl, -np.inf, s).max(axis=1, keepdims=True)
    pct = np.stack([lp._percentile(r) for r in s]) ** 8
    return s, {"pct8": pct, "rel": np.exp(np.clip(s - best, -50.0, 0.0))}


def run(
    data: Path,
    subset: str,
    split_name: str,
    models: Sequence[str],
    threads: int,
    cache: Path,
    learned: bool = False,
) -> tuple[dict[str, lp.Metrics], dict[str, Any]]:
    ts = temporal_split(data, subset, split_name)
    fitted = learned_history(ts) if learned else None
    snap, split, t, months, parts, projs = (
        ts.snap,
        ts.split,
        ts.cutoff,
        ts.months,
        ts.parts,
        ts.projs,
    )
    ids = [str(o) for o in snap.graph.org_ids]
    texts, described = profile_texts(ids, t, months, parts, projs, legal_names(data, parts))
    info: dict[str, Any] = {
        "queries": len(split.queries),
        "candidates": snap.graph.n,
        "described": int(described.sum()),
        "mean_chars": float(np.mean([len(x) for x in texts])),
        "learned_fit_queries": fitted[3] if fitted is not None else 0,
    }
    E, info["embed_seconds"] = embeddings(texts, models, threads, cache)
    from alpsbio.matching.index import fit_tfidf

    _tfidf, T = fit_tfidf(texts)
    has_vec = described & np.any(E != 0, axis=1)
    tables, kinds, pol = policy_parts(snap.org_type)
    table = sum(tables.values(), np.zeros((len(kinds), len(kinds))))
    check_policy(table, kinds, snap.org_type, snap.country, pol)

    methods = MethodTable()
    add = methods.add

    spread: dict[str, list[float]] = {"embeddings": [], "TF-IDF": [], "history": []}
    batch = 128
    from alpsbio.matching import index
    from alpsbio.matching.engine.lang import guess_language

    # The product's TF-IDF weight by pair: within a language, across languages.
    by_pair = (index.PROFILE_TFIDF_WEIGHT, getattr(index, "PROFILE_CROSS_TFIDF_WEIGHT", None))
    langs = np.array([guess_language(x) for x in texts])
    names, counts = np.unique(langs, return_counts=True)
    info["languages"] = {str(k): int(v) for k, v in zip(names, counts, strict=True)}
    for start in range(0, len(split.queries), batch):
        rows = split.queries[start : start + batch]
        truth = split.truth[start : start + batch]
        excl = lp._excluded(split, rows)
        aa = ts.adamic_adar(rows)
        hist = history_strength(np.asarray(aa, dtype=np.float64))
        emb = E[rows] @ E.T
        tf = np.asarray((T[rows] @ T.T).toarray())
        q_desc = described[rows][:, None]
        tu, tv = snap.org_type[rows], snap.org_type
        terms = {name: tab[tu][:, tv] for name, tab in tables.items()}
        terms["border"] = pol.cross_border * (snap.country[rows][:, None] != snap.country[None, :])
        bonus = sum(terms.values(), np.zeros(aa.shape))

        for key, m in (("embeddings", emb), ("TF-IDF", tf), ("history", hist)):
            # How far each part moves a candidate: its spread over a query's eligible ones.
            spread[key] += [float(np.std(r[~x])) for r, x in zip(m, excl, strict=True)]
        add("Adamic-Adar alone", aa, excl, truth)
        add("TF-IDF alone", np.where(q_desc, tf, 0.0), excl, truth)
        for w_t in TEXT_WEIGHTS:
            text = np.where(has_vec[None, :], (1 - w_t) * emb + w_t * tf, tf)
            text = np.where(q_desc, text, 0.0)
            if w_t < 1:  # w_t 1 is TF-IDF alone
                add(text_name(w_t), text, excl, truth)
            for w_h in HISTORY_WEIGHTS:
                coarse = text + w_h * hist
                add(hist_name(w_t, w_h), coarse, excl, truth)
                add(
                    hist_name(w_t, w_h, policy=True),
                    policy_rank(text, hist, w_h, bonus, excl),
                    excl,
                    truth,
                )
                if (w_t, w_h) == SHIPPED and by_pair[1] is not None:
                    same = langs[rows][:, None] == langs[None, :]
                    w_pair = np.where(same, by_pair[0], by_pair[1])
                    paired = np.where(has_vec[None, :], (1 - w_pair) * emb + w_pair * tf, tf)
                    paired = np.where(q_desc, paired, 0.0)
                    pair_name = f"text by pair {by_pair[0]:g}/{by_pair[1]:g}"
                    name = f"{pair_name} + {w_h:g} h + policy"
                    add(name, policy_rank(paired, hist, w_h, bonus, excl), excl, truth)
                    if fitted is not None:
                        score, maps = learned_parts(*fitted[:3], rows, excl)
                        add("learned ranker alone", score, excl, truth)
                        for key, h in maps.items():
                            for w_l in LEARNED_WEIGHTS:
                                name = f"{pair_name} + {w_l:g} {key}(learned) + policy"
                                add(name, policy_rank(paired, h, w_l, bonus, excl), excl, truth)
                if (w_t, w_h) == SHIPPED:  # which policy part helps or hurts this metric
                    for part in ("complementarity", "border", "sector"):
                        only = terms[part] + terms["sought"]
                        name = f"{hist_name(w_t, w_h)} + {part} only"
                        add(name, policy_rank(text, hist, w_h, only, excl), excl, truth)
    info["spread"] = {k: float(np.mean(v)) for k, v in spread.items()}
    return methods, info


def paired_ci(a: lp.Metrics, b: lp.Metrics, draws: int = 2000) -> tuple[float, float]:
    """Mean recall@20 difference a - b over the same queries and its bootstrap 95% half-width."""
    d = np.asarray(a.recall) - np.asarray(b.recall)
    rng = np.random.default_rng(0)
    means = d[rng.integers(0, len(d), (draws, len(d)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(d.mean()), float(hi - lo) / 2


def main() -> None:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join((__doc__ or "").split("\n\n")[1:]),
    )
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/cordis")
    )
    ap.add_argument("--split", choices=("val", "test"), default="val")
    ap.add_argument("--subsets", default="health", help="health and/or all, comma-separated")
    ap.add_argument(
        "--models", default="use,e5", help="use,e5 (the product) or one of them, e.g. use"
    )
    ap.add_argument("--threads", type=int, default=2, help="threads per model while embedding")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "alpsbio-suggest-cache",
        help="directory of the vector cache (model, version, content hash)",
    )
    ap.add_argument("--only", default="", help="print only these settings (comma-separated)")
    ap.add_argument(
        "--learned",
        action="store_true",
        help="also the engine's learned link predictor as the history part",
    )
    a = ap.parse_args()
    models = [m for m in a.models.split(",") if m]
    if not models or set(models) - {"use", "e5"}:
        ap.error("--models: use, e5 or use,e5")
    _django()
    from alpsbio.matching import index
    from alpsbio.matching.engine.types import PolicyWeights

    shipped = hist_name(*SHIPPED, policy=True)
    cross = getattr(index, "PROFILE_CROSS_TFIDF_WEIGHT", None)
    current = (
        f"text by pair {index.PROFILE_TFIDF_WEIGHT:g}/{cross:g} + "
        f"{PolicyWeights().history:g} h + policy"
        if cross is not None
        else hist_name(index.PROFILE_TFIDF_WEIGHT, PolicyWeights().history, policy=True)
    )
    for subset in a.subsets.split(","):
        t0 = time.perf_counter()
        methods, info = run(Path(a.data), subset, a.split, models, a.threads, a.cache, a.learned)
        base = methods["Adamic-Adar alone"].summary()["recall@20"] or 1.0
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        embed = ", ".join(f"{k} {v:.0f} s" for k, v in info["embed_seconds"].items())
        print(
            f"\n{subset}, split {a.split}, models {'+'.join(models)}: {info['queries']} queries, "
            f"{info['candidates']} candidates ({info['described']} with titles, "
            f"{info['mean_chars']:.0f} chars a profile); embedding {embed}; "
            f"{time.perf_counter() - t0:.0f} s in all; "
            f"{platform.machine()}, {os.cpu_count()} cores, load {load}"
        )
        print(f"profile languages (lang.guess_language): {info['languages']}")
        if a.learned:
            print(f"learned ranker fitted on {info['learned_fit_queries']} queries (all projects)")
        print(
            "spread of the parts over a query's candidates (mean std): "
            + ", ".join(f"{k} {v:.3f}" for k, v in info["spread"].items())
        )
        width = max(len(name) for name in methods) + 1
        head = f"{'setting':{width}} {'recall@20':>9} {'MRR':>6} {'x AA':>5} {'vs shipped':>16}"
        print(head)
        only = {s.strip() for s in a.only.split(",") if s.strip()}
        for name, m in methods.items():
            if only and name not in only and name != "Adamic-Adar alone":
                continue
            s = m.summary()
            r = s["recall@20"]
            diff, half = paired_ci(m, methods[shipped])
            mark = " (shipped)" if name == shipped else ""
            mark += " (the product now)" if name == current else ""
            cells = f"{r:9.4f} {s['mrr']:6.3f} {r / base:5.2f} {diff:+7.3f} ±{half:.3f}"
            print(f"{name:{width}} {cells}{mark}")


if __name__ == "__main__":
    main()

"""Temporal link prediction on consortium data: the engine's collaboration signal, measured.

Protocol (see docs/algorithms/matching.md): every feature is computed from projects that started
in or before the cut-off year T; the learned combination is fitted on the earlier split
(history <= T-1, new pairs formed in year T) and applied unchanged to (history <= T, new pairs
formed in the test years). Nothing after T is read to build features or to fit the model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .errors import InputError
from .graph import CoParticipationGraph

TARGET_COUNTRIES = ("FR", "IT", "CH", "AT", "DE")
MAX_CONSORTIUM = 50
K = 20
ENGINE_NAME = "alpsbio-engine"
# Health/biotech: the Societal Challenge 1 programme part (incl. IMI2 JU) or a health/biotech
# topic code: SC1 calls, the 2014-15 PHC/HCO calls, IMI2, the SME-instrument biotech topic
# SMEInst-05 and LEIT biotechnology (BIOTEC).
HEALTH_PARTS = frozenset({"SC1"})
HEALTH_TOPIC_PREFIXES = ("SC1-", "PHC-", "HCO-", "IMI2-", "SMEINST-05", "BIOTEC-")
ORG_TYPES = ("PRC", "HES", "REC", "PUB", "OTH")
PARTICIPATION_COLUMNS = ("rcn", "pic", "type", "country")
PROJECT_COLUMNS = ("rcn",)


def _read_csvs(paths: Sequence[str | Path], required: Sequence[str], what: str) -> pd.DataFrame:
    frames = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{p}: file not found")
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
        except (
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            OSError,
            EOFError,
        ) as exc:
            reason = " ".join(str(exc).split())
            raise InputError(f"{p}: cannot read as CSV ({reason})") from None
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise InputError(
                f"{p}: {what} file lacks column(s) {', '.join(missing)} "
                f"(has: {', '.join(df.columns[:20])})"
            )
        frames.append(df)
    if not frames:
        raise InputError(f"no {what} file given")
    return pd.concat(frames, ignore_index=True)


def _year(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.str.slice(0, 4), errors="coerce")


def _month_fraction(series: pd.Series) -> pd.Series:
    """(month - 1) / 12 from an ISO date ("2015-07-01" gives 0.5); NaN when there is no month."""
    month = pd.to_numeric(series.str.slice(5, 7), errors="coerce")
    return (month - 1.0) / 12.0


def is_health(parts: str, topic: str) -> bool:
    tokens = {t.strip() for t in parts.replace(",", ";").split(";")}
    return bool(tokens & HEALTH_PARTS) or topic.strip().upper().startswith(HEALTH_TOPIC_PREFIXES)


def _topic_tokens(parts: str, topic: str) -> str:
    """Programme parts plus the prefixes of the topic code without its call year.

    "SC1-PM-08-2017" gives SC1 SC1-PM SC1-PM-08: two projects answering different calls of the
    same work-programme line share the prefixes, so an organisation's past topics describe what
    it will apply to next without knowing any future call.
    """
    out = [f"P:{t.strip()}" for t in parts.split(";") if t.strip()]
    pieces = [x for x in topic.strip().upper().split("-") if x]
    while pieces and pieces[-1].isdigit() and len(pieces[-1]) == 4:
        pieces = pieces[:-1]
    out += ["T:" + "-".join(pieces[: i + 1]) for i in range(len(pieces))]
    return " ".join(tok.replace(" ", "_") for tok in out)


@dataclass
class Corpus:
    """Participations (rcn, pic, type, country, year) and per-project attributes, filtered."""

    part: pd.DataFrame
    proj: pd.DataFrame  # index rcn: year, parts, topic, title, health

    @classmethod
    def load(
        cls,
        participations: Sequence[str | Path],
        projects: Sequence[str | Path],
        health_only: bool = False,
        max_consortium: int = MAX_CONSORTIUM,
        months: bool = False,
    ) -> Corpus:
        """Read and filter; ``months`` makes ``year`` fractional (year + (month - 1) / 12, from
        ``start_date``) so that validation can cut at mid-year (EvalConfig.months)."""
        part = _read_csvs(participations, PARTICIPATION_COLUMNS, "participations")
        proj = _read_csvs(projects, PROJECT_COLUMNS, "projects")
        for col in ("start_year", "start_date", "programme_parts", "topic", "title"):
            if col not in proj.columns:
                proj[col] = ""
            if col not in part.columns:
                part[col] = ""
        proj = proj.drop_duplicates("rcn").set_index("rcn")
        py = _year(proj["start_year"]).fillna(_year(proj["start_date"]))
        year = _year(part["start_year"]).fillna(_year(part["start_date"]))
        year = year.fillna(part["rcn"].map(py))
        if months:
            pm = _month_fraction(proj["start_date"])
            frac = _month_fraction(part["start_date"]).fillna(part["rcn"].map(pm))
            year = year + frac.fillna(0.0)
        part = part.assign(year=year)
        part = part[part["year"].notna() & (part["pic"] != "") & (part["rcn"] != "")]
        part = part.drop_duplicates(["rcn", "pic"])
        # Project attributes: the projects file wins, the participations file fills gaps.
        first = part.groupby("rcn", sort=False).first()
        info = pd.DataFrame(index=first.index)
        info["year"] = part.groupby("rcn")["year"].min()
        for col in ("programme_parts", "topic", "title"):
            from_proj = first.index.map(proj[col]).fillna("").astype(str)
            info[col] = np.where(from_proj != "", from_proj, first[col].astype(str))
        info["health"] = [
            is_health(p, t) for p, t in zip(info["programme_parts"], info["topic"], strict=True)
        ]
        size = part.groupby("rcn")["pic"].size()
        keep = size[size <= max_consortium].index
        if health_only:
            keep = keep.intersection(info.index[info["health"]])
        part = part[part["rcn"].isin(keep)]
        return cls(
            part=part[["rcn", "pic", "type", "country", "year"]].reset_index(drop=True),
            proj=info.loc[info.index.intersection(keep)],
        )


@dataclass
class Snapshot:
    """Everything known at the end of year ``t``: graph, org attributes, topic profiles."""

    t: float
    graph: CoParticipationGraph
    org_type: np.ndarray  # int codes into ORG_TYPES (len = OTH if unknown)
    country: np.ndarray  # str
    recent_projects: np.ndarray  # projects started in year t
    topics: sp.csr_matrix  # l2-normalised tf-idf of topic tokens per org
    titles: sp.csr_matrix  # l2-normalised tf-idf of past project titles per org
    topic_docs: sp.csr_matrix  # per project, l2-normalised
    title_docs: sp.csr_matrix
    recency: np.ndarray  # per project: 0.5 ** (t - start year)

    @classmethod
    def build(cls, corpus: Corpus, t: float) -> Snapshot:
        part = corpus.part[corpus.part["year"] <= t]
        graph = CoParticipationGraph.from_participations(zip(part["pic"], part["rcn"], strict=True))
        by_org = part.groupby("pic")
        # Modal type/country among rows <= t: the attribute as known at t.
        org_type = by_org["type"].agg(lambda s: s.mode().iat[0])
        country = by_org["country"].agg(lambda s: s.mode().iat[0])
        codes = {c: i for i, c in enumerate(ORG_TYPES)}
        ids = graph.org_ids
        recent = part[part["year"] > t - 1].groupby("pic").size()  # the last 12 months
        proj = corpus.proj
        doc_topic = [
            _topic_tokens(str(proj.at[r, "programme_parts"]), str(proj.at[r, "topic"]))
            for r in graph.project_ids
        ]
        doc_title = [str(proj.at[r, "title"]) for r in graph.project_ids]
        b = graph.B
        topic_docs = _doc_vectors(doc_topic, r"\S+", lowercase=False)
        title_docs = _doc_vectors(doc_title, r"(?u)\b\w\w\w+\b", lowercase=True)
        years = proj["year"].reindex(graph.project_ids).to_numpy(dtype=float)
        return cls(
            t=t,
            graph=graph,
            org_type=np.array([codes.get(org_type[o], len(ORG_TYPES) - 1) for o in ids]),
            country=np.array([country[o] for o in ids]),
            recent_projects=np.array([float(recent.get(o, 0)) for o in ids]),
            topics=sp.csr_matrix(normalize(b @ topic_docs)),
            titles=sp.csr_matrix(normalize(b @ title_docs)),
            topic_docs=topic_docs,
            title_docs=title_docs,
            recency=np.power(0.5, t - np.nan_to_num(years, nan=float(t))),
        )


def _doc_vectors(docs: list[str], pattern: str, lowercase: bool) -> sp.csr_matrix:
    """L2-normalised tf-idf rows, one per project; a single zero column when there is no text."""
    if not any(d.strip() for d in docs):
        return sp.csr_matrix((len(docs), 1))
    vec = TfidfVectorizer(token_pattern=pattern, lowercase=lowercase, sublinear_tf=True, min_df=2)
    try:
        x = vec.fit_transform(docs)
    except ValueError:  # empty vocabulary (e.g. a tiny file): no text signal
        return sp.csr_matrix((len(docs), 1))
    return sp.csr_matrix(normalize(x))


@dataclass
class Split:
    """Queries (target-country orgs with history and new partners) and their new partners."""

    snap: Snapshot
    ctx: Snapshot | None  # the all-projects graph when the corpus is a subset
    queries: np.ndarray
    truth: list[np.ndarray]


def make_split(
    corpus: Corpus,
    snap: Snapshot,
    test_from: float,
    test_until: float,
    ctx: Snapshot | None = None,
    countries: Sequence[str] = TARGET_COUNTRIES,
) -> Split:
    g = snap.graph
    test = corpus.part[(corpus.part["year"] >= test_from) & (corpus.part["year"] <= test_until)]
    idx = test["pic"].map(g.index)
    test = test.assign(i=idx)[idx.notna()]
    pairs: dict[int, set[int]] = {}
    members = test.groupby("rcn")["i"].apply(lambda s: sorted({int(x) for x in s}))
    target = set(countries)
    is_target = np.array([c in target for c in snap.country])
    for mem in members:
        for u in mem:
            if is_target[u]:
                pairs.setdefault(u, set()).update(v for v in mem if v != u)
    queries, truth = [], []
    for u in sorted(pairs):
        new = np.array(sorted(pairs[u] - set(g.neighbours(u).tolist())), dtype=np.int64)
        if len(new):
            queries.append(u)
            truth.append(new)
    return Split(snap, ctx, np.array(queries, dtype=np.int64), truth)


# ---------------------------------------------------------------- features and ranking
# Graph and topic signals are divided by their maximum over the query's eligible candidates,
# activity priors are turned into percentiles: the learned weights are fitted at T-1 and
# applied at T, when the graph is bigger, so features must not depend on its absolute scale.
FEATURES = (
    "cn",
    "aa",
    "ra",
    "aa_recent",
    "ppr",
    "ppr_long",
    "topic_sim",
    "title_sim",
    "topic_membership",
    "title_membership",
    "ctx_aa",
    "ctx_ppr",
    "ctx_topic_sim",
    "deg_v",
    "recent_v",
    "nproj_v",
    "ctx_recent_v",
    "deg_u",
    "same_country",
    "v_target",
)


def _percentile(a: np.ndarray) -> np.ndarray:
    """Rank in [0, 1], ties sharing their average rank (node order must carry no signal)."""
    return (rankdata(a, method="average") - 1.0) / max(len(a) - 1, 1)


def _row_max_scaled(v: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    v = np.where(excluded, 0.0, v)
    top = v.max(axis=1, keepdims=True)
    return v / np.where(top > 0, top, 1.0)


def batch_features(split: Split, rows: np.ndarray, excluded: np.ndarray) -> dict[str, np.ndarray]:
    """Dense ``len(rows) x n`` feature matrices from the split's snapshot (all <= its cut-off)."""
    s, g = split.snap, split.snap.graph
    b, n = len(rows), g.n
    w = s.recency
    bw = g.B @ sp.diags(w)
    aw = (bw @ g.B.T).tocsr()
    aw.setdiag(0)
    aw.eliminate_zeros()
    inv_log = np.where(g.degree > 1, 1.0 / np.log(np.maximum(g.degree, 2.0)), 0.0)
    raw: dict[str, np.ndarray] = {
        "cn": g.scores(rows, "common_neighbours"),
        "aa": g.scores(rows, "adamic_adar"),
        "ra": g.scores(rows, "resource_allocation"),
        "aa_recent": np.asarray((aw[rows] @ sp.diags(inv_log) @ aw).toarray()),
        "ppr": g.personalised_pagerank(rows, alpha=0.3, steps=3),
        "ppr_long": g.personalised_pagerank(rows, alpha=0.1, steps=6),
        "topic_sim": np.asarray((s.topics[rows] @ s.topics.T).toarray()),
        "title_sim": np.asarray((s.titles[rows] @ s.titles.T).toarray()),
    }
    # Topic-weighted membership: how much of v's past work resembles u's (not length-normalised
    # for v, so an active organisation in u's field ranks above a one-off participant).
    for name, docs in (("topic_membership", s.topic_docs), ("title_membership", s.title_docs)):
        prof = normalize(g.B[rows] @ docs)
        raw[name] = np.asarray((prof @ docs.T).toarray()) @ g.B.T
    cols = _ctx_columns(split)
    ctx_recent = s.recent_projects
    if split.ctx is not None and cols is not None:
        c = split.ctx
        ok = cols >= 0
        safe = np.where(ok, cols, 0)
        crow = cols[rows]
        raw["ctx_aa"] = np.where(ok, c.graph.scores(crow, "adamic_adar")[:, safe], 0.0)
        raw["ctx_ppr"] = np.where(
            ok, c.graph.personalised_pagerank(crow, alpha=0.3, steps=3)[:, safe], 0.0
        )
        raw["ctx_topic_sim"] = np.where(
            ok, np.asarray((c.topics[crow] @ c.topics.T).toarray())[:, safe], 0.0
        )
        ctx_recent = np.where(ok, c.recent_projects[safe], 0.0)
    else:
        raw["ctx_aa"], raw["ctx_ppr"] = raw["aa"], raw["ppr"]
        raw["ctx_topic_sim"] = raw["topic_sim"]
    f = {k: _row_max_scaled(np.asarray(v, dtype=float), excluded) for k, v in raw.items()}
    f["baseline_aa"] = raw["aa"]
    f["baseline_cn"] = raw["cn"]
    f["baseline_ra"] = raw["ra"]
    row = np.ones((b, 1))
    f["deg_v"] = row * _percentile(g.degree)[None, :]
    f["recent_v"] = row * _percentile(bw.sum(axis=1).A1)[None, :]
    f["nproj_v"] = row * _percentile(g.n_projects)[None, :]
    f["ctx_recent_v"] = row * _percentile(np.asarray(ctx_recent, dtype=float))[None, :]
    f["deg_u"] = np.ones((1, n)) * _percentile(g.degree)[rows][:, None]
    f["same_country"] = (s.country[rows][:, None] == s.country[None, :]).astype(float)
    f["v_target"] = row * np.isin(s.country, TARGET_COUNTRIES).astype(float)[None, :]
    f["raw_degree"] = row * g.degree[None, :]
    # Pair-attribute features for the ranker (all computed from the snapshot, i.e. <= T).
    f["type_u"] = np.ones((1, n)) * s.org_type[rows][:, None].astype(float)
    f["type_v"] = row * s.org_type[None, :].astype(float)
    for name, labels in (("country_lift", s.country), ("type_lift", s.org_type)):
        lift, inv = _label_pair_lift(g, labels)
        f[name] = lift[inv[rows]][:, inv]
    f["ctx_direct"] = _row_max_scaled(_ctx_direct(split, rows), excluded)
    return f


def _label_pair_lift(g: CoParticipationGraph, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(observed / expected) partner pairs between label classes (countries, org types).

    Learned from the edges known at the snapshot; +1 smoothing keeps unseen pairs finite.
    """
    uniq, inv = np.unique(labels, return_inverse=True)
    onehot = sp.csr_matrix(
        (np.ones(len(inv)), (np.arange(len(inv)), inv)), shape=(len(inv), len(uniq))
    )
    m = np.asarray((onehot.T @ g.A @ onehot).todense()) + 1.0
    r = m.sum(axis=1)
    return np.log(m * m.sum() / np.outer(r, r)), inv


def _ctx_direct(split: Split, rows: np.ndarray) -> np.ndarray:
    """Recency-weighted shared projects in the all-projects graph (health mode), else zeros.

    In health-only mode two organisations that worked together outside health before T are
    still eligible health partners; this says how much (and how recently) they did.
    """
    n = split.snap.graph.n
    cols = _ctx_columns(split)
    if split.ctx is None or cols is None:
        return np.zeros((len(rows), n))
    c = split.ctx
    ok = cols >= 0
    safe = np.where(ok, cols, 0)
    d = np.asarray(((c.graph.B[cols[rows]] @ sp.diags(c.recency)) @ c.graph.B.T).toarray())
    return np.where(ok, d[:, safe], 0.0)


def _ctx_columns(split: Split) -> np.ndarray | None:
    if split.ctx is None:
        return None
    cidx = split.ctx.graph.index
    return np.array([cidx.get(o, -1) for o in split.snap.graph.org_ids])


def _excluded(split: Split, rows: np.ndarray) -> np.ndarray:
    """Mask of candidates that are not eligible: the query itself and its existing partners."""
    g = split.snap.graph
    mask = np.asarray(g.A[rows].toarray()) > 0
    mask[np.arange(len(rows)), rows] = True
    return mask


@dataclass
class Metrics:
    recall: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(
        self,
        scores: np.ndarray,
        excluded: np.ndarray,
        truth: list[np.ndarray],
        rng: np.random.Generator,
    ) -> None:
        s = np.where(excluded, -np.inf, scores)
        tie = rng.random(s.shape)  # random tie-break: no method gains from node order
        order = np.lexsort((tie, -s), axis=-1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(s.shape[1])[None, :].repeat(len(s), 0), axis=1)
        for i, t in enumerate(truth):
            r = rank[i, t]
            self.recall.append(float(np.mean(r < K)))
            self.rr.append(1.0 / (1.0 + float(r.min())))

    def summary(self) -> dict[str, float]:
        if not self.recall:
            return {f"recall@{K}": 0.0, "mrr": 0.0}
        return {
            f"recall@{K}": round(float(np.mean(self.recall)), 4),
            "mrr": round(float(np.mean(self.rr)), 4),
        }


BASELINES = ("random", "degree", "common_neighbours", "adamic_adar", "resource_allocation")


def baseline_scores(name: str, f: dict[str, np.ndarray]) -> np.ndarray:
    if name == "random":
        return np.zeros_like(f["raw_degree"])
    if name == "degree":  # preferential attachment: deg(u)*deg(v) ranks like deg(v) for one u
        return f["raw_degree"]
    return {"common_neighbours": f["baseline_cn"], "adamic_adar": f["baseline_aa"]}.get(
        name, f["baseline_ra"]
    )


RANKER_FEATURES = (*FEATURES, "type_u", "type_v", "country_lift", "type_lift", "ctx_direct")
# The ranker may only increase with the history and activity signals. Unconstrained trees fitted
# the training year best but learnt non-monotone activity rules that broke on the next cut-off
# (validation without the test years: see docs/benchmarks/matching.md).
FREE_FEATURES = frozenset(
    {
        "type_u",
        "type_v",
        "deg_u",
        "same_country",
        "v_target",
        "country_lift",
        "type_lift",
        "topic_sim",
        "title_sim",
        "ctx_topic_sim",
    }
)
MODELS = ("logistic", "lambdamart")
FIT_COUNTRIES = ("target", "all")


@dataclass
class EvalConfig:
    batch: int = 128
    negatives_per_query: int = 2500
    ranker_negatives_per_query: int = 300
    seed: int = 0
    # "logistic" (default): it transferred best on the temporal validation split (fit <= T-2 ->
    # T-1, rank <= T-1 -> T); "lambdamart" ranked best within the training year only.
    model: str = "logistic"
    trees: int = 150
    # The fitting split: history <= fit_until, labels = new pairs in (fit_until, train_until].
    # None: train_until - 1, i.e. the year before the cut-off, labels = the cut-off year.
    fit_until: float | None = None
    # Fractional years (month precision) for mid-year cut-offs in validation, e.g. fit on
    # <= 2015-06 -> Jul-Dec 2015 and rank <= 2015-12 -> 2016 (bench/match_linkpred.py --half-year).
    months: bool = False
    # Queries of the fitting split: "target" (FR/IT/CH/AT/DE, like the evaluation) or "all"
    # countries (about 2.5x the training queries; the evaluation keeps the target countries).
    fit_countries: str = "target"


@dataclass
class LinearRanker:
    """Logistic regression on standardised features, kept as plain weights for fast scoring."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray

    def score(self, f: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros_like(f["cn"])
        for k, name in enumerate(FEATURES):
            out += self.coef[k] * (np.asarray(f[name]) - self.mean[k]) / self.scale[k]
        return out

    def weights(self) -> dict[str, float]:
        return {
            n: round(float(c / s), 4)
            for n, c, s in zip(FEATURES, self.coef, self.scale, strict=True)
        }


@dataclass
class LambdaMartRanker:
    """Gradient-boosted trees with the LambdaMART objective, one group per query organisation.

    The listwise objective optimises the top of each query's ranking, which is what a macro
    recall@20 rewards; trees also capture interactions (e.g. activity matters more for a
    small query than for a hub) that a linear score cannot.
    """

    booster: Any  # lightgbm.LGBMRanker (optional dependency, untyped)
    names: tuple[str, ...]

    def score(self, f: dict[str, np.ndarray]) -> np.ndarray:
        shape = np.shape(f["cn"])
        x = np.column_stack([np.asarray(f[k], dtype=np.float32).ravel() for k in self.names])
        return np.asarray(self.booster.predict(x, num_threads=1)).reshape(shape)

    def weights(self) -> dict[str, float]:
        imp = np.asarray(self.booster.booster_.feature_importance("gain"), dtype=np.float64)
        total = imp.sum() or 1.0
        return {n: round(float(v / total), 4) for n, v in zip(self.names, imp, strict=True)}


Ranker = LinearRanker | LambdaMartRanker


def _training_pairs(
    split: Split, cfg: EvalConfig, names: Sequence[str], negatives: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query: all its true new partners plus uniformly sampled eligible non-partners."""
    rng = np.random.default_rng(cfg.seed)
    xs, ys, groups = [], [], []
    for start in range(0, len(split.queries), cfg.batch):
        rows = split.queries[start : start + cfg.batch]
        excl = _excluded(split, rows)
        f = batch_features(split, rows, excl)
        for i, t in enumerate(split.truth[start : start + cfg.batch]):
            eligible = np.flatnonzero(~excl[i])
            neg = rng.choice(eligible, size=min(negatives, len(eligible)), replace=False)
            neg = np.setdiff1d(neg, t)
            cols = np.concatenate([t, neg])
            xs.append(np.column_stack([np.asarray(f[name])[i, cols] for name in names]))
            ys.append(np.r_[np.ones(len(t)), np.zeros(len(neg))])
            groups.append(len(cols))
    x, y = np.vstack(xs), np.concatenate(ys)
    if y.all() or not y.any():
        raise InputError("the training split has no usable positive/negative pairs")
    return x, y, np.array(groups)


def fit_model(split: Split, cfg: EvalConfig) -> Ranker:
    """Fit the learned ranker on a split whose labels are all <= the evaluation cut-off.

    The logistic regression by default (chosen on the temporal validation split, see
    docs/benchmarks/matching.md); LambdaMART (LightGBM) when asked for and installed, else the
    logistic regression.
    """
    if cfg.model == "lambdamart":
        if importlib.util.find_spec("lightgbm") is not None:
            import lightgbm

            names = RANKER_FEATURES
            x, y, groups = _training_pairs(split, cfg, names, cfg.ranker_negatives_per_query)
            booster = lightgbm.LGBMRanker(
                n_estimators=cfg.trees,
                learning_rate=0.05,
                num_leaves=15,
                min_child_samples=100,
                subsample=0.8,
                subsample_freq=1,
                colsample_bytree=0.8,
                reg_lambda=1.0,
                lambdarank_truncation_level=30,
                monotone_constraints=[0 if k in FREE_FEATURES else 1 for k in names],
                random_state=cfg.seed,
                n_jobs=1,
                verbose=-1,
            )
            booster.fit(x.astype(np.float32), y.astype(int), group=groups)
            return LambdaMartRanker(booster, names)
    elif cfg.model != "logistic":
        raise InputError(f"unknown model {cfg.model!r}; known: {', '.join(MODELS)}")
    return _fit_logistic(split, cfg)


def _fit_logistic(split: Split, cfg: EvalConfig) -> LinearRanker:
    from sklearn.linear_model import LogisticRegression

    x, y, _ = _training_pairs(split, cfg, FEATURES, cfg.negatives_per_query)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    lr = LogisticRegression(C=0.1, max_iter=3000)
    lr.fit((x - mean) / scale, y)
    return LinearRanker(mean, scale, lr.coef_[0].copy())


def evaluate(
    participations: Sequence[str | Path],
    projects: Sequence[str | Path],
    train_until: float,
    test_from: float,
    test_until: float,
    health_only: bool = False,
    cfg: EvalConfig | None = None,
    log: object = None,
) -> dict[str, object]:
    """Run baselines and the engine on one temporal split; returns the CLI's JSON object."""
    cfg = cfg or EvalConfig()
    if cfg.fit_countries not in FIT_COUNTRIES:
        raise InputError(f"unknown fit_countries {cfg.fit_countries!r}; known: target, all")
    if not train_until < test_from <= test_until:
        raise InputError("need --train-until < --test-from <= --test-until")
    say = log if callable(log) else (lambda _msg: None)
    corpus = Corpus.load(participations, projects, health_only=health_only, months=cfg.months)
    full = (
        Corpus.load(participations, projects, health_only=False, months=cfg.months)
        if health_only
        else None
    )
    if corpus.part.empty:
        raise InputError("no participations left after filtering (years, consortium size)")

    def split_at(t: float, y0: float, y1: float, every_country: bool = False) -> Split:
        snap = Snapshot.build(corpus, t)
        ctx = Snapshot.build(full, t) if full is not None else None
        countries = sorted(set(snap.country)) if every_country else TARGET_COUNTRIES
        return make_split(corpus, snap, y0, y1, ctx=ctx, countries=countries)

    years = corpus.part["year"]
    if not (years <= train_until).any():
        raise InputError(f"no participations in projects starting in or before {train_until}")
    test = split_at(train_until, test_from, test_until)
    say(f"test split: {len(test.queries)} query organisations, {test.snap.graph.n} candidates")
    model: Ranker | None = None
    fit_until = train_until - 1 if cfg.fit_until is None else cfg.fit_until
    if not fit_until < train_until:
        raise InputError("the fitting cut-off must come before --train-until")
    if (years <= fit_until).any():
        # Labels in (fit_until, train_until]: for whole years, exactly the year train_until.
        every = cfg.fit_countries == "all"
        train = split_at(fit_until, np.nextafter(fit_until, np.inf), train_until, every)
        say(f"training split (<= {fit_until} -> {train_until}): {len(train.queries)} queries")
        if len(train.queries) >= 20:  # fewer: too little to fit; fall back to PageRank
            model = fit_model(train, cfg)

    rng = np.random.default_rng(cfg.seed)
    metrics = {name: Metrics() for name in (*BASELINES, "personalised_pagerank", ENGINE_NAME)}
    for start in range(0, len(test.queries), cfg.batch):
        rows = test.queries[start : start + cfg.batch]
        truth = test.truth[start : start + cfg.batch]
        excl = _excluded(test, rows)
        f = batch_features(test, rows, excl)
        for name in BASELINES:
            metrics[name].add(baseline_scores(name, f), excl, truth, rng)
        metrics["personalised_pagerank"].add(np.asarray(f["ppr_long"]), excl, truth, rng)
        engine = model.score(f) if model is not None else np.asarray(f["ppr_long"])
        metrics[ENGINE_NAME].add(engine, excl, truth, rng)
    methods = {name: m.summary() for name, m in metrics.items()}
    # The contract names Adamic-Adar by a key containing "adamic"; keep it explicit.
    methods["adamic-adar"] = methods.pop("adamic_adar")
    ordered = {k: methods[k] for k in ("random", "degree", "common_neighbours", "adamic-adar")}
    ordered.update({k: v for k, v in methods.items() if k not in ordered})
    return {
        "methods": ordered,
        "engine": ENGINE_NAME,
        "queries": len(test.queries),
        "candidates": test.snap.graph.n,
        "health_only": health_only,
        "train_until": train_until,
        "test_years": [test_from, test_until],
        "model": (
            "lambdamart"
            if isinstance(model, LambdaMartRanker)
            else "logistic"
            if model is not None
            else "pagerank"
        ),
        "weights": model.weights() if model is not None else {},
        "ratio_to_adamic_adar": (
            round(methods[ENGINE_NAME][f"recall@{K}"] / methods["adamic-adar"][f"recall@{K}"], 3)
            if methods["adamic-adar"][f"recall@{K}"] > 0
            else None
        ),
    }

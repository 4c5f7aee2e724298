"""Temporal link prediction: protocol, leakage, metrics, input errors (synthetic data)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from alpsbio.matching.engine import linkpred as lp
from alpsbio.matching.engine.errors import InputError

PART_COLS = ["rcn", "pic", "role", "type", "country", "contribution", "start_date", "start_year",
             "acronym", "topic", "programme_parts", "health_biotech", "name"]  # fmt: skip
PROJ_COLS = ["rcn", "start_date", "start_year", "programme_parts", "title", "topic"]


def make_data(tmp: Path, seed: int = 1, extra_future: bool = False) -> tuple[Path, Path]:
    """Communities of organisations that keep forming consortia within the community."""
    rng = np.random.default_rng(seed)
    countries = ["FR", "IT", "DE", "CH", "AT", "ES", "NL"]
    types = ["PRC", "HES", "REC", "PUB", "OTH"]
    orgs = [(100 + i, countries[i % 7], types[i % 5], i % 6) for i in range(180)]
    parts, projs = [], []
    rcn = 1
    for year in range(2014, 2019):
        for _ in range(60):
            comm = int(rng.integers(6))
            members = [o for o in orgs if o[3] == comm]
            size = int(rng.integers(2, 8))
            chosen = rng.choice(len(members), size=size, replace=False)
            topic = f"SC1-PM-{comm:02d}-{year}" if comm < 3 else f"ICT-{comm:02d}-{year}"
            prog = "SC1" if comm < 3 else "LEIT"
            projs.append([rcn, f"{year}-01-01", year, prog, f"study {comm} cells", topic])
            for c in chosen:
                pic, ctry, typ, _ = members[c]
                parts.append([rcn, pic, "participant", typ, ctry, "", f"{year}-01-01", year,
                              f"P{rcn}", topic, prog, comm < 3, ""])  # fmt: skip
            rcn += 1
    if extra_future:  # future rows with new attributes must not change anything at T
        for row in parts:
            if int(row[7]) >= 2017:
                row[3] = "PUB"
                row[9] = "SC1-ZZZ-2017"
        for row in projs:
            if int(row[2]) >= 2017:
                row[4] = "completely different future words"
    pf, jf = tmp / "parts.csv.gz", tmp / "projects.csv"
    with gzip.open(pf, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PART_COLS)
        w.writerows(parts)
    with open(jf, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PROJ_COLS)
        w.writerows(projs)
    return pf, jf


def test_evaluate_reports_baselines_and_engine(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    out = lp.evaluate([pf], [jf], 2016, 2017, 2018)
    methods = out["methods"]
    assert isinstance(methods, dict)
    for name in ("random", "degree", "common_neighbours", "adamic-adar", out["engine"]):
        assert set(methods[name]) == {"recall@20", "mrr"}
        assert 0.0 <= methods[name]["recall@20"] <= 1.0
    # Communities are perfectly predictive: history signals beat random by far.
    assert methods["adamic-adar"]["recall@20"] > 2 * methods["random"]["recall@20"]
    assert methods[out["engine"]]["recall@20"] > 2 * methods["random"]["recall@20"]


def test_health_only_uses_health_projects(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    c = lp.Corpus.load([pf], [jf], health_only=True)
    assert c.proj["health"].all()
    assert set(c.part["rcn"]) <= set(c.proj.index)


def test_no_information_after_cutoff(tmp_path: Path) -> None:
    """Features at T are identical whatever the rows after T say."""
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    ca = lp.Corpus.load(*[[p] for p in make_data(a_dir)])
    cb = lp.Corpus.load(*[[p] for p in make_data(b_dir, extra_future=True)])
    sa, sb = lp.Snapshot.build(ca, 2016), lp.Snapshot.build(cb, 2016)
    assert sa.graph.org_ids == sb.graph.org_ids
    spa = lp.make_split(ca, sa, 2017, 2018)
    spb = lp.make_split(cb, sb, 2017, 2018)
    rows = spa.queries[:10]
    excl = lp._excluded(spa, rows)
    fa, fb = lp.batch_features(spa, rows, excl), lp.batch_features(spb, rows, excl)
    for name in lp.RANKER_FEATURES:
        assert np.allclose(fa[name], fb[name]), name
    assert list(sa.org_type) == list(sb.org_type)


def test_truth_excludes_existing_partners(tmp_path: Path) -> None:
    c = lp.Corpus.load(*[[p] for p in make_data(tmp_path)])
    s = lp.Snapshot.build(c, 2016)
    split = lp.make_split(c, s, 2017, 2018)
    for u, t in zip(split.queries, split.truth, strict=True):
        assert s.country[u] in lp.TARGET_COUNTRIES
        assert not set(t.tolist()) & set(s.graph.neighbours(u).tolist())
        assert u not in set(t.tolist())


def test_metrics_recall_and_mrr() -> None:
    m = lp.Metrics()
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]])
    excluded = np.array([[True, False, False, False, False]])
    m.add(scores, excluded, [np.array([2, 4])], np.random.default_rng(0))
    assert m.rr == [pytest.approx(1 / 2)]  # item 2 is second once item 0 is excluded
    assert m.recall == [1.0]


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("rcn,pic\n1,2\n")
    _, jf = make_data(tmp_path)
    with pytest.raises(InputError, match=r"bad\.csv.*type"):
        lp.Corpus.load([bad], [jf])
    with pytest.raises(InputError, match="not found"):
        lp.Corpus.load([tmp_path / "nope.csv"], [jf])


def test_topic_tokens_drop_call_year() -> None:
    assert lp._topic_tokens("SC1", "SC1-PM-08-2017") == "P:SC1 T:SC1 T:SC1-PM T:SC1-PM-08"
    assert lp.is_health("LEIT", "BIOTEC-02-2016")
    assert not lp.is_health("LEIT", "ICT-26-2016")


@pytest.mark.parametrize("model", ["lambdamart", "logistic"])
def test_both_rankers_learn_the_communities(tmp_path: Path, model: str) -> None:
    if model == "lambdamart":
        pytest.importorskip("lightgbm")  # optional dependency: without it the engine is logistic
    pf, jf = make_data(tmp_path)
    out = lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(model=model))
    assert out["model"] == model
    methods = out["methods"]
    assert isinstance(methods, dict)
    assert methods[out["engine"]]["recall@20"] > 2 * methods["random"]["recall@20"]
    weights = out["weights"]
    assert isinstance(weights, dict)
    assert weights


def test_unknown_model_is_an_input_error(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    with pytest.raises(InputError, match="unknown model"):
        lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(model="nope"))


def test_label_pair_lift_counts_partner_pairs() -> None:
    from alpsbio.matching.engine.graph import CoParticipationGraph

    # p1: a(FR) b(FR); p2: a(FR) c(IT); p3: c(IT) d(IT)
    g = CoParticipationGraph.from_participations(
        [("a", "p1"), ("b", "p1"), ("a", "p2"), ("c", "p2"), ("c", "p3"), ("d", "p3")]
    )
    labels = np.array(["FR", "FR", "IT", "IT"])
    lift, inv = lp._label_pair_lift(g, labels)
    assert list(inv) == [0, 0, 1, 1]
    # Directed pair counts (+1 smoothing): FR-FR 2+1, FR-IT 1+1, IT-FR 1+1, IT-IT 2+1; total 10.
    assert lift[0, 0] == pytest.approx(np.log(3 * 10 / (5 * 5)))
    assert lift[0, 1] == pytest.approx(np.log(2 * 10 / (5 * 5)))


def test_lambdamart_without_lightgbm_falls_back_to_logistic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "lightgbm" else real(name, *a)
    )
    pf, jf = make_data(tmp_path)
    out = lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(model="lambdamart"))
    assert out["model"] == "logistic"

"""Link prediction: month-precision cut-offs and the fitting split used for validation."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from alpsbio.matching.engine import linkpred as lp
from alpsbio.matching.engine.errors import InputError

from .test_engine_linkpred import make_data


def spread_months(pf: Path) -> None:
    """Give each synthetic project a start month of its own (rcn mod 12 + 1)."""
    with gzip.open(pf, "rt", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    i_rcn, i_date, i_year = head.index("rcn"), head.index("start_date"), head.index("start_year")
    for row in body:
        row[i_date] = f"{row[i_year]}-{int(row[i_rcn]) % 12 + 1:02d}-01"
    with gzip.open(pf, "wt", newline="") as fh:
        csv.writer(fh).writerows([head, *body])


def test_months_make_years_fractional(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    spread_months(pf)
    whole = lp.Corpus.load([pf], [jf])
    frac = lp.Corpus.load([pf], [jf], months=True)
    assert set(whole.part["year"]) == {2014.0, 2015.0, 2016.0, 2017.0, 2018.0}
    # rcn 6 starts in July (6 % 12 + 1 = 7): 2014 + 6/12.
    row = frac.part[frac.part["rcn"] == "6"].iloc[0]
    assert row["year"] == pytest.approx(
        int(whole.part[whole.part["rcn"] == "6"].iloc[0]["year"]) + 0.5
    )
    assert (np.floor(frac.part["year"]).to_numpy() == whole.part["year"].to_numpy()).all()
    assert frac.proj.loc["6", "year"] == pytest.approx(row["year"])


def test_default_fit_split_is_the_year_before(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    default = lp.evaluate([pf], [jf], 2016, 2017, 2018)
    explicit = lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(fit_until=2015))
    assert default["weights"] == explicit["weights"]
    assert default["methods"] == explicit["methods"]
    other = lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(fit_until=2014))
    assert other["weights"] != default["weights"]  # the option does change the fitting split


def test_half_year_fit_reads_nothing_after_the_cutoff(tmp_path: Path) -> None:
    """Fit <= mid-2015 -> late 2015, rank <= 2015 -> 2016: rows from 2017 on change nothing."""
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    cfg = lp.EvalConfig(months=True, fit_until=2015.45)
    outs = []
    for d, future in ((a_dir, False), (b_dir, True)):
        pf, jf = make_data(d, extra_future=future)
        spread_months(pf)
        outs.append(lp.evaluate([pf], [jf], 2015.95, 2016.0, 2016.95, cfg=cfg))
    assert outs[0]["weights"]
    assert outs[0]["weights"] == outs[1]["weights"]
    assert outs[0]["methods"] == outs[1]["methods"]


def test_fit_cutoff_must_precede_the_evaluation_cutoff(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    with pytest.raises(InputError, match="fitting cut-off"):
        lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(fit_until=2016))


def test_fitting_on_every_country_uses_more_queries(tmp_path: Path) -> None:
    pf, jf = make_data(tmp_path)
    said: list[str] = []
    target = lp.evaluate([pf], [jf], 2016, 2017, 2018, log=said.append)
    every = lp.evaluate(
        [pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(fit_countries="all"), log=said.append
    )
    fits = [int(m.split(": ")[1].split()[0]) for m in said if m.startswith("training split")]
    assert fits[1] > fits[0]  # ES and NL organisations join the fitting queries
    assert target["queries"] == every["queries"]  # the evaluation keeps the target countries
    assert target["weights"] != every["weights"]
    with pytest.raises(InputError, match="fit_countries"):
        lp.evaluate([pf], [jf], 2016, 2017, 2018, cfg=lp.EvalConfig(fit_countries="EU"))

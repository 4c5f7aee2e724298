"""Eurostat parsing and NUTS recoding (pure; small inline inputs)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpsbio.survey.analysis import eurostat as es

TSV = (
    "unit,geo\\time\t2019 \t2020 \n"
    "P_MHAB,FR71\t120.5 \t: \n"
    "P_MHAB,FRK2\t: \t130.0 p\n"
    "P_MHAB,ITC4\t99 e\t: c\n"
)


def _buf(text: str, name: str = "tgs00040.tsv") -> io.StringIO:
    b = io.StringIO(text)
    b.name = name
    return b


def test_tsv_values_flags_and_missing() -> None:
    df = es.read_eurostat_tsv(_buf(TSV))
    assert list(df.columns) == es.TIDY_COLUMNS
    assert set(df["indicator"]) == {"tgs00040"}  # from the file name
    row = df[(df["geo"] == "FRK2") & (df["year"] == 2020)].iloc[0]
    assert row["value"] == 130.0
    assert row["flag"] == "p"
    missing = df[(df["geo"] == "ITC4") & (df["year"] == 2020)].iloc[0]
    assert np.isnan(missing["value"])
    assert missing["flag"] == "c"
    assert df[(df["geo"] == "ITC4") & (df["year"] == 2019)].iloc[0]["flag"] == "e"
    assert len(df) == 6


def test_tsv_extra_dimensions_and_sdmx_header(tmp_path: pytest.TempPathFactory) -> None:
    text = "freq,unit,sex,geo\\TIME_PERIOD\t2020\t2021\nA,PC,T,AT33\t4.1\t3.9 b\n"
    df = es.read_eurostat_tsv(_buf(text), indicator="lfst_r_lfu3rt")
    assert df["dims"].tolist() == ["freq=A;sex=T", "freq=A;sex=T"]
    assert df["flag"].tolist() == ["", "b"]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("unit,geo\t2019\nX,AT33\t1\n", 1, "dimensions\\time"),
        ("unit,geo\\time\t2019\t2020\nX,AT33\t1\n", 2, "expected 3 tab-separated fields"),
        ("unit,geo\\time\t2019\nX,AT33\t1\nX\t2\n", 3, "expected 2 dimension codes"),
        ("unit,geo\\time\t2019\nX,AT33\tabc\n", 2, "cannot read value 'abc'"),
        ("unit,geo\\time\t2019\nX,AT33\t1.5 q\n", 2, "unknown flag 'q'"),
        ("unit,geo\\time\t19X9\nX,AT33\t1\n", 1, "is not a period"),
        ("unit,geo\\time\t2019\nX,AT33\t1\nX,AT33\t2\n", 3, "duplicate observation"),
        ("", 1, "empty file"),
    ],
)
def test_tsv_malformed_names_file_and_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(es.EurostatFormatError) as err:
        es.read_eurostat_tsv(_buf(text, "bad.tsv"))
    assert err.value.source == "bad.tsv"
    assert err.value.line == line
    assert needle in str(err.value)
    assert str(err.value).startswith("bad.tsv, line")


CSV = (
    "unit,geo,time,values,input_var_code,input_var_desc,sex,age\n"
    "PC,AT33,2019,3.1,tgs00010,Unemployment,T,Y_GE15\n"
    "PC,AT33,2020,,tgs00010,Unemployment,T,Y_GE15\n"
    "PC,FR71,2015,9.0 p,tgs00010,Unemployment,T,Y_GE15\n"
    "I2015,AT,2019M11,101.2,teiis090,Production,,\n"
)


def test_csv_long_format() -> None:
    df = es.read_eurostat_csv(_buf(CSV, "x.csv"))
    assert df["dims"].tolist()[:3] == ["sex=T;age=Y_GE15"] * 3
    assert np.isnan(df["value"].iloc[1])  # empty = missing
    assert df["flag"].iloc[2] == "p"
    assert df["value"].iloc[2] == 9.0
    monthly = df.iloc[3]
    assert monthly["period"] == "2019M11"
    assert monthly["year"] == 2019
    assert monthly["dims"] == ""
    assert len(es.annual(df)) == 3


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("geo,time\nAT33,2019\n", 1, "missing column(s) ['values']"),
        (
            "geo,time,values,input_var_code\nAT33,2019,1,x\nAT34,2019,zz,x\n",
            3,
            "cannot read value 'zz'",
        ),
        ("geo,time,values,input_var_code\nAT33,2019,1,x\nAT34,20x9,1,x\n", 3, "is not a period"),
        ("geo,time,values,input_var_code\nAT33,2019,1,x\n,2019,1,x\n", 3, "empty geo"),
        (
            "geo,time,values,input_var_code\nAT33,2019,1,x\nAT33,2019,2,x\n",
            3,
            "duplicate observation",
        ),
        ("geo,time,values\nAT33,2019,1\n", 1, "no indicator column"),
    ],
)
def test_csv_malformed(text: str, line: int, needle: str) -> None:
    with pytest.raises(es.EurostatFormatError) as err:
        es.read_eurostat_csv(_buf(text, "bad.csv"))
    assert (err.value.source, err.value.line) == ("bad.csv", line)
    assert needle in str(err.value)


def _changes() -> pd.DataFrame:
    rows = [
        # 2013 → 2016: FR71 recoded to FRK2; LT00 split; UKM2 boundary shift.
        (2013, 2016, "FR71", "FRK2", "recoded"),
        (2013, 2016, "LT00", None, "split into new LT01 and LT02"),
        (2013, 2016, "UKM2", "UKM7", "boundary shift; lost ex-UKM24"),
        # 2010 → 2013 then 2013 → 2016: a chain.
        (2010, 2013, "EL11", "EL51", "Code change"),
        (2016, 2021, "NO02", "NO02", "renamed"),
    ]
    return pd.DataFrame(
        [
            {
                "version_from": a,
                "version_to": b,
                "code_from": f,
                "code_to": t,
                "level": 2,
                "kind": es.classify_change(f, t, c),
                "change": c,
            }
            for a, b, f, t, c in rows
        ]
    )


def test_recoding_exact_boundary_split_and_conflicts() -> None:
    rec = es.build_recoding(_changes(), ["FRK2", "EL51", "UKM7", "LT01", "LT02", "NO02", "AT33"])
    assert rec.mapping == {"FR71": "FRK2", "EL11": "EL51", "UKM2": "UKM7"}
    assert rec.kind["UKM2"] == "boundary"
    assert "split" in rec.unresolved["LT00"]
    data = pd.DataFrame(
        {
            "indicator": "i",
            "unit": "u",
            "dims": "",
            "geo": ["FR71", "FR71", "FRK2", "LT00", "UKM2", "EU27_2020", "AT33"],
            "year": [2014, 2015, 2015, 2014, 2014, 2014, 2014],
            "period": ["2014", "2015", "2015", "2014", "2014", "2014", "2014"],
            "value": [1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0],
            "flag": "",
        }
    )
    out, report = es.recode_to_nuts2021(data, rec)
    got = dict(zip(zip(out["geo"], out["year"], strict=True), out["value"], strict=True))
    # FR71 2014 becomes FRK2; FR71 2015 loses to the native FRK2 2015 value (2.5).
    assert got[("FRK2", 2014)] == 1.0
    assert got[("FRK2", 2015)] == 2.5
    assert ("LT00", 2014) not in got  # split: dropped, never apportioned
    assert got[("UKM7", 2014)] == 4.0
    assert got[("EU27_2020", 2014)] == 5.0
    summary = report.summary()
    assert summary == {
        "dropped_duplicate_of_2021": 1,
        "dropped_split_or_merge": 1,
        "kept_not_nuts": 1,
        "recoded": 2,
        "recoded_boundary_change": 1,
    }
    strict, rep2 = es.recode_to_nuts2021(
        data, rec, allow_boundary_changes=False, keep_unknown=False
    )
    assert "UKM7" not in set(strict["geo"])
    assert "EU27_2020" not in set(strict["geo"])
    assert rep2.summary()["dropped_not_nuts"] == 1


def test_bundled_tables_know_rhone_alpes() -> None:
    rec = es.bundled_recoding()
    assert rec.mapping["FR71"] == "FRK2"
    assert rec.kind["FR71"] == "recode"
    assert "HR04" in rec.unresolved  # split in 2021
    assert "FRK2" in rec.valid_2021
    assert "DE21" in rec.valid_2021


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"  # /work/shared/data


@pytest.mark.skipif(not (SHARED / "eurostat").exists(), reason="shared data not mounted")
def test_real_long_csv_recodes_rhone_alpes() -> None:
    df = es.read_eurostat_csv(
        SHARED / "eurostat" / "eurostat_selected_indicators_nuts0_nuts2_2000_2020.csv"
    )
    assert len(df) == 55209
    out, report = es.recode_to_nuts2021(df, es.bundled_recoding())
    fr71 = out[out["geo_original"] == "FR71"]
    assert not fr71.empty
    assert set(fr71["geo"]) == {"FRK2"}
    rows = report.rows.set_index(["code_from", "action"])
    assert ("HR04", "dropped_split_or_merge") in rows.index


@pytest.mark.skipif(
    not (SHARED / "nuts" / "codes" / "eurostat_correspondence").exists(),
    reason="shared data not mounted",
)
def test_shipped_change_list_matches_the_workbooks() -> None:
    pytest.importorskip("xlrd")  # the 2010-2013 table is an old .xls
    built = es.load_correspondence_workbooks(
        sorted((SHARED / "nuts" / "codes" / "eurostat_correspondence").iterdir())
    )
    shipped = es.read_changes_csv(es.DATA_DIR / "nuts_changes_2010_2021.csv")
    assert len(built) == len(shipped)
    pairs = set(
        zip(built["code_from"].fillna(""), built["code_to"].fillna(""), built["kind"], strict=True)
    )
    assert pairs == set(
        zip(
            shipped["code_from"].fillna(""),
            shipped["code_to"].fillna(""),
            shipped["kind"],
            strict=True,
        )
    )

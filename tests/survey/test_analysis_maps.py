"""Choropleth SVGs and the simplified boundaries that ship with the product."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from alpsbio.survey.analysis import maps
from alpsbio.survey.analysis.report import table_html

SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"NUTS_ID": code, "NAME_LATN": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, 45.0], [x + 1, 45.0], [x + 1, 46.0], [x, 46.0], [x, 45.0]]],
            },
        }
        for code, name, x in (
            ("AT33", "Tirol", 11.0),
            ("ITC4", "Lombardia", 9.0),
            ("CH01", "Région lémanique", 6.5),
        )
    ],
}
NS = {"s": "http://www.w3.org/2000/svg"}


def test_quantile_breaks_hand_checked() -> None:
    # quantiles at 0.5 and 1.0 of [1, 2, 3, 4] with linear interpolation → 2.5, 4
    assert maps.quantile_breaks([1, 2, 3, 4, float("nan")], 2) == [2.5, 4.0]
    assert maps.classify(2.5, [2.5, 4.0]) == 0
    assert maps.classify(3.0, [2.5, 4.0]) == 1


def test_laea_centre_and_known_point() -> None:
    x, y = maps.laea(np.array([10.0]), np.array([52.0]))
    assert abs(x[0]) < 1e-6
    assert abs(y[0]) < 1e-6
    # Innsbruck (11.39 E, 47.27 N) is ~105 km east and ~525 km south of the centre.
    x, y = maps.laea(np.array([11.39]), np.array([47.27]))
    assert 95_000 < x[0] < 115_000
    assert -540_000 < y[0] < -510_000


def test_choropleth_is_accessible_and_deterministic() -> None:
    labels = maps.MapLabels(
        title="Quotient de localisation",
        legend_title="QL",
        no_data="pas de données",
        region_names={"ITC4": "Lombardie"},
    )
    svg = maps.choropleth_svg(
        SQUARE, {"AT33": 1.5, "ITC4": 0.7}, labels, extent="alps", highlight=["AT33"]
    )
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == "Quotient de localisation"  # type: ignore[union-attr]
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "Lombardie (ITC4): 0.70" in titles
    assert "Région lémanique (CH01): pas de données" in titles
    assert svg.count('class="hl"') == 1
    assert svg == maps.choropleth_svg(
        SQUARE, {"AT33": 1.5, "ITC4": 0.7}, labels, extent="alps", highlight=["AT33"]
    )


def test_douglas_peucker_hand_checked() -> None:
    line = np.array([[0.0, 0.0], [1.0, 0.1], [2.0, -0.1], [3.0, 5.0], [4.0, 6.0], [5.0, 7.0]])
    out = maps.douglas_peucker(line, 0.5)
    # (1, .1) and (2, -.1) are within 0.5 of the chord 0→(3,5)? No: the chord from (0,0) to (5,7)
    # is farthest from (3,5) (distance 0.81) → kept; then (0,0)→(3,5) leaves (2,-0.1) at 1.8 → kept.
    assert out.tolist() == [[0.0, 0.0], [2.0, -0.1], [3.0, 5.0], [5.0, 7.0]]


def test_bundled_geojson_is_small_and_complete() -> None:
    path = maps.BUNDLED_NUTS2
    assert path.stat().st_size < 1_500_000
    gj = json.loads(gzip.decompress(path.read_bytes()))
    ids = {f["properties"]["NUTS_ID"] for f in gj["features"]}
    assert {"FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE21"} <= ids
    assert len(ids) > 300


@pytest.mark.skipif(
    not Path("/work/shared/data/nuts/geo").exists(), reason="shared data not mounted"
)
def test_build_simplified_is_reproducible(tmp_path: Path) -> None:
    src = Path("/work/shared/data/nuts/geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson")
    a = maps.build_simplified_geojson(src)
    b = maps.build_simplified_geojson(src)
    assert maps.write_geojson_gz(a, tmp_path / "a.gz") == maps.write_geojson_gz(
        b, tmp_path / "b.gz"
    )
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_table_html_escapes() -> None:
    import pandas as pd

    html = table_html(
        pd.DataFrame({"name": ["<b>x</b>"], "lq": [1.234]}), {"lq": "QL"}, caption="T"
    )
    assert "&lt;b&gt;" in html
    assert ">QL<" in html
    assert ">1.23<" in html
    assert "<caption>T</caption>" in html


@pytest.mark.skipif(
    not Path("/work/shared/data/nuts/geo").exists(), reason="shared data not mounted"
)
def test_projected_3035_input_draws_the_same_regions() -> None:
    src = Path("/work/shared/data/nuts/geo/NUTS_RG_60M_2021_3035_LEVL_2.geojson")
    labels = maps.MapLabels(title="t")
    svg = maps.choropleth_svg(src, {"AT33": 1.0, "FRK2": 2.0}, labels, extent="alps")
    assert 'data-nuts="AT33"' in svg
    assert 'data-nuts="FRK2"' in svg
    assert 'data-nuts="FI1D"' not in svg  # Finland is outside the Alpine frame

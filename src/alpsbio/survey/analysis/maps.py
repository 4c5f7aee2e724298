"""Choropleth maps of NUTS regions as standalone, accessible SVG, drawn offline.

Boundaries come from GISCO's NUTS GeoJSON ("© EuroGeographics for the administrative
boundaries"); the caller passes a path or the loaded GeoJSON (the product ships a simplified
copy, see :func:`build_simplified_geojson`). Geographic coordinates are projected with the
Lambert azimuthal equal-area projection centred at 52°N 10°E (the projection of EPSG:3035, on
the sphere: shapes within ~0.5 % of the ellipsoidal one, fine for a thematic map). Output is
deterministic: features sorted by id, coordinates rounded.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Literal

import numpy as np

GeoJSON = dict[str, Any]

# Longitude/latitude boxes (west, south, east, north).
ALPS_BBOX = (3.5, 43.4, 16.8, 50.7)
EUROPE_BBOX = (-25.0, 34.0, 45.0, 71.5)

# ColorBrewer sequential YlGnBu (Brewer & Harrower, colorbrewer2.org), colour-blind safe.
YLGNBU: Mapping[int, tuple[str, ...]] = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
NO_DATA_FILL = "#d9d9d9"
_FE, _FN = 4321000.0, 3210000.0  # EPSG:3035 false easting/northing
EUROPE_EXTENT_M = (2_500_000.0 - _FE, 1_350_000.0 - _FN, 7_400_000.0 - _FE, 5_450_000.0 - _FN)
_R = 6371007.181  # authalic radius of GRS80
_LAT0, _LON0 = math.radians(52.0), math.radians(10.0)


def load_geojson(source: str | Path | GeoJSON) -> GeoJSON:
    """A GeoJSON FeatureCollection from a dict or a (optionally gzipped) file."""
    if isinstance(source, dict):
        return source
    path = Path(source)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    data: GeoJSON = json.loads(raw)
    return data


def laea(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spherical Lambert azimuthal equal-area (centre 52°N, 10°E), metres."""
    lam, phi = np.radians(lon) - _LON0, np.radians(lat)
    k = np.sqrt(
        2.0 / (1.0 + math.sin(_LAT0) * np.sin(phi) + math.cos(_LAT0) * np.cos(phi) * np.cos(lam))
    )
    x = _R * k * np.cos(phi) * np.sin(lam)
    y = _R * k * (math.cos(_LAT0) * np.sin(phi) - math.sin(_LAT0) * np.cos(phi) * np.cos(lam))
    return x, y


def _is_projected(gj: GeoJSON) -> bool:
    name = str(gj.get("crs", {}).get("properties", {}).get("name", ""))
    if "3035" in name:
        return True
    for f in gj.get("features", []):
        ring = _polygons(f.get("geometry"))
        if ring:
            return bool(abs(ring[0][0][0][0]) > 360)
    return False


def _polygons(geometry: Mapping[str, Any] | None) -> list[list[list[list[float]]]]:
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def quantile_breaks(values: Iterable[float], k: int = 5) -> list[float]:
    """Upper bounds of k quantile classes (duplicates removed; last = max)."""
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    if v.size == 0:
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:])
    return sorted({float(q) for q in qs})


def equal_breaks(values: Iterable[float], k: int = 5) -> list[float]:
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    if v.size == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    return sorted({lo + (hi - lo) * i / k for i in range(1, k + 1)})


def classify(value: float, breaks: list[float]) -> int:
    for i, b in enumerate(breaks):
        if value <= b:
            return i
    return len(breaks) - 1


@dataclass(frozen=True)
class MapLabels:
    """All visible text, already translated by the caller."""

    title: str
    description: str = ""
    legend_title: str = ""
    no_data: str = "no data"
    region_names: Mapping[str, str] = field(default_factory=dict)
    attribution: str = "© EuroGeographics for the administrative boundaries"


def _fmt_default(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def choropleth_svg(
    geojson: str | Path | GeoJSON,
    values: Mapping[str, float],
    labels: MapLabels,
    extent: Literal["alps", "europe"] | tuple[float, float, float, float] = "europe",
    breaks: list[float] | None = None,
    scheme: Literal["quantile", "equal"] = "quantile",
    classes: int = 5,
    width: int = 800,
    highlight: Iterable[str] = (),
    value_format: Callable[[float], str] = _fmt_default,
    id_property: str = "NUTS_ID",
    svg_id: str = "map",
) -> str:
    """One choropleth as an SVG document (string)."""
    gj = load_geojson(geojson)
    projected = _is_projected(gj)
    if extent == "europe":
        # GISCO's usual frame for European maps in EPSG:3035, without false easting/northing.
        x0, y0, x1, y1 = EUROPE_EXTENT_M
    else:
        bbox = ALPS_BBOX if extent == "alps" else extent
        bx, by = laea(
            np.array([bbox[0], bbox[2], bbox[0], bbox[2], (bbox[0] + bbox[2]) / 2]),
            np.array([bbox[1], bbox[1], bbox[3], bbox[3], bbox[3]]),
        )
        x0, x1, y0, y1 = float(bx.min()), float(bx.max()), float(by.min()), float(by.max())
    if projected:
        x0, x1, y0, y1 = x0 + _FE, x1 + _FE, y0 + _FN, y1 + _FN
    scale = width / (x1 - x0)
    height = round((y1 - y0) * scale)
    legend_h = 40 + 22 * (classes + 1)
    present = {k: float(v) for k, v in values.items() if v is not None and not math.isnan(float(v))}
    if breaks is None:
        breaks = (quantile_breaks if scheme == "quantile" else equal_breaks)(
            present.values(), classes
        )
    palette = YLGNBU[max(3, min(7, len(breaks)))] if breaks else YLGNBU[3]
    highlight_set = set(highlight)
    paths: list[str] = []
    outlines: list[str] = []
    feats = sorted(
        gj.get("features", []), key=lambda f: str(f.get("properties", {}).get(id_property, ""))
    )
    for f in feats:
        props = f.get("properties", {})
        code = str(props.get(id_property, ""))
        d_parts: list[str] = []
        for poly in _polygons(f.get("geometry")):
            for ring in poly:
                arr = np.asarray(ring, dtype=float)
                if projected:
                    px, py = arr[:, 0], arr[:, 1]
                else:
                    px, py = laea(arr[:, 0], arr[:, 1])
                if px.max() < x0 or px.min() > x1 or py.max() < y0 or py.min() > y1:
                    continue
                sx = np.round((px - x0) * scale, 1)
                sy = np.round((y1 - py) * scale, 1)
                keep = np.ones(len(sx), dtype=bool)
                keep[1:] = (np.diff(sx) != 0) | (np.diff(sy) != 0)
                sx, sy = sx[keep], sy[keep]
                if len(sx) < 3:
                    continue
                coords = " ".join(f"{a:.1f} {b:.1f}" for a, b in zip(sx, sy, strict=True))
                d_parts.append(f"M{coords}Z")
        if not d_parts:
            continue
        d = "".join(d_parts)
        name = labels.region_names.get(code) or str(props.get("NAME_LATN", code))
        if code in present:
            v = present[code]
            fill = palette[min(classify(v, breaks), len(palette) - 1)] if breaks else palette[0]
            title = f"{name} ({code}): {value_format(v)}"
        else:
            fill = NO_DATA_FILL
            title = f"{name} ({code}): {labels.no_data}"
        paths.append(
            f'<path d="{d}" fill="{fill}" data-nuts="{escape(code)}"><title>{escape(title)}</title></path>'
        )
        if code in highlight_set:
            outlines.append(f'<path d="{d}" class="hl"/>')
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + legend_h}" '
        f'width="{width}" height="{height + legend_h}" role="img" aria-labelledby="{svg_id}-t {svg_id}-d">',
        f'<title id="{svg_id}-t">{escape(labels.title)}</title>',
        f'<desc id="{svg_id}-d">{escape(labels.description)}</desc>',
        "<style>path{stroke:#ffffff;stroke-width:0.4;stroke-linejoin:round}"
        ".hl{fill:none;stroke:#111111;stroke-width:1.6}text{font-family:sans-serif;font-size:12px;fill:#222222}</style>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f8fb"/>',
        f'<svg x="0" y="0" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><g>',
        *paths,
        *outlines,
        "</g></svg>",
    ]
    ly = height + 20
    lines.append(
        f'<g class="legend"><text x="10" y="{ly}" font-weight="bold">{escape(labels.legend_title)}</text>'
    )
    lo = min(present.values()) if present else 0.0
    for i, b in enumerate(breaks):
        y = ly + 10 + 22 * i
        lower = lo if i == 0 else breaks[i - 1]
        text = f"{value_format(lower)} \u2013 {value_format(b)}"
        lines.append(
            f'<rect x="10" y="{y}" width="18" height="14" fill="{palette[min(i, len(palette) - 1)]}" stroke="#888888"/>'
        )
        lines.append(f'<text x="34" y="{y + 11}">{escape(text)}</text>')
    y = ly + 10 + 22 * len(breaks)
    lines.append(
        f'<rect x="10" y="{y}" width="18" height="14" fill="{NO_DATA_FILL}" stroke="#888888"/>'
    )
    lines.append(f'<text x="34" y="{y + 11}">{escape(labels.no_data)}</text>')
    lines.append(
        f'<text x="{width - 10}" y="{height + legend_h - 8}" text-anchor="end" font-size="10">{escape(labels.attribution)}</text></g>'
    )
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


# --- building the simplified copy that ships with the product ---------------------------------


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer-Douglas-Peucker simplification of a polyline (first and last points kept)."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        norm = math.hypot(seg[0], seg[1])
        dist = (
            np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
            if norm > 0
            else np.hypot(rel[:, 0], rel[:, 1])
        )
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return points[keep]


def _simplify_ring(
    ring: list[list[float]], tolerance: float, decimals: int
) -> list[list[float]] | None:
    pts = np.asarray(ring, dtype=float)
    if len(pts) < 4:
        return None
    # Split the closed ring at its farthest point from the start so both halves keep shape.
    far = int(np.argmax(np.hypot(*(pts - pts[0]).T)))
    half1 = douglas_peucker(pts[: far + 1], tolerance)
    half2 = douglas_peucker(pts[far:], tolerance)
    out = np.round(np.vstack([half1, half2[1:]]), decimals)
    keep = np.ones(len(out), dtype=bool)
    keep[1:] = np.any(np.diff(out, axis=0) != 0, axis=1)
    out = out[keep]
    if len(out) < 4:
        return None
    out[-1] = out[0]
    return [[float(x), float(y)] for x, y in out]


def build_simplified_geojson(
    source: str | Path | GeoJSON,
    tolerance: float = 0.02,
    fine_tolerance: float = 0.006,
    fine_bbox: tuple[float, float, float, float] = ALPS_BBOX,
    bbox: tuple[float, float, float, float] = EUROPE_BBOX,
    decimals: int = 3,
    keep_properties: tuple[str, ...] = ("NUTS_ID", "CNTR_CODE", "NAME_LATN"),
) -> GeoJSON:
    """A compact NUTS GeoJSON (EPSG:4326): rings simplified (finer inside ``fine_bbox``, the
    Alpine area), coordinates rounded, polygons outside ``bbox`` dropped (overseas regions),
    rings that collapse dropped (tiny islands) unless a feature would lose all its rings."""
    gj = load_geojson(source)
    out_feats = []
    for f in sorted(gj["features"], key=lambda f: str(f["properties"].get("NUTS_ID", ""))):
        polys_out = []
        for poly in _polygons(f.get("geometry")):
            arr = np.asarray(poly[0], dtype=float)
            if (
                arr[:, 0].max() < bbox[0]
                or arr[:, 0].min() > bbox[2]
                or arr[:, 1].max() < bbox[1]
                or arr[:, 1].min() > bbox[3]
            ):
                continue
            inside_fine = not (
                arr[:, 0].max() < fine_bbox[0]
                or arr[:, 0].min() > fine_bbox[2]
                or arr[:, 1].max() < fine_bbox[1]
                or arr[:, 1].min() > fine_bbox[3]
            )
            tol = fine_tolerance if inside_fine else tolerance
            outer = _simplify_ring(poly[0], tol, decimals)
            if outer is None:
                continue
            holes = [
                h for h in (_simplify_ring(r, tol, decimals) for r in poly[1:]) if h is not None
            ]
            polys_out.append([outer, *holes])
        if not polys_out:
            # Keep at least the largest polygon of a small region (finest tolerance).
            cands = [p for p in _polygons(f.get("geometry")) if len(p[0]) >= 4]
            if not cands:
                continue
            arr0 = np.asarray(max(cands, key=len)[0])
            if (
                arr0[:, 0].max() < bbox[0]
                or arr0[:, 0].min() > bbox[2]
                or arr0[:, 1].max() < bbox[1]
                or arr0[:, 1].min() > bbox[3]
            ):
                continue
            ring = _simplify_ring(max(cands, key=len)[0], fine_tolerance / 4, decimals + 1)
            if ring is None:
                continue
            polys_out = [[ring]]
        geom = (
            {"type": "Polygon", "coordinates": polys_out[0]}
            if len(polys_out) == 1
            else {"type": "MultiPolygon", "coordinates": polys_out}
        )
        props = {k: f["properties"].get(k) for k in keep_properties}
        out_feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": out_feats}


def write_geojson_gz(gj: GeoJSON, path: str | Path) -> int:
    """Write deterministic gzipped GeoJSON (mtime 0, compact separators); returns bytes."""
    raw = json.dumps(gj, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    data = gzip.compress(raw, compresslevel=9, mtime=0)
    Path(path).write_bytes(data)
    return len(data)


BUNDLED_NUTS2 = Path(__file__).with_name("data") / "nuts2_2021_simplified.geojson.gz"

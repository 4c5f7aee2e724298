"""Small locator maps as inline SVG, drawn from the stored NUTS boundaries (no tiles, offline)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

Ring = Sequence[Sequence[float]]


@dataclass
class Shape:
    code: str
    name: str
    geometry: dict[str, Any]
    focus: bool = False


def _rings(geometry: dict[str, Any]) -> Iterable[Ring]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon


def render_locator_svg(
    shapes: list[Shape],
    pin: tuple[float, float] | None = None,
    title: str = "",
    width: int = 400,
    pad: float = 0.15,
) -> str:
    """Shapes in WGS84, equirectangular projection scaled by cos(latitude) at the centre."""
    rings = [(s, r) for s in shapes for r in _rings(s.geometry) if r]
    if not rings:
        return ""
    focus = [r for s, r in rings if s.focus] or [r for _, r in rings]
    xs = [p[0] for r in focus for p in r]
    ys = [p[1] for r in focus for p in r]
    if pin:
        xs.append(pin[1])
        ys.append(pin[0])
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    dx, dy = max(max_x - min_x, 0.05), max(max_y - min_y, 0.05)
    min_x, max_x = min_x - dx * pad * 2, max_x + dx * pad * 2
    min_y, max_y = min_y - dy * pad, max_y + dy * pad
    kx = math.cos(math.radians((min_y + max_y) / 2))
    span_x, span_y = (max_x - min_x) * kx, max_y - min_y
    height = max(120, round(width * span_y / span_x))
    scale = width / span_x

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - min_x) * kx * scale, (max_y - lat) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for shape in shapes:
        d = []
        for ring in _rings(shape.geometry):
            pts = [project(p[0], p[1]) for p in ring]
            d.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
        if d:
            cls = "region focus" if shape.focus else "region"
            parts.append(
                f'<path class="{cls}" d="{"".join(d)}"><title>{escape(shape.code)}'
                f" {escape(shape.name)}</title></path>"
            )
    if pin:
        x, y = project(pin[1], pin[0])
        parts.append(f'<circle class="pin" cx="{x:.1f}" cy="{y:.1f}" r="5"/>')
    parts.append("</svg>")
    return "".join(parts)

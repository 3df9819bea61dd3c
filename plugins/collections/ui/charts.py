"""Line charts as inline SVG, drawn on the server: the pages need no script and no CDN."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 120, 16, 28
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _label(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else f"{value:,.0f}"


def line_chart(
    title: str, days: list[dt.date], series: dict[str, list[float | None]], *, percent: bool = False
) -> Markup:
    """One SVG line per series over ``days``; a missing value (None) breaks its line."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = max(values, default=0) or (1 if percent else 1)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (width * i / (len(days) - 1) if len(days) > 1 else width / 2)

    def y(v: float) -> float:
        return TOP + height - height * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + height}" x2="{LEFT + width}" y2="{TOP + height}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + height}" stroke="#999"/>',
    ]
    for frac in (0, 0.5, 1):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(top * frac) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(_label(top * frac, percent))}</text>"
        )
    if days:
        for i in sorted({0, len(days) - 1}):
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">'
                f"{days[i].isoformat()}</text>"
            )
    for n, (name, vs) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        parts += _line(vs, x, y, colour)
        parts.append(
            f'<text x="{LEFT + width + 8}" y="{TOP + 12 + 14 * n}" font-size="11" fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(values: list[float | None], x: Callable[[int], float], y: Callable[[float], float], colour: str) -> list[str]:
    """One series' marks: a polyline per run of values between gaps, a dot for a lone value."""
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
    marks = []
    for run in runs:
        if len(run) == 1:
            cx, cy = run[0].split(",")
            marks.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
        elif run:
            marks.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
    return marks

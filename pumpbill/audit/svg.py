"""Tiny inline-SVG charts for the HTML report: bars, stacked columns, a scatter.

Why not matplotlib: the report needs four plain charts, and drawing them as SVG text takes
milliseconds where importing and rendering matplotlib takes seconds. The SVG is inline in the
page (no file, no script, no URL), scales cleanly and prints well. Every label is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5")
ERROR, WARNING, NEUTRAL = "#b03a2e", "#d68910", "#7a8ca3"
_FONT = "font-family='system-ui,sans-serif' font-size='11'"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _nice_max(v: float) -> float:
    """A round axis maximum at or above ``v`` (1, 2, 2.5, 5 x 10^k)."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= v)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:.2g}"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f"<svg role='img' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' {_FONT}><title>{_e(title)}</title>"
            f"<text x='{width / 2}' y='16' text-anchor='middle' font-size='13' font-weight='600'>{_e(title)}</text>"
            + "".join(body) + "</svg>")


def hbar(title: str, labels: Sequence[str], values: Sequence[float], colors: Sequence[str],
         label_width: int = 250, width: int = 720) -> str:
    """Horizontal bars, one row per label, value printed at the end of each bar."""
    row, top = 18, 28
    height = top + row * len(labels) + 10
    vmax = max([float(v) for v in values] + [0.0]) or 1.0
    span = width - label_width - 60
    body = []
    for i, (lab, v, c) in enumerate(zip(labels, values, colors, strict=True)):
        y = top + i * row
        w = span * float(v) / vmax
        body.append(f"<text x='{label_width - 6}' y='{y + 12}' text-anchor='end'>{_e(lab)}</text>"
                    f"<rect x='{label_width}' y='{y + 2}' width='{w:.1f}' height='{row - 5}' fill='{c}'/>"
                    f"<text x='{label_width + w + 4:.1f}' y='{y + 12}'>{_e(_fmt(float(v)))}</text>")
    return _svg(width, height, body, title)


def columns(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]],
            width: int = 900, height: int = 260, y_label: str = "") -> str:
    """Stacked columns (one per x label), with a y axis and a legend on the right."""
    left, right, top, bottom = 56, 110 if len(series) > 1 else 20, 28, 58
    n = max(len(x_labels), 1)
    totals = [sum(float(s[1][i]) for s in series) for i in range(len(x_labels))]
    ymax = _nice_max(max(totals + [0.0]))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / n
    body = []
    for k in range(6):
        v = ymax * k / 5
        y = top + plot_h - plot_h * k / 5
        body.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ddd'/>"
                    f"<text x='{left - 4}' y='{y + 4:.1f}' text-anchor='end'>{_e(_fmt(v))}</text>")
    if y_label:
        body.append(f"<text transform='translate(12,{top + plot_h / 2}) rotate(-90)' text-anchor='middle'>"
                    f"{_e(y_label)}</text>")
    base = [0.0] * len(x_labels)
    for name, values, color in series:
        for i, v in enumerate(values):
            v = float(v)
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y = top + plot_h - plot_h * base[i] / ymax - h
            body.append(f"<rect x='{left + i * step + step * 0.12:.1f}' y='{y:.1f}' width='{step * 0.76:.1f}' "
                        f"height='{h:.1f}' fill='{color}'><title>{_e(x_labels[i])} {_e(name)}: {v:,.0f}</title>"
                        "</rect>")
            base[i] += v
    every = max(1, math.ceil(len(x_labels) / 15))
    for i in range(0, len(x_labels), every):
        x = left + (i + 0.5) * step
        body.append(f"<text transform='translate({x:.1f},{top + plot_h + 10}) rotate(-45)' text-anchor='end'>"
                    f"{_e(x_labels[i])}</text>")
    if len(series) > 1:
        for j, (name, _, color) in enumerate(series):
            y = top + j * 15
            body.append(f"<rect x='{width - right + 10}' y='{y}' width='10' height='10' fill='{color}'/>"
                        f"<text x='{width - right + 24}' y='{y + 9}'>{_e(name)}</text>")
    return _svg(width, height, body, title)


def scatter(title: str, x: Sequence[float], y: Sequence[float], flagged: Sequence[bool], hline: float | None,
            x_label: str, y_label: str, width: int = 440, height: int = 280) -> str:
    """Providers as points (volume x rate); flagged ones in red; the peer median as a dashed line."""
    left, right, top, bottom = 56, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xmax = _nice_max(max([float(v) for v in x] + [0.0]))
    ymax = _nice_max(max([float(v) for v in y if v == v] + [hline or 0.0, 0.0]))
    body = []
    for k in range(5):
        v = ymax * k / 4
        yy = top + plot_h - plot_h * k / 4
        body.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#ddd'/>"
                    f"<text x='{left - 4}' y='{yy + 4:.1f}' text-anchor='end'>{_e(f'{v:.2g}')}</text>")
        xv = xmax * k / 4
        xx = left + plot_w * k / 4
        body.append(f"<text x='{xx:.1f}' y='{top + plot_h + 14}' text-anchor='middle'>{_e(_fmt(xv))}</text>")
    body.append(f"<text x='{left + plot_w / 2}' y='{height - 6}' text-anchor='middle'>{_e(x_label)}</text>"
                f"<text transform='translate(12,{top + plot_h / 2}) rotate(-90)' text-anchor='middle'>"
                f"{_e(y_label)}</text>")
    if hline is not None and hline == hline:
        yy = top + plot_h - plot_h * hline / ymax
        body.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#333' "
                    "stroke-dasharray='4 3'><title>peer median</title></line>")
    for xv, yv, f in sorted(zip(x, y, flagged, strict=True), key=lambda t: t[2]):
        if yv != yv:
            continue
        cx = left + plot_w * float(xv) / xmax
        cy = top + plot_h - plot_h * float(yv) / ymax
        body.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{6 if f else 3.5}' fill='{ERROR if f else NEUTRAL}' "
                    f"fill-opacity='0.85'/>")
    return _svg(width, height, body, title)

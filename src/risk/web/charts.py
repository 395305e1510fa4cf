"""Charts drawn on the server as SVG (no script): horizontal bars and a line.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; pages put the same
figures in a table beside it for screen readers and printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
LABEL_WIDTH = 170
VALUE_WIDTH = 130


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str],
    title: str,
    width: int = 560,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
) -> Markup:
    """Horizontal bars, one per label, with the value's text at the end of the bar; ``band``
    (lows, highs) draws a whisker from low to high across each bar (e.g. an 80 % band)."""
    top = max(_finite([*values, *(band[1] if band else [])]) or [0.0]) or 1.0
    inner = width - LABEL_WIDTH - VALUE_WIDTH
    height = BAR_HEIGHT * len(labels) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
        f"<desc>{escape('; '.join(f'{lab}: {txt}' for lab, txt in zip(labels, texts, strict=True)))}</desc>"
    ]
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = i * BAR_HEIGHT + 2
        length = 0.0 if not math.isfinite(value or 0.0) else max(value, 0.0) / top * inner
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{BAR_HEIGHT - 6}" '
            f'class="bar"/>'
        )
        end = length
        if band is not None:
            low, high = (max(float(b[i]), 0.0) / top * inner for b in band)
            if math.isfinite(low) and math.isfinite(high):
                mid = y + BAR_HEIGHT / 2
                parts.append(
                    f'<line x1="{LABEL_WIDTH + low:.1f}" y1="{mid:.1f}" '
                    f'x2="{LABEL_WIDTH + high:.1f}" y2="{mid:.1f}" class="band"/>'
                )
                end = max(length, high)
        parts.append(
            f'<text x="{LABEL_WIDTH + end + 6:.1f}" y="{y + 15}" class="chart-value">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str],
    title: str,
    width: int = 560,
    height: int = 200,
    y_min: float | None = None,
    y_max: float | None = None,
) -> Markup:
    """A line through the points (missing values break the line), first/last labels below."""
    finite = _finite(values)
    low = y_min if y_min is not None else min(finite or [0.0])
    high = y_max if y_max is not None else max(finite or [1.0])
    if high <= low:
        high = low + 1.0
    left, right, top, bottom = 50, 10, 10, 30
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / max(len(values) - 1, 1)

    def y_of(v: float) -> float:
        return top + inner_h - (v - low) / (high - low) * inner_h

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
        f"<desc>{escape('; '.join(f'{lab}: {txt}' for lab, txt in zip(labels, texts, strict=True)))}</desc>",
        f'<line x1="{left}" y1="{top + inner_h}" x2="{width - right}" y2="{top + inner_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" class="chart-label">{high:,.0f}</text>',
        f'<text x="{left - 4}" y="{top + inner_h}" text-anchor="end" class="chart-label">{low:,.0f}</text>',
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{left + i * step:.1f},{y_of(v):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(f'<polyline points="{" ".join(seg)}" class="line"/>')
    for i, (v, text) in enumerate(zip(values, texts, strict=True)):
        if v is not None and math.isfinite(v):
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{y_of(v):.1f}" r="3" class="dot">'
                f"<title>{escape(labels[i])}: {escape(text)}</title></circle>"
            )
    if labels:
        parts.append(
            f'<text x="{left}" y="{height - 8}" class="chart-label">{escape(labels[0])}</text>'
            f'<text x="{width - right}" y="{height - 8}" text-anchor="end" class="chart-label">'
            f"{escape(labels[-1])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

"""Charts as inline SVG, rendered on the server: no chart library, no external service.

A horizontal bar chart is all the agent summary needs; each bar is a link to the calls
behind its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown (e.g. "42 %", "1.3")
    href: str | None = None


def bar_chart(title: str, bars: list[Bar], *, max_value: float | None = None, width: int = 420) -> str:
    label_w, row_h, pad = 130, 22, 6
    top = max((b.value for b in bars), default=0.0)
    scale_max = max_value if max_value is not None else (top or 1.0)
    plot_w = width - label_w - 60
    height = pad * 2 + row_h * max(len(bars), 1) + 18
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="12" class="chart-title">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{18 + row_h}" class="chart-empty">no data</text>')
    for i, bar in enumerate(bars):
        y = 18 + pad + i * row_h
        w = 0 if scale_max <= 0 else max(0.0, min(1.0, bar.value / scale_max)) * plot_w
        row = (
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="chart-label">{escape(bar.label[:22])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" class="chart-bar"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" class="chart-value">{escape(bar.text)}</text>'
        )
        if bar.href:
            row = f'<a href="{escape(bar.href)}"><title>{escape(bar.label)}: {escape(bar.text)}</title>{row}</a>'
        parts.append(row)
    parts.append("</svg>")
    return "".join(parts)

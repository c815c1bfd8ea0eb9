"""Charts drawn by the server as inline SVG: no JavaScript, nothing fetched (LGWAN sites reach no
CDN). A chart is an accessible image (role="img", <title>, <desc>), every data point carries its
own <title> (a tooltip, and what a screen reader's table view reads), and the page shows the same
numbers in a table beside it. Colors are presentation attributes, which the CSP does not block.
"""

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

# Distinguishable in grey and for the common color-vision types (Okabe–Ito), with a dash pattern each.
PALETTE = (("#0072B2", ""), ("#D55E00", "6 3"), ("#009E73", "2 3"), ("#CC79A7", "8 3 2 3"))
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 64  # room for the axes' labels and the legend


def nice_ticks(top: float, count: int = 4) -> list[int]:
    """0 and round steps (1, 2, 5 × 10ⁿ) up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return list(range(0, int(math.ceil(top / step)) * step + 1, step))


def chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    kind: str = "line",
    unit: str = "",
) -> Markup:
    """A line chart (or grouped bars, `kind="bar"`) of `series` [(name, values)] over `labels`.
    `chart_id` makes the <title>/<desc> ids unique on the page."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = nice_ticks(max((v for _, values in series for v in values), default=0))
    top = ticks[-1]
    n = max(len(labels), 1)
    slot = plot_w / n

    def x(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="12" font-family="sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in ticks:  # horizontal grid lines with the y axis' labels
        parts.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{y(tick):.1f}" stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#444">{tick}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#444" stroke-width="1"/>'
    )
    every = max(1, math.ceil(n / 12))  # at most a dozen x labels, so they never overlap
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" fill="#444">{escape(label)}</text>'
            )
    bar_w = slot * 0.8 / max(len(series), 1)
    for s, (name, values) in enumerate(series):
        color, dash = PALETTE[s % len(PALETTE)]
        points = [(x(i), y(v), label, v) for i, (label, v) in enumerate(zip(labels, values, strict=True))]
        group = [f'<g class="series" data-series="{escape(name)}">']
        if kind == "bar":
            for i, (_, py, label, v) in enumerate(points):
                left = LEFT + slot * i + slot * 0.1 + bar_w * s
                group.append(
                    f'<rect x="{left:.1f}" y="{py:.1f}" width="{bar_w:.1f}" height="{TOP + plot_h - py:.1f}" fill="{color}"'
                    f' data-value="{v}"><title>{escape(name)} {escape(label)}: {v}{escape(unit)}</title></rect>'
                )
        else:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            group.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dashed}/>')
            for px, py, label, v in points:
                group.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}" data-value="{v}">'
                    f"<title>{escape(name)} {escape(label)}: {v}{escape(unit)}</title></circle>"
                )
        group.append("</g>")
        parts.extend(group)
        legend_x = LEFT + s * 160
        legend_y = HEIGHT - 16
        parts.append(
            f'<rect x="{legend_x}" y="{legend_y - 10}" width="14" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 20}" y="{legend_y}" fill="#222">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

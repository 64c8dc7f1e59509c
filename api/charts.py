"""Small server-rendered SVG charts: no script, no CDN, nothing to build.

Every bar carries ``data-label``, ``data-series`` and ``data-value`` attributes so a test
(or a curious analyst) can read the figures back out of the DOM. A bar given a link is
wrapped in an SVG ``<a href>``: a click opens the documents behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def _linked(bar: str, href: str | None) -> str:
    """``bar``, inside a link to ``href`` when there is one."""
    return f'<a href="{escape(href)}">{bar}</a>' if href else bar


def _legend(series: Sequence[str], x: int, y: int) -> str:
    items = []
    for i, name in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        items.append(
            f'<rect x="{x}" y="{y + i * 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + i * 16 + 9}" font-size="11">{escape(name)}</text>'
        )
    return "".join(items)


def stacked_bars(  # noqa: PLR0913 - keyword-only chart options
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    width: int = 1180,
    height: int = 260,
    unit: str = "",
    link: Callable[[str, str], str | None] | None = None,
) -> str:
    """Vertical bars per category, one stacked segment per series; ``link(category, series)``:
    where a segment leads (None: nowhere)."""
    names = list(series)
    totals = [sum(series[n][i] for n in names) for i in range(len(categories))]
    top = max(totals, default=0) or 1
    plot_w, plot_h, left, base = width - 260, height - 60, 50, height - 30
    step = plot_w / max(len(categories), 1)
    bar_w = max(step * 0.7, 1)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>',
        f'<text x="4" y="{base - plot_h + 10}" font-size="10">{top:g}{escape(unit)}</text>',
    ]
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar_w) / 2
        y = float(base)
        for s, name in enumerate(names):
            value = float(series[name][i])
            if value <= 0:
                continue
            h = value / top * plot_h
            y -= h
            bar = (
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-label="{escape(category)}" '
                f'data-series="{escape(name)}" data-value="{value:g}">'
                f"<title>{escape(category)} {escape(name)}: {value:g}{escape(unit)}</title></rect>"
            )
            parts.append(_linked(bar, link(category, name) if link else None))
        if len(categories) <= 31:
            parts.append(f'<text x="{x:.1f}" y="{base + 14}" font-size="9">{escape(category[-5:])}</text>')
    parts.append(_legend(names, left + plot_w + 20, 30))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    width: int = 580,
    unit: str = "",
    fmt: str = "{:g}",
    links: Sequence[str | None] = (),
) -> str:
    """One horizontal bar per labelled value, longest scale = the largest value; ``links``:
    where each bar leads, in the order of ``items`` (None or missing: nowhere)."""
    row_h, left = 22, 200
    height = 40 + row_h * max(len(items), 1)
    top = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 30 + i * row_h
        w = float(value) / top * (width - left - 90)
        shown = fmt.format(value) + unit
        bar = (
            f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" data-label="{escape(label)}" '
            f'data-value="{float(value):g}"><title>{escape(label)}: {escape(shown)}</title></rect>'
        )
        parts.append(
            f'<text x="4" y="{y + 14}" font-size="11">{escape(label[:32])}</text>'
            f"{_linked(bar, links[i] if i < len(links) else None)}"
            f'<text x="{left + w + 4:.1f}" y="{y + 13}" font-size="11">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

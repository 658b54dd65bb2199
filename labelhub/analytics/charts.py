"""Server-side SVG charts: horizontal bars (with optional CI whiskers) and a cumulative line.

Plain SVG strings with escaped labels, so the dashboard needs no chart library and the charts
print, save and render the same in every browser.
"""

from dataclasses import dataclass
from xml.sax.saxutils import escape

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_COLOURS = ("#4c78a8", "#9ecae9", "#f58518")


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]
    # A confidence interval drawn over the first value, as a whisker.
    low: float | None = None
    high: float | None = None
    note: str = ""


def bar_chart(
    bars: list[Bar],
    *,
    title: str,
    series: tuple[str, ...],
    percent: bool = False,
    chart_id: str = "",
    width: int = 720,
) -> str:
    """One group of bars per row (e.g. target / collected / approved), scaled to the largest."""
    label_width, row_height, top = 220, 14 * len(series) + 10, 40
    plot = width - label_width - 170
    peak = max((max(b.values + ((b.high,) if b.high else ())) for b in bars), default=0) or 1
    height = top + row_height * max(len(bars), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'id="{escape(chart_id)}" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
    for index, name in enumerate(series):
        x = label_width + index * 130
        parts.append(f'<rect x="{x}" y="22" width="10" height="10" fill="{_COLOURS[index]}"/>')
        parts.append(f'<text x="{x + 14}" y="31" {_FONT}>{escape(name)}</text>')
    if not bars:
        parts.append(f'<text x="{label_width}" y="{top + 14}" {_FONT}>—</text>')
    for row, bar in enumerate(bars):
        y = top + row * row_height
        parts.append(
            f'<text x="{label_width - 6}" y="{y + row_height / 2 + 4}" text-anchor="end" '
            f"{_FONT}>{escape(bar.label)}</text>"
        )
        for index, value in enumerate(bar.values):
            bar_y = y + index * 14
            length = plot * value / peak
            parts.append(
                f'<rect class="bar" x="{label_width}" y="{bar_y}" width="{length:.1f}" '
                f'height="12" fill="{_COLOURS[index]}"><title>{escape(bar.label)}: '
                f"{escape(_fmt(value, percent))}</title></rect>"
            )
        if bar.low is not None and bar.high is not None:
            x1, x2 = label_width + plot * bar.low / peak, label_width + plot * bar.high / peak
            mid = y + 6
            parts.append(
                f'<path class="ci" d="M{x1:.1f},{mid} H{x2:.1f} M{x1:.1f},{mid - 4} V{mid + 4} '
                f'M{x2:.1f},{mid - 4} V{mid + 4}" stroke="#1d2330" fill="none"/>'
            )
        parts += _value_labels(bar, series, y=y, x=label_width, scale=plot / peak, percent=percent)
    parts.append("</svg>")
    return "".join(parts)


def _value_labels(
    bar: Bar, series: tuple[str, ...], *, y: float, x: float, scale: float, percent: bool
) -> list[str]:
    """Text beside the bars. With several series each bar is named and valued at its own end
    ("collected 2.4" beside the collected bar), so no figure is read against the wrong bar."""
    if len(series) == 1 or bar.note:
        end = x + scale * max(bar.values + ((bar.high,) if bar.high else ()))
        text = bar.note or _fmt(bar.values[0], percent)
        return [f'<text x="{end + 6:.1f}" y="{y + 10}" {_FONT}>{escape(text)}</text>']
    return [
        f'<text class="value" x="{x + scale * value + 6:.1f}" y="{y + index * 14 + 10}" '
        f'font-family="system-ui, sans-serif" font-size="11">'
        f"{escape(f'{name} {_fmt(value, percent)}')}</text>"
        for index, (name, value) in enumerate(zip(series, bar.values, strict=False))
    ]


def line_chart(
    points: list[tuple[str, float]], *, title: str, chart_id: str = "", width: int = 720
) -> str:
    """A running total over days: x is the day index, y the value."""
    height, left, top, bottom = 220, 50, 30, 30
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max((value for _, value in points), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'id="{escape(chart_id)}" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#5b6475"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" {_FONT}>{peak:.0f}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" {_FONT}>0</text>',
    ]
    if points:
        step = plot_w / max(len(points) - 1, 1)
        coords = " ".join(
            f"{left + i * step:.1f},{top + plot_h - plot_h * value / peak:.1f}"
            for i, (_, value) in enumerate(points)
        )
        parts.append(
            f'<polyline class="line" points="{coords}" fill="none" stroke="{_COLOURS[0]}" '
            f'stroke-width="2"/>'
        )
        for i in {0, len(points) - 1}:
            anchor = "start" if i == 0 else "end"
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="{anchor}" '
                f"{_FONT}>{escape(points[i][0])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.1f}%" if percent else f"{value:g}"

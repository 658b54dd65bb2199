"""Server-side SVG bar charts for the datasheet: no script, so the HTML reads the same offline."""

from collections.abc import Callable

from django.utils.html import escape

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 300


def bar_chart_svg(
    title: str,
    rows: list[tuple[str, float]],
    *,
    unit: str = "",
    text: Callable[[float], str] | None = None,
) -> str:
    """A horizontal bar chart of (label, value) rows, the value printed beside each bar (as
    `text` writes it, else as the number and `unit`)."""
    top = max((value for _, value in rows), default=0) or 1
    height = ROW * (len(rows) + 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(rows):
        y = ROW * (index + 1) + 4
        bar = round(BAR_WIDTH * value / top, 1)
        parts += [
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{ROW - 6}" fill="#3b6fb6"/>',
            f'<text x="{LABEL_WIDTH + bar + 4}" y="{y + 13}">'
            f"{escape(text(value) if text else f'{value:g} {unit}')}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)

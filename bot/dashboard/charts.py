"""The dashboard's charts as SVG markup, drawn on the server (no JavaScript): pure functions from
labels and numbers to a `str`. Every piece of text is escaped here, since labels come from users.

Each chart scales with the page (viewBox, width 100%), prints on white, tells series apart by
pattern or marker shape as well as by colour, and carries a <title> and a <desc> summarising its
data for screen readers. The page shows the same data as a table beside it (bot.dashboard.tables)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.dashboard.axes import Frame, category_axis, frame_for, value_axis
from bot.dashboard.palette import (
    DASHES,
    FILLS,
    MARKERS,
    Tone,
    categorical,
    legend,
    marker,
    paint,
    pattern_defs,
    tone_of,
)
from bot.dashboard.svg import (
    FONT,
    GRID,
    INK,
    MUTED,
    SMALL,
    WIDTH,
    chart_id,
    document,
    label,
    nice_ticks,
    num,
    number,
    text,
    text_width,
)

__all__ = ["Bar", "LineSeries", "Series", "Tone", "categorical", "horizontal_bars", "lines", "sparkline",
           "stacked_bars"]

TOP_MARGIN = 8


@dataclass(frozen=True)
class Series:
    """One layer of a stacked bar chart: a value per label, drawn in `tone` (see palette.Tone)."""

    name: str
    values: list[float]
    tone: str


@dataclass(frozen=True)
class LineSeries:
    """One line: a value per label, None where there is no value (a gap, never a zero)."""

    name: str
    values: list[float | None]
    tone: str


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: `text` is printed at its end; no bar when `value` is None, and `text`
    then says why ("no contacts yet")."""

    label: str
    value: float | None
    text: str


def _check(labels: list[str], named: list[tuple[str, list[float | None]]]) -> None:
    for name, values in named:
        if len(values) != len(labels):
            raise ValueError(f"Series {name!r} has {len(values)} values for {len(labels)} labels.")
        if any(value is not None and (value < 0 or not math.isfinite(value)) for value in values):
            raise ValueError(f"Series {name!r} has a negative or infinite value.")


def _legend_swatch_area(ident: str, tone: str) -> str:
    return (f'<rect x="0" y="0" width="16" height="14" fill="{paint(ident, tone_of(tone))}" '
            f'stroke="{INK}" stroke-width="0.75"/>')


def stacked_bars(title: str, labels: list[str], series: list[Series], *, unit: str = "") -> str:
    """A bar per label with the series stacked on it, the first at the bottom; the total above."""
    _check(labels, [(one.name, list(one.values)) for one in series])
    ident = chart_id("stacked", title, labels, series, unit)
    tones = [tone_of(one.tone) for one in series]
    totals = [sum(one.values[index] for one in series) for index in range(len(labels))]
    whole = all(float(value).is_integer() for one in series for value in one.values)
    ticks = nice_ticks(max(totals, default=0), whole=whole)
    keys, keys_height = legend([(_legend_swatch_area(ident, one.tone), one.name) for one in series],
                               TOP_MARGIN, TOP_MARGIN, WIDTH - TOP_MARGIN)
    frame = frame_for(labels, ticks, unit, TOP_MARGIN + keys_height + SMALL + 10)
    body = [pattern_defs(ident, tones), *keys, *value_axis(frame, ticks, unit)]
    bar_width = frame.slot_width * 0.7
    for index, name in enumerate(labels):
        body.append(f'<g class="ck-bar" data-index="{index}">')
        base = frame.bottom
        for number_in_stack, one in enumerate(series):
            value = one.values[index]
            if value == 0:
                continue
            height = frame.length(value)
            base -= height
            body.append(
                f'<rect class="ck-segment" data-series="{number_in_stack}" '
                f'x="{num(frame.x(index) - bar_width / 2)}" y="{num(base)}" '
                f'width="{num(bar_width)}" height="{num(height)}" '
                f'fill="{paint(ident, tones[number_in_stack])}" stroke="#ffffff" stroke-width="0.75">'
                f"<title>{text(name)}, {text(one.name)}: {text(number(value, unit))}</title></rect>"
            )
        if text_width(number(totals[index], unit), SMALL) <= frame.slot_width:
            body.append(label(frame.x(index), base - 4, number(totals[index], unit), size=SMALL,
                              anchor="middle", extra=' class="ck-total"'))
        body.append("</g>")
    axis, axis_height = category_axis(frame, labels)
    body.extend(axis)
    desc = _describe_stacked(labels, series, totals, unit)
    return document(ident=ident, kind="stacked-bars", title=title, desc=desc,
                    height=frame.bottom + axis_height + TOP_MARGIN, body=body)


def _describe_stacked(labels: list[str], series: list[Series], totals: list[float], unit: str) -> str:
    if not labels:
        return "No data."
    span = f"{len(labels)} bars from {labels[0]} to {labels[-1]}"
    if len(labels) == 1:
        span = f"1 bar, {labels[0]}"
    sums = "; ".join(f"{one.name} {number(sum(one.values), unit)}" for one in series)
    highest = max(range(len(labels)), key=lambda index: totals[index])
    return (f"{span}. In all: {sums}. Highest: {labels[highest]} with {number(totals[highest], unit)}; "
            f"lowest total {number(min(totals), unit)}.")


def lines(title: str, labels: list[str], series: list[LineSeries], *, y_max: float | None = None,
          unit: str = "") -> str:
    """A line per series across the labels, broken where a value is None; a marker on every value."""
    _check(labels, [(one.name, list(one.values)) for one in series])
    ident = chart_id("lines", title, labels, series, y_max, unit)
    present = [value for one in series for value in one.values if value is not None]
    # Counts (recurring categories) step in whole numbers; a rate's scale is set by y_max.
    whole = y_max is None and all(float(value).is_integer() for value in present)
    ticks = nice_ticks(max([y_max or 0, *present]), whole=whole)
    swatches = [(_line_swatch(one, index), one.name) for index, one in enumerate(series)]
    keys, keys_height = legend(swatches, TOP_MARGIN, TOP_MARGIN, WIDTH - TOP_MARGIN)
    frame = frame_for(labels, ticks, unit, TOP_MARGIN + keys_height + 10)
    body = [*keys, *value_axis(frame, ticks, unit)]
    for index, one in enumerate(series):
        body.extend(_line(frame, labels, one, index, unit))
    axis, axis_height = category_axis(frame, labels)
    body.extend(axis)
    desc = _describe_lines(labels, series, unit)
    return document(ident=ident, kind="lines", title=title, desc=desc,
                    height=frame.bottom + axis_height + TOP_MARGIN, body=body)


def _line_style(one: LineSeries, index: int) -> str:
    dash = DASHES[index % len(DASHES)]
    dashing = f' stroke-dasharray="{dash}"' if dash else ""
    return f'stroke="{FILLS[tone_of(one.tone)].colour}" stroke-width="2.5" fill="none"{dashing}'


def _line_swatch(one: LineSeries, index: int) -> str:
    shape = MARKERS[index % len(MARKERS)]
    return (f'<path d="M0 7 H16" {_line_style(one, index)}/>'
            f"{marker(shape, 8, 7, FILLS[tone_of(one.tone)].colour)}")


def _line(frame: Frame, labels: list[str], one: LineSeries, index: int, unit: str) -> list[str]:
    """The path, restarted after each gap (a None is a week with no value, not a zero), and the
    markers, which also show a lone value between two gaps."""
    colour = FILLS[tone_of(one.tone)].colour
    shape = MARKERS[index % len(MARKERS)]
    steps, points, pen_down = [], [], False
    for position, value in enumerate(one.values):
        if value is None:
            pen_down = False
            continue
        x, y = frame.x(position), frame.y(value)
        steps.append(f"{'L' if pen_down else 'M'}{num(x)} {num(y)}")
        pen_down = True
        tip = f"{labels[position]}, {one.name}: {number(value, unit)}"
        points.append(f'<g class="ck-point" data-index="{position}">{marker(shape, x, y, colour)}'
                      f"<title>{text(tip)}</title></g>")
    path = f'<path class="ck-line-path" d="{" ".join(steps)}" {_line_style(one, index)}/>' if steps else ""
    return [f'<g class="ck-line" data-series="{index}">', path, *points, "</g>"]


def _describe_lines(labels: list[str], series: list[LineSeries], unit: str) -> str:
    if not labels:
        return "No data."
    parts = [f"{len(labels)} points from {labels[0]} to {labels[-1]}."]
    for one in series:
        known = [(labels[at], value) for at, value in enumerate(one.values) if value is not None]
        if not known:
            parts.append(f"{one.name}: no values.")
            continue
        low, high = min(value for _, value in known), max(value for _, value in known)
        missing = len(labels) - len(known)
        gaps = f", no value in {missing} of {len(labels)}" if missing else ""
        parts.append(f"{one.name}: latest {number(known[-1][1], unit)} ({known[-1][0]}), "
                     f"lowest {number(low, unit)}, highest {number(high, unit)}{gaps}.")
    return " ".join(parts)


BAR_THICKNESS = 16
ROW_HEIGHT = FONT + 4 + BAR_THICKNESS + 12


def horizontal_bars(title: str, rows: list[Bar], *, unit: str = "") -> str:
    """A bar per row under its label, its `text` printed at its end; a row without a value
    gets no bar, only its text. The value scale runs along the bottom."""
    for row in rows:
        _check([row.label], [(row.label, [row.value])])
    ident = chart_id("horizontal", title, rows, unit)
    values = [row.value for row in rows if row.value is not None]
    ticks = nice_ticks(max(values, default=0), whole=all(float(value).is_integer() for value in values))
    left = 12
    reserved = max((text_width(row.text) for row in rows if row.value is not None), default=0) + 8
    frame = Frame(left, TOP_MARGIN, WIDTH - left - 10 - reserved, ROW_HEIGHT * len(rows), ticks[-1], 1)
    body = []
    for tick in ticks:
        x = frame.left + frame.width * tick / frame.top_value
        body.append(f'<line x1="{num(x)}" y1="{num(frame.top)}" x2="{num(x)}" y2="{num(frame.bottom)}" '
                    f'stroke="{MUTED if tick == 0 else GRID}" stroke-width="1"/>')
        body.append(label(x, frame.bottom + SMALL + 4, number(tick, unit), size=SMALL, anchor="middle",
                          extra=f' fill="{MUTED}" class="ck-tick"'))
    for index, row in enumerate(rows):
        body.extend(_horizontal_row(frame, row, index, unit))
    desc = "; ".join(f"{row.label}: {row.text}" for row in rows) + "." if rows else "No data."
    return document(ident=ident, kind="horizontal-bars", title=title, desc=desc,
                    height=frame.bottom + SMALL + 4 + TOP_MARGIN + 4, body=body)


def _horizontal_row(frame: Frame, row: Bar, index: int, unit: str) -> list[str]:
    top = frame.top + ROW_HEIGHT * index
    bar_top = top + FONT + 4
    middle = bar_top + BAR_THICKNESS / 2
    parts = [f'<g class="ck-row" data-index="{index}">',
             label(frame.left, top + FONT, row.label, extra=' font-weight="600" class="ck-row-label"')]
    if row.value is None:
        quiet = f' dy="0.35em" font-style="italic" fill="{MUTED}" class="ck-row-text"'
        parts.append(label(frame.left, middle, row.text, extra=quiet))
    else:
        length = frame.width * row.value / frame.top_value
        parts.append(
            f'<rect class="ck-hbar" x="{num(frame.left)}" y="{num(bar_top)}" width="{num(length)}" '
            f'height="{BAR_THICKNESS}" fill="{FILLS[tone_of("info")].colour}">'
            f"<title>{text(row.label)}: {text(row.text)} ({text(number(row.value, unit))})</title></rect>"
        )
        at_end = ' dy="0.35em" class="ck-row-text"'
        parts.append(label(frame.left + length + 5, middle, row.text, extra=at_end))
    parts.append("</g>")
    return parts


def sparkline(values: list[float | None], *, y_max: float = 100, unit: str = "") -> str:
    """A small trend for a table cell: sized in em so it follows the text; gaps where None; the
    latest value marked. Values above `y_max` are drawn at the top (the cell shows the number)."""
    width, height, pad = 100, 24, 3
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    steps, dots, pen_down = [], [], False
    known = [(position, value) for position, value in enumerate(values) if value is not None]
    for position, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        x = pad + step * position if len(values) > 1 else width / 2
        y = height - pad - (height - 2 * pad) * min(max(value, 0), y_max) / (y_max or 1)
        steps.append(f"{'L' if pen_down else 'M'}{num(x)} {num(y)}")
        pen_down = True
        alone = (position == 0 or values[position - 1] is None) and (
            position == len(values) - 1 or values[position + 1] is None)
        if alone or position == known[-1][0]:
            dots.append(f'<circle class="ck-spark-dot" cx="{num(x)}" cy="{num(y)}" r="2.2" fill="{INK}"/>')
    summary = ", ".join("no value" if value is None else number(value, unit) for value in values) or "none"
    stroke = f'fill="none" stroke="{INK}" stroke-width="1.5" stroke-linejoin="round"'
    path = f'<path class="ck-spark-line" d="{" ".join(steps)}" {stroke}/>' if steps else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Trend: {text(summary)}" class="ck-sparkline" '
        'style="width:6em;height:1.44em;vertical-align:middle">'
        f"<title>Trend: {text(summary)}</title>"
        f'<line x1="0" y1="{height - pad}" x2="{width}" y2="{height - pad}" stroke="{GRID}"/>'
        f"{path}{''.join(dots)}</svg>"
    )

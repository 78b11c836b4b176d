"""The charts' colours and fills: the Okabe-Ito colour-blind safe palette, each tone with its own
pattern too, so that a greyscale print or a reader who can't tell orange from green still can."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.dashboard.svg import FONT, INK, num, text, text_width


class Tone(StrEnum):
    """What a series means, which picks its colour and pattern. Strings, so "late" works too."""

    GOOD = "good"  # kept on time
    LATE = "late"  # kept, but late
    NEUTRAL = "neutral"  # rescheduled with the customer told
    BAD = "bad"  # missed
    INFO = "info"  # a plain measure, no judgement
    # For things whose colour means nothing (recurring categories): see categorical().
    CATEGORY_1 = "category-1"
    CATEGORY_2 = "category-2"
    CATEGORY_3 = "category-3"
    CATEGORY_4 = "category-4"
    CATEGORY_5 = "category-5"


@dataclass(frozen=True)
class Fill:
    colour: str
    pattern: str  # "solid", "stripes", "dots", "crosshatch", "vertical", "horizontal"
    ink: str  # the pattern's marks: white on dark colours, dark on light ones


FILLS: dict[Tone, Fill] = {
    Tone.GOOD: Fill("#009E73", "solid", "#ffffff"),
    Tone.LATE: Fill("#E69F00", "stripes", "#1a1a1a"),
    Tone.NEUTRAL: Fill("#56B4E9", "dots", "#1a1a1a"),
    Tone.BAD: Fill("#D55E00", "crosshatch", "#ffffff"),
    Tone.INFO: Fill("#0072B2", "solid", "#ffffff"),
    Tone.CATEGORY_1: Fill("#0072B2", "solid", "#ffffff"),
    Tone.CATEGORY_2: Fill("#E69F00", "stripes", "#1a1a1a"),
    Tone.CATEGORY_3: Fill("#009E73", "dots", "#ffffff"),
    Tone.CATEGORY_4: Fill("#CC79A7", "crosshatch", "#1a1a1a"),
    Tone.CATEGORY_5: Fill("#000000", "vertical", "#ffffff"),
}
_CATEGORIES = [tone for tone in Tone if tone.value.startswith("category-")]

# Lines can't carry a fill pattern, so each series also gets its own dash and marker shape.
DASHES = ["", "7 4", "2 3", "9 3 2 3", "4 2"]
MARKERS = ["circle", "square", "triangle", "diamond", "cross"]

_PATTERN_MARKS = {
    "stripes": '<path d="M-1 1 l2 -2 M0 6 l6 -6 M5 7 l2 -2" stroke="{ink}" stroke-width="1.3"/>',
    "dots": '<circle cx="3" cy="3" r="1.2" fill="{ink}"/>',
    "crosshatch": '<path d="M0 0 L6 6 M6 0 L0 6" stroke="{ink}" stroke-width="1"/>',
    "vertical": '<path d="M3 0 V6" stroke="{ink}" stroke-width="1.3"/>',
    "horizontal": '<path d="M0 3 H6" stroke="{ink}" stroke-width="1.3"/>',
}


def tone_of(value: str) -> Tone:
    """The Tone named `value`; a ValueError naming the known ones otherwise."""
    try:
        return Tone(value)
    except ValueError:
        known = ", ".join(tone.value for tone in Tone)
        raise ValueError(f"Unknown tone {value!r}; one of {known}.") from None


def categorical(index: int) -> Tone:
    """The tone for the index-th of several categories, cycling when there are more than five."""
    return _CATEGORIES[index % len(_CATEGORIES)]


def paint(ident: str, tone: Tone) -> str:
    """The fill value for an area of this tone in the chart `ident`."""
    fill = FILLS[tone]
    return fill.colour if fill.pattern == "solid" else f"url(#{ident}-{tone.value})"


def pattern_defs(ident: str, tones: list[Tone]) -> str:
    """<defs> with one pattern per patterned tone the chart uses."""
    patterns = []
    for tone in dict.fromkeys(tones):
        fill = FILLS[tone]
        if fill.pattern == "solid":
            continue
        marks = _PATTERN_MARKS[fill.pattern].format(ink=fill.ink)
        patterns.append(
            f'<pattern id="{ident}-{tone.value}" patternUnits="userSpaceOnUse" width="6" height="6">'
            f'<rect width="6" height="6" fill="{fill.colour}"/>{marks}</pattern>'
        )
    return f"<defs>{''.join(patterns)}</defs>" if patterns else ""


def marker(shape: str, x: float, y: float, colour: str, size: float = 4) -> str:
    """A point on a line: its shape tells series apart where colour can't."""
    common = f'fill="{colour}" stroke="#ffffff" stroke-width="1"'
    if shape == "circle":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(size)}" {common}/>'
    if shape == "square":
        side = size * 1.7
        corner = f'x="{num(x - side / 2)}" y="{num(y - side / 2)}"'
        return f'<rect {corner} width="{num(side)}" height="{num(side)}" {common}/>'
    points = {
        "triangle": [(0, -1.25), (1.1, 0.8), (-1.1, 0.8)],
        "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
        "cross": [(-0.4, -1.2), (0.4, -1.2), (0.4, -0.4), (1.2, -0.4), (1.2, 0.4), (0.4, 0.4),
                  (0.4, 1.2), (-0.4, 1.2), (-0.4, 0.4), (-1.2, 0.4), (-1.2, -0.4), (-0.4, -0.4)],
    }[shape]
    listed = " ".join(f"{num(x + dx * size)},{num(y + dy * size)}" for dx, dy in points)
    return f'<polygon points="{listed}" {common}/>'


def legend(entries: list[tuple[str, str]], top: float, left: float, right: float) -> tuple[list[str], float]:
    """Legend entries (swatch markup drawn in a 16x14 box at 0,0; name) flowing left to right and
    wrapping at `right`. Returns the markup and the height it takes."""
    parts: list[str] = []
    x, y, row = left, top, FONT + 8
    for swatch, name in entries:
        width = 22 + text_width(name) + 14
        if x > left and x + width > right:
            x, y = left, y + row
        parts.append(f'<g class="ck-legend-entry" transform="translate({num(x)} {num(y)})">{swatch}'
                     f'<text x="22" y="12" font-size="{FONT}" fill="{INK}">{text(name)}</text></g>')
        x += width
    return parts, (y - top + row) if entries else 0

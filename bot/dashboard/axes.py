"""The frame of a chart with weeks along the bottom and values up the side: where a value or a
week lands, the grid with its round ticks, and the week labels (turned when they don't fit)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dashboard.svg import FONT, GRID, MUTED, SMALL, WIDTH, label, num, number, shorten, text_width

PLOT_HEIGHT = 200
RIGHT_MARGIN = 10


@dataclass(frozen=True)
class Frame:
    """The plot area in viewBox units and the value at its top edge (the highest tick)."""

    left: float
    top: float
    width: float
    height: float
    top_value: float
    slots: int

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def slot_width(self) -> float:
        return self.width / max(self.slots, 1)

    def x(self, index: int) -> float:
        """The middle of the index-th week's slot."""
        return self.left + self.slot_width * (index + 0.5)

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - value / self.top_value)

    def length(self, value: float) -> float:
        """How tall `value` stands: the same scale as the ticks."""
        return self.height * value / self.top_value


def frame_for(labels: list[str], ticks: list[float], unit: str, top: float) -> Frame:
    """A frame whose left margin fits the widest tick label, and the first week's label when the
    labels have to be turned (they then reach left of their slot)."""
    # Tick labels are mostly digits and "%", wider than the average letter the estimate assumes.
    left = max(text_width(number(tick, unit), SMALL) for tick in ticks) * 1.15 + 12
    slots = max(len(labels), 1)
    slot_width = (WIDTH - left - RIGHT_MARGIN) / slots
    widest = max((text_width(shorten(name)) for name in labels), default=0)
    if widest > slot_width - 4:
        left = max(left, widest * 0.71 - slot_width / 2 + 4)
    return Frame(left, top, WIDTH - left - RIGHT_MARGIN, PLOT_HEIGHT, ticks[-1], len(labels))


def value_axis(frame: Frame, ticks: list[float], unit: str) -> list[str]:
    """Horizontal grid lines at the ticks, each labelled at the left."""
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        colour = MUTED if tick == 0 else GRID
        parts.append(
            f'<line x1="{num(frame.left)}" y1="{num(y)}" x2="{num(frame.left + frame.width)}" '
            f'y2="{num(y)}" stroke="{colour}" stroke-width="1"/>'
        )
        parts.append(label(frame.left - 6, y, number(tick, unit), size=SMALL, anchor="end",
                           extra=f' dy="0.35em" fill="{MUTED}" class="ck-tick"'))
    return parts


def category_axis(frame: Frame, labels: list[str]) -> tuple[list[str], float]:
    """Every week's label under its slot, even a week with nothing in it; turned 45 degrees when
    the longest doesn't fit its slot. Returns the markup and the height used under the plot."""
    shown = [shorten(name) for name in labels]
    widest = max((text_width(name) for name in shown), default=0)
    baseline = frame.bottom + FONT + 4
    if widest <= frame.slot_width - 4:
        parts = [label(frame.x(index), baseline, name, anchor="middle", extra=' class="ck-category"')
                 for index, name in enumerate(shown)]
        return parts, FONT + 10
    parts = []
    for index, name in enumerate(shown):
        x = frame.x(index) + FONT * 0.35
        turn = f' transform="rotate(-45 {num(x)} {num(baseline - 4)})" class="ck-category"'
        parts.append(label(x, baseline - 4, name, anchor="end", extra=turn))
    return parts, widest * 0.71 + FONT + 6

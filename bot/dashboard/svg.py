"""SVG building blocks shared by the charts: escaping, the document frame, numbers and round ticks."""

from __future__ import annotations

import hashlib
import math
import re

# The viewBox is narrow on purpose: the chart scales to the page width, and at 420 units a 14-unit
# label is still 12 px on a 360 px phone. Wider boxes shrink the text below legibility there.
WIDTH = 420
FONT = 14
SMALL = 12
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#d4d4d4"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

# XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF: one of them in a user's
# label would make the whole chart unparsable, so they are dropped (escaping cannot save them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Displayed axis labels are cut to this; the full text stays in the <title> tooltips and the table.
MAX_LABEL = 18


def text(value: object) -> str:
    """`value` as text safe in element content and in a double-quoted attribute."""
    cleaned = _NOT_XML.sub("", str(value))
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def shorten(label: str, limit: int = MAX_LABEL) -> str:
    """The label cut to `limit` characters with an ellipsis, for an axis with little room."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def text_width(value: str, size: float = FONT) -> float:
    """An estimate of the rendered width: the font is the reader's, so it can't be measured."""
    return len(value) * size * 0.58


def num(value: float) -> str:
    """A coordinate with at most two decimals, so the markup stays small and stable."""
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}".rstrip("0")


def number(value: float, unit: str = "") -> str:
    """A value as a reader sees it: 1,200 / 83.3 plus the unit ("%", " h")."""
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{shown}{unit}"


def nice_ticks(top: float, *, whole: bool = False, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of ten
    (never 2.5 for whole counts, where a tick at 7.5 promises would be nonsense)."""
    top = top if top > 0 else 1
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(factor * magnitude for factor in factors if factor * magnitude >= raw * (1 - 1e-9))
    if whole:
        step = max(1, round(step))
    steps = math.ceil(top / step - 1e-9)
    return [round(index * step, 10) for index in range(steps + 1)]


def chart_id(*parts: object) -> str:
    """An id prefix for one chart's patterns and labels. Several charts share a page's id space,
    so each gets its own; derived from the data, so the same chart renders the same markup."""
    seed = repr(parts).encode("utf-8", "surrogatepass")
    return "ck-" + hashlib.blake2s(seed, digest_size=5).hexdigest()


def document(*, ident: str, kind: str, title: str, desc: str, height: float, body: list[str]) -> str:
    """The whole <svg>: it scales to its container (viewBox, width 100%, no pixel size), has a
    white background so it prints as seen, and names itself to screen readers (role, title, desc)."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {num(height)}" width="100%" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" class="ck-chart ck-{kind}" '
        f'font-family="{text(FONT_FAMILY)}" font-size="{FONT}" fill="{INK}">'
    )
    return "\n".join(
        [
            head,
            f'<title id="{ident}-title">{text(title)}</title>',
            f'<desc id="{ident}-desc">{text(desc)}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{num(height)}" fill="#ffffff"/>',
            *body,
            "</svg>",
        ]
    )


def label(
    x: float, y: float, content: str, *, size: int = FONT, anchor: str = "start", extra: str = ""
) -> str:
    """A <text> element; `content` is escaped here, so callers pass raw user text."""
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{text(content)}</text>"
    )

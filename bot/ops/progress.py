"""Progress of a long operator job (a report or an export over many cases) on the terminal.

Always on stderr, so what the job prints on stdout (CSV, JSON lines) stays clean to pipe. Shown
when stderr is a terminal, or when asked for (`--progress`); silent otherwise, so a cron job's
mail isn't filled with bars."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def wanted(forced: bool | None = None) -> bool:
    """Whether to show progress: as asked, else only on a terminal."""
    return forced if forced is not None else sys.stderr.isatty()


def track(items: Iterable[T], *, total: int | None, what: str, show: bool) -> Iterator[T]:
    """Yield the items, drawing "what: 40%|████  | 400/1000" on stderr as they go."""
    if not show:
        yield from items
        return
    # mininterval keeps the redraws cheap on a long run; a pipe gets one line per update.
    yield from tqdm(
        items, total=total, desc=what, unit="", file=sys.stderr, mininterval=0.2, dynamic_ncols=True
    )

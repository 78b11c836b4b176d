"""How a promise ended, and the words for it: the one vocabulary of outcomes that the case card,
`/case report`, the weekly digest, the App Home, `python -m bot report` and the audit export
all use (README → Glossary). No Slack here.

- **kept on time**: kept by its due time. Among them, **kept early**: kept before its reminder
  was due ("under-promise, over-deliver"); early ones are kept on time too, and counted so.
- **kept late**: kept after its due time.
- **missed**: still open past its due time; or given a new time, or called off, only after its
  due time or without the customer told.
- **rescheduled**: given a new time before its due time, the customer told. Neither kept nor
  missed; the new promise counts on its own due time.
- **cancelled**: called off with a reason before its due time, the customer told. Neither
  kept nor missed.
- **still open**: not kept and not yet due: no outcome yet.
- The **on-time rate**: kept on time / (kept on time + kept late + missed), in whole percent
  rounded down, so 100% means every one. Rescheduled and cancelled promises are not in it. With
  nothing counted there is no rate (0 of 0 is not 0%)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from storage.models import PromiseState


class Outcome(StrEnum):
    KEPT_EARLY = "kept_early"
    KEPT_ON_TIME = "kept_on_time"
    KEPT_LATE = "kept_late"
    MISSED = "missed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


def outcome(
    state: str,
    due_at: datetime,
    kept_at: datetime | None,
    now: datetime,
    remind_at: datetime | None = None,
    rescheduled_at: datetime | None = None,
    customer_told: bool | None = None,
    cancelled_at: datetime | None = None,
) -> Outcome | None:
    """How one promise ended, or None while it is still open and not yet due. Without its
    reminder time a promise can't be told kept early, only on time; without when and how it was
    rescheduled (or cancelled), it is taken as rescheduled (or cancelled) before its due time."""
    if state == PromiseState.CANCELLED:
        # Calling off a promise already missed doesn't undo the miss.
        if cancelled_at is not None and cancelled_at > due_at:
            return Outcome.MISSED
        return Outcome.CANCELLED
    if state == PromiseState.RESCHEDULED:
        too_late = rescheduled_at is not None and rescheduled_at > due_at
        if too_late or customer_told is False:
            return Outcome.MISSED
        return Outcome.RESCHEDULED
    if state == PromiseState.KEPT:
        # A kept promise without a kept time can't be shown late: count it as kept on time
        # rather than invent a lateness (every keep records kept_at today).
        if kept_at is not None and remind_at is not None and kept_at < remind_at:
            return Outcome.KEPT_EARLY
        if kept_at is None or kept_at <= due_at:
            return Outcome.KEPT_ON_TIME
        return Outcome.KEPT_LATE
    if state == PromiseState.OPEN and due_at < now:
        return Outcome.MISSED
    return None


class PromiseLike(Protocol):
    """What outcome() reads of a promise (a Promise, or a row holding the same columns)."""

    state: str
    due_at: datetime
    kept_at: datetime | None
    remind_at: datetime
    rescheduled_at: datetime | None
    customer_told: bool | None
    cancelled_at: datetime | None


def outcome_of(promise: PromiseLike, now: datetime) -> Outcome | None:
    """outcome() of a whole promise."""
    return outcome(
        promise.state,
        promise.due_at,
        promise.kept_at,
        now,
        promise.remind_at,
        promise.rescheduled_at,
        promise.customer_told,
        promise.cancelled_at,
    )


# The words for each outcome, as every view shows them. The export keeps the enum's values
# (kept_early, kept_on_time, …): a kept-early promise is kept on time, and counted so.
WORDS = {
    Outcome.KEPT_EARLY: "kept early",
    Outcome.KEPT_ON_TIME: "kept on time",
    Outcome.KEPT_LATE: "kept late",
    Outcome.MISSED: "missed",
    Outcome.RESCHEDULED: "rescheduled",
    Outcome.CANCELLED: "cancelled",
}
STILL_OPEN = "still open"
RATE = "on-time rate"


@dataclass(frozen=True)
class Tally:
    """How many promises ended each way. `on_time` counts every promise kept by its due time,
    the early ones included; `early` says how many of them were kept before the reminder."""

    on_time: int = 0
    late: int = 0
    missed: int = 0
    rescheduled: int = 0
    early: int = 0
    cancelled: int = 0

    @property
    def counted(self) -> int:
        """The promises the rate is over: rescheduled and cancelled ones are not among them."""
        return self.on_time + self.late + self.missed

    @property
    def percent(self) -> int | None:
        """The on-time rate, in whole percent rounded down (so 100% means every one), or None
        when nothing counted: 0 of 0 is not 0%."""
        if self.counted == 0:
            return None
        return self.on_time * 100 // self.counted

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            on_time=self.on_time + other.on_time,
            late=self.late + other.late,
            missed=self.missed + other.missed,
            rescheduled=self.rescheduled + other.rescheduled,
            early=self.early + other.early,
            cancelled=self.cancelled + other.cancelled,
        )


def tally_of(counts: dict[Outcome, int]) -> Tally:
    """A Tally from counts per outcome: kept early ones are kept on time too."""
    early = counts.get(Outcome.KEPT_EARLY, 0)
    return Tally(
        on_time=early + counts.get(Outcome.KEPT_ON_TIME, 0),
        early=early,
        late=counts.get(Outcome.KEPT_LATE, 0),
        missed=counts.get(Outcome.MISSED, 0),
        rescheduled=counts.get(Outcome.RESCHEDULED, 0),
        cancelled=counts.get(Outcome.CANCELLED, 0),
    )


def summary(counts: Tally) -> str:
    """The one line every view shows for a set of promises, e.g. "8 of 10 kept on time (80%),
    3 of them early · 1 kept late · 1 missed · 2 rescheduled · 1 cancelled"."""
    apart = f" · {counts.rescheduled} {WORDS[Outcome.RESCHEDULED]}" if counts.rescheduled else ""
    apart += f" · {counts.cancelled} {WORDS[Outcome.CANCELLED]}" if counts.cancelled else ""
    if counts.percent is None:
        return f"no promises were due{apart}"
    early = f", {counts.early} of them early" if counts.early else ""
    return (
        f"{counts.on_time} of {counts.counted} {WORDS[Outcome.KEPT_ON_TIME]} ({counts.percent}%){early}"
        f" · {counts.late} {WORDS[Outcome.KEPT_LATE]} · {counts.missed} {WORDS[Outcome.MISSED]}{apart}"
    )


# README → Glossary lists these, word for word (tests/test_vocabulary.py checks).
GLOSSARY = (
    WORDS[Outcome.KEPT_ON_TIME],
    WORDS[Outcome.KEPT_EARLY],
    WORDS[Outcome.KEPT_LATE],
    WORDS[Outcome.MISSED],
    WORDS[Outcome.RESCHEDULED],
    WORDS[Outcome.CANCELLED],
    STILL_OPEN,
    RATE,
)

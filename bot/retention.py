"""How long what the bot no longer needs is kept (RETENTION, UNINSTALL_GRACE).

    RETENTION=history:90d,payloads:7d       the defaults; either part may be left out
    RETENTION=history:forever               nothing handled is ever deleted (payloads still go)

- history: handled Slack events, sent and called-off notifications of closed cases and ended
  promises, and expired OAuth states are deleted this long after they were done with.
- payloads: what Slack sent with an event (the message text, who wrote it) is cleared this long
  after it arrived, and the keys of requests acted on (which may hold a command's words) are
  forgotten after it too. Kept a while so an operator can look into what just happened.
- uninstall grace: a workspace that removed the app loses its tokens at once and its data (cases,
  contacts, promises, messages, people, channels) this long after, unless it installs again
  meanwhile (a removal by mistake loses nothing).

Plain values: the purge itself is bot/flows/housekeeping.py and storage/retention.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot import durations

# A form can be submitted again for as long as Slack keeps its view: up to a day. The request
# keys that make a repeat change nothing must outlive that, and so must the payloads they sit
# beside; history is never kept shorter than what it outlives.
SHORTEST = timedelta(days=1)
FOREVER = "forever"
FORM = "history:90d,payloads:7d (each a duration like 30d or 12w, or forever)"


@dataclass(frozen=True)
class Retention:
    # None: kept forever.
    history: timedelta | None = timedelta(days=90)
    payloads: timedelta | None = timedelta(days=7)
    uninstall_grace: timedelta = timedelta(days=30)


class RetentionError(ValueError):
    """str(e) says what is wrong with the value, in one line."""


def parse(text: str) -> tuple[timedelta | None, timedelta | None]:
    """'history:90d,payloads:7d' -> (history, payloads); a part left out keeps its default."""
    default = Retention()
    found: dict[str, timedelta | None] = {}
    for part in (p.strip() for p in text.split(",")):
        name, colon, value = (s.strip() for s in part.partition(":"))
        if not colon or name.lower() not in ("history", "payloads"):
            raise RetentionError(f"{part!r} is not history:… or payloads:…")
        name = name.lower()
        if name in found:
            raise RetentionError(f"{name} is given twice")
        found[name] = _length(name, value)
    return found.get("history", default.history), found.get("payloads", default.payloads)


def _length(name: str, value: str) -> timedelta | None:
    if value.lower() == FOREVER:
        return None
    try:
        length = durations.parse(value)
    except ValueError:
        raise RetentionError(f"{name}:{value} is not a duration") from None
    if length < SHORTEST:
        raise RetentionError(
            f"{name}:{value} is too short: keep at least 1d (a form can be submitted again for a day)"
        )
    return length

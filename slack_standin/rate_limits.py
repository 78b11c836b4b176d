"""Slack's rate limits as token buckets. The Web API stand-in holds the bot to them only when
asked (FakeSlackAPI.enforce_rate_limits); bench/ uses them to compute the best any sender could
do under the same limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_standin.records import dm_id


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `per_minute` calls a minute on average, up to `burst` at once.
    `scope` says what one bucket counts: every call of the method in a workspace, or only
    those to one channel."""

    per_minute: float
    burst: int
    scope: str = "workspace"  # or "channel"

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


# Slack documents a floor for each tier and no exact number ("20+ per minute"), nor any burst
# size: the floors are what we hold the bot to, and the bursts are our guess at "occasional",
# "sporadic" and "generous". Sources (2025): docs.slack.dev/apis/web-api/rate-limits —
# "applied on a per API method per workspace per app basis"; Tier 2 20+/min, Tier 3 50+/min,
# Tier 4 100+/min; "chat.postMessage generally allows posting one message per second per
# channel, while also maintaining a workspace-wide limit", "short bursts >1 allowed" — and
# docs.slack.dev/reference/methods/chat.postMessage: that workspace limit is "several hundred
# messages per minute", with "generous burst behavior"; we take 600. Each method's tier is on
# its reference page. A method not listed here is never limited.
TIER_2 = RateLimit(per_minute=20, burst=5)
TIER_3 = RateLimit(per_minute=50, burst=10)
TIER_4 = RateLimit(per_minute=100, burst=20)
SLACK_RATE_LIMITS: dict[str, tuple[RateLimit, ...]] = {
    "chat.postMessage": (
        RateLimit(per_minute=60, burst=3, scope="channel"),
        RateLimit(per_minute=600, burst=30),
    ),
    "chat.update": (TIER_3,),
    "chat.delete": (TIER_3,),
    "chat.postEphemeral": (TIER_4,),
    "reactions.add": (TIER_3,),
    "conversations.open": (TIER_3,),
    "conversations.join": (TIER_3,),
    "conversations.history": (TIER_3,),
    "conversations.replies": (TIER_3,),
    "users.info": (TIER_4,),
    "views.open": (TIER_4,),
    "views.push": (TIER_4,),
    "views.update": (TIER_4,),
    "views.publish": (TIER_4,),
}


class TokenBucket:
    """One limit's bucket, full at first. Time is whatever clock the caller uses, in seconds,
    and never goes backwards."""

    def __init__(self, limit: RateLimit, now: float):
        self.limit = limit
        self.tokens = float(limit.burst)
        self.at = now

    def _level(self, now: float) -> float:
        return min(float(self.limit.burst), self.tokens + max(0.0, now - self.at) * self.limit.per_second)

    def ready_at(self, now: float) -> float:
        """The earliest moment (not before `now`) a call would be let through."""
        level = self._level(now)
        # A hair under 1 is float noise from refilling to exactly the moment computed here.
        if level >= 1 - 1e-9:
            return now
        return now + (1 - level) / self.limit.per_second

    def take(self, now: float) -> None:
        self.tokens, self.at = self._level(now) - 1, max(self.at, now)


class RateLimiter:
    """Slack's limits over a stream of calls: `wait` says how long a call must wait (0: it
    goes through, and counts). A refused call does not count, as at Slack."""

    def __init__(self, limits: dict[str, tuple[RateLimit, ...]] | None = None):
        self.limits = SLACK_RATE_LIMITS if limits is None else limits
        self._buckets: dict[tuple[str, str, str, int], TokenBucket] = {}

    def buckets(self, method: str, team: str, channel: str | None, now: float) -> list[TokenBucket]:
        found = []
        for number, limit in enumerate(self.limits.get(method, ())):
            where = (channel or "") if limit.scope == "channel" else ""
            key = (method, team, where, number)
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(limit, now)
            found.append(self._buckets[key])
        return found

    def ready_at(self, method: str, team: str, channel: str | None, now: float) -> float:
        return max([now] + [b.ready_at(now) for b in self.buckets(method, team, channel, now)])

    def take(self, method: str, team: str, channel: str | None, now: float) -> None:
        for bucket in self.buckets(method, team, channel, now):
            bucket.take(now)

    def wait(self, method: str, team: str, channel: str | None, now: float) -> float:
        ready = self.ready_at(method, team, channel, now)
        if ready > now:
            return ready - now
        self.take(method, team, channel, now)
        return 0.0


def rate_limit_channel(channel: Any) -> str | None:
    """The conversation a per-channel limit counts: a user id posts into the app's DM."""
    if not channel or not isinstance(channel, str):
        return None
    return dm_id(channel) if channel.startswith(("U", "W")) else channel

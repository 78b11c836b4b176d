"""FakeSlackAPI misbehaving on purpose: errors, slowness, a dropped network, and Slack's rate
limits when asked."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from slack_standin.rate_limits import RateLimit, RateLimiter, rate_limit_channel
from slack_standin.web_api.http import Handler, reset_connection, send_json
from slack_standin.web_api.state import Fault, Hold, StandinState


class FaultsMixin(StandinState):
    """Fault injection and rate limits, part of FakeSlackAPI."""

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        until: float | None = None,
        only: dict[str, Any] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for all) fail; None = until cleared.
        `only`: just the calls with these parameters, e.g. {"channel": "UAGENT"}."""
        with self._lock:
            self._faults.append(Fault(method, status, error, retry_after, times, until, only))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, method: str, seconds: float) -> None:
        with self._lock:
            self._delays[method] = seconds

    def delay_answer(self, method: str, seconds: float) -> None:
        """Do the work of `method` at once but answer only after `seconds`: Slack has the
        message while the caller is still waiting (a crash then leaves it unrecorded)."""
        with self._lock:
            self._answer_delays[method] = seconds

    def hold(self, method: str, *, only: dict[str, Any] | None = None) -> Hold:
        """Park every call of `method` ("*" for all; `only`: just those with these parameters)
        until the Hold returned is released: while one conversation's send hangs, a test can
        see what else reaches Slack, and which calls wait at the same moment."""
        hold = Hold(method, only)
        with self._lock:
            self._holds.append(hold)
        return hold

    def clear_delays(self) -> None:
        with self._lock:
            self._delays.clear()
            self._answer_delays.clear()

    def enforce_rate_limits(
        self,
        limits: dict[str, tuple[RateLimit, ...]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """From now on answer a call over its limit (SLACK_RATE_LIMITS unless given) as Slack
        does: HTTP 429, `ratelimited`, and Retry-After in whole seconds. `clock` lets a test
        move time by hand."""
        with self._lock:
            self._limiter = RateLimiter(limits)
            self._limit_clock = clock

    def stop_rate_limits(self) -> None:
        with self._lock:
            self._limiter = None

    def go_down(self) -> None:
        """Drop every /api/ connection without answering, as a network failure would."""
        with self._lock:
            self._down = True

    def come_back(self) -> None:
        with self._lock:
            self._down = False

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            now = time.time()
            self._faults = [f for f in self._faults if f.until is None or now < f.until]
            for fault in self._faults:
                if fault.only and any(params.get(k) != v for k, v in fault.only.items()):
                    continue
                if fault.method in (method, "*"):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _over_limit(self, method: str, params: dict[str, Any], token: str | None) -> int | None:
        """Whole seconds to wait when this call is over its rate limit, else None (and the call
        counts against it)."""
        with self._lock:
            limiter = self._limiter
            if limiter is None or not token:
                return None
            team = self.team_of(token) or self.team_id
            wait = limiter.wait(method, team, rate_limit_channel(params.get("channel")), self._limit_clock())
        return max(1, math.ceil(wait)) if wait > 0 else None

    def _answered_by_fault(
        self, request: Handler, method: str, params: dict[str, Any], token: str | None, arrived: float
    ) -> bool:
        """Drop the connection, pause, answer an injected fault or a rate limit, as the test
        asked; True when the call got its answer here and goes no further."""
        with self._lock:
            down = self._down
            pause = self._delays.get(method, self._delays.get("*", 0.0))
            holds = [hold for hold in self._holds if hold.matches(method, params)]
        if down:
            self._record(method, params, arrived, 0, "connection_reset")
            reset_connection(request)
            return True
        if pause:
            time.sleep(pause)
        for hold in holds:
            hold.park(params)

        fault = self._take_fault(method, params)
        if fault is not None:
            self._answer_fault(request, method, params, arrived, fault)
            return True
        retry_after = self._over_limit(method, params, token)
        if retry_after is not None:
            self._record(method, params, arrived, 429, "ratelimited", token=token)
            send_json(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
            return True
        return False

    def _answer_fault(
        self, request: Handler, method: str, params: dict[str, Any], arrived: float, fault: Fault
    ) -> None:
        if fault.status == 429:
            retry_after = fault.retry_after or 1
            self._record(method, params, arrived, 429, "ratelimited")
            send_json(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        elif fault.status == 200 and fault.error:
            self._record(method, params, arrived, 200, fault.error)
            send_json(request, 200, {"ok": False, "error": fault.error})
        else:
            error = fault.error or "internal_error"
            self._record(method, params, arrived, fault.status, error)
            send_json(request, fault.status, {"ok": False, "error": error})

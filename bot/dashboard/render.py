"""Pages from templates (bot/dashboard/templates): Jinja2 with autoescaping, so everything
people typed shows as text; SVG charts come in marked safe (bot/dashboard/charts.py escapes their
labels itself). Every time is shown in the viewer's own zone, every person by name and picture."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot import durations
from bot.team import Profile

_ENV = Environment(
    loader=PackageLoader("bot.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def is_user_id(value: str) -> bool:
    return bool(_USER_ID.fullmatch(value))


@dataclass(frozen=True)
class Looks:
    """How this viewer sees times and people."""

    zone: ZoneInfo
    now: datetime
    people: Mapping[str, Profile]
    viewer_id: str | None = None

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        today = self.now.astimezone(self.zone).date()
        if local.date() == today:
            return f"today {local:%H:%M}"
        if local.year == today.year:
            return f"{local:%a %-d %b, %H:%M}"
        return f"{local:%a %-d %b %Y, %H:%M}"

    def iso(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="minutes") if moment is not None else ""

    def day(self, moment: Any) -> str:
        return f"{moment:%-d %b}"

    def person(self, user_id: str | None, *, picture: bool = True) -> Markup:
        if not user_id:
            return Markup('<span class="person bot">casekeeper</span>')
        if user_id.startswith(("C", "G")):
            # An escalation's last level: a channel (ESCALATION_CHANNEL, or the case's own).
            return Markup('<span class="person channel">a channel ({})</span>').format(user_id)
        profile = self.people.get(user_id) or Profile(user_id, None, None, None)
        label = profile.label + (" (you)" if user_id == self.viewer_id else "")
        image = ""
        if picture and profile.avatar_url:
            image = Markup('<img class="avatar" src="{}" alt="" width="24" height="24">').format(
                profile.avatar_url
            )
        elif picture:
            initial = (profile.name or "?")[:1].upper()
            image = Markup('<span class="avatar initial" aria-hidden="true">{}</span>').format(initial)
        return Markup('<span class="person">{}<span class="name">{}</span></span>').format(image, label)

    def value(self, value: object) -> str:
        """A value from an audit entry's details: a person by name, anything else as text."""
        if isinstance(value, str) and is_user_id(value):
            return self.name(value)
        return str(value)

    def name(self, user_id: str | None) -> str:
        if not user_id:
            return "casekeeper"
        profile = self.people.get(user_id)
        return profile.label if profile is not None else f"someone ({user_id})"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    return durations.short(value)


def page(template: str, looks: Looks | None, **values: Any) -> bytes:
    html = _ENV.get_template(template).render(looks=looks, duration=duration, Markup=Markup, **values)
    return html.encode("utf-8")

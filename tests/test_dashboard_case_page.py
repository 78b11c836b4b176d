"""The dashboard's case page tells a case's whole story, read over HTTP with a session as a
browser holds it: a contact and its earlier wording, an internal note, a promise rescheduled
with the customer told, one called off, one missed and escalated and who acknowledged it, the
hand-over, and the audit trail; every person by name and every time in the reader's zone."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from datetime import timedelta

from handlers.ids import ActionId
from tests.test_dashboard import dashboard_link


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def signed_in(person, bot) -> str:
    """The session cookie a browser gets for `person`'s link."""
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(dashboard_link(person)).query)["token"][0]
    form = urllib.parse.urlencode({"token": token}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(f"{bot.url}/dashboard/sign-in", data=form))
    except urllib.error.HTTPError as answer:
        assert answer.code == 303, answer.code
        cookie = answer.headers["Set-Cookie"]
        return re.match(r"casekeeper_session=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
    raise AssertionError("signing in did not redirect to the team page")


def page(bot, path: str, session: str) -> str:
    request = urllib.request.Request(bot.url + path, headers={"Cookie": f"casekeeper_session={session}"})
    with urllib.request.urlopen(request) as answer:
        return answer.read().decode()


def test_the_case_page_holds_every_kind_of_moment(agent, manager, other, slack, bot, clock):
    agent.names_manager("UMGR")
    # The case is handed over within the team: it stays on maria's dashboard.
    other.names_manager("UMGR")
    case = agent.open_case("Acme Corp: parcel lost")
    agent.reply(case, "Called Dana: parcel not delivered")
    first_ts = agent.client.last_ts
    agent.client.edit_reply(
        channel=case.channel,
        ts=first_ts,
        thread_ts=case.card_ts,
        new_text="Called Dana: parcel lost by the courier",
        old_text="Called Dana: parcel not delivered",
    )
    bot.settle()
    agent.reply(case, "note: courier claim form sent")
    agent.command(f"promise {case.ref} in 1 hour: email the refund form")
    asked = agent.command(f"cancel {case.ref} Dana will collect in store instead")
    agent.click(asked.responses[-1], ActionId.CANCEL_TOLD.value)
    agent.command(f"promise {case.ref} in 2 hours: send the claim number")
    asked = agent.command(f"reschedule {case.ref} in 5 hours: courier is slow, Dana agreed")
    agent.click(asked.responses[-1], ActionId.RESCHEDULE_TOLD.value)
    clock.advance(hours=5, minutes=1)
    bot.tick()
    bot.tick()
    (escalation,) = [m for m in manager.dms() if case.ref in m.all_text()]
    manager.click(escalation, ActionId.ESCALATION_ACKNOWLEDGE.value)
    agent.command(f"reassign {case.ref} <@UOTHER>")

    html = page(bot, f"/dashboard/cases/{case.case_id}", signed_in(manager, bot))
    text = re.sub(r"<[^>]+>", " ", html)
    text = " ".join(text.replace("&#34;", '"').replace("&#39;", "'").split())
    assert "Called Dana: parcel lost by the courier" in text
    assert "Earlier wording" in text and "Called Dana: parcel not delivered" in text
    assert "(internal note)" in text and "courier claim form sent" in text
    assert "gave “send the claim number” a new time" in text and "customer told" in text
    assert "called off “email the refund form”" in text and "Dana will collect in store instead" in text
    assert "escalated (level 1) to" in text and "maria (you)" in text
    assert "acknowledged the escalation" in text
    assert "handed the case over" in text and "olga" in text
    assert "Audit trail" in text and "case.reassigned" in text
    # No bare ids, and times on the reader's clock (maria: Europe/Berlin).
    assert "UAGENT" not in text.replace("someone (UAGENT)", "")
    berlin = (clock.now() + timedelta(hours=1)).strftime("%H:%M")
    assert f"today {berlin}" in text or berlin in text

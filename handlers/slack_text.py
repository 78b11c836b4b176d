"""Text people type, both ways through Slack (api.slack.com → Formatting text → Escaping).

In: Slack sends what someone typed in a slash command or a message escaped (`&` as `&amp;`,
`<` as `&lt;`, `>` as `&gt;`), with what they picked as tokens: `<@U123|alex>` for a person,
`<#C123|support>` for a channel, `<!here>` for a broadcast, `<https://…|label>` for a link.
`typed` turns that back into what the person typed and saw, keeping only people's tokens (the
commands that name someone read their id from them); `as_text` turns those into `@alex` too.
(Once decoded, a person's token typed out by hand, `<@U1>`, can't be told from one picked from
the menu: it reads `@U1` either way, as text.)
The domain stores plain text: a customer named "Acme & Sons" is stored as that, whether it came
from a command, a message or a form (forms send plain text already).

Out: every mrkdwn text the bot sends (sections, contexts, fields, confirm texts, the `text`
fallback) shows someone's text through `escape`: only those three characters, as Slack asks,
so a customer name cannot become a link, a mention or a broadcast. plain_text objects (headers,
buttons, modal titles, input values) are never parsed by Slack and take text as it is."""

from __future__ import annotations

import re

from bot.validation import escaped

# A token as Slack writes one: a person (@), a channel (#), a special (!: broadcasts, user
# groups, dates) or a link (a URL scheme); nothing else in angle brackets is one.
_TOKEN = re.compile(r"<((?:[@#!]|[A-Za-z][A-Za-z0-9+.-]*:)[^<>]*)>")
_BROADCASTS = ("here", "channel", "everyone")
_PERSON = re.compile(r"^@([UW][A-Z0-9]+)(?:\|(.*))?$", re.S)


def escape(text: str | None) -> str:
    """Someone's text, to show as text in mrkdwn."""
    return escaped(text or "")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def typed(wire: str) -> str:
    """What the person typed, from the text Slack sent: tokens as the words they show, entities
    decoded, except that a person picked with @ stays a `<@U…|name>` token (see `as_text`)."""
    return unescape(_TOKEN.sub(_readable, wire or ""))


def as_text(text: str) -> str:
    """`typed` text with the people picked in it as words too: `<@U123|alex>` → `@alex`."""
    return _TOKEN.sub(lambda m: _person(m.group(1)) or m.group(0), text or "")


def _person(inside: str) -> str | None:
    person = _PERSON.match(inside)
    if person is None:
        return None
    return "@" + (person.group(2) or person.group(1))


def _readable(match: re.Match[str]) -> str:
    inside = match.group(1)
    if _PERSON.match(inside):
        return match.group(0)
    target, _, label = inside.partition("|")
    if target.startswith("#"):
        # <#C123|support>: the channel's name, or its id when Slack gave none.
        return "#" + (label or target[1:])
    if target.startswith("!"):
        # <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>: what Slack shows.
        name = target[1:].split("^")[0]
        if name in _BROADCASTS or not label:
            return "@" + name
        return label
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target

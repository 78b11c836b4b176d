"""How each `/case` command is written: shown by `/case help` and in every refusal that says
how to write it right (handlers/parse.py), so the two never disagree."""

from __future__ import annotations

from handlers.slack_text import escape

USAGE = {
    "open": "`/case open <customer>: <summary>`, for example `/case open Acme Corp: refund not received`",
    "promise": "`/case promise CASE-7 <when>: <what>`,"
    " for example `/case promise CASE-7 tomorrow 3pm: call back`",
    "done": "`/case done CASE-7`",
    "cancel": "`/case cancel CASE-7 <why>`,"
    " for example `/case cancel CASE-7 the customer got a refund instead`",
    "reschedule": "`/case reschedule CASE-7 <when>: <what you told the customer>`,"
    " for example `/case reschedule CASE-7 friday 10am: courier delayed`",
    "edit": "`/case edit CASE-7`",
    "reopen": "`/case reopen CASE-7 [why]`",
    "show": "`/case show CASE-7`",
    "manager": "`/case manager @maria`",
    "team": "`/case team @alex manager @maria`",
    "close": "`/case close CASE-7 [note]`",
    "reassign": "`/case reassign CASE-7 @sam`",
    "list": "`/case list`",
    "hours": "`/case hours mon-fri 09:00-17:00`",
    "tz": "`/case tz CASE-7 Europe/Berlin`",
    "report": "`/case report [7d|30d|2 weeks|since monday]`",
    "digest": "`/case digest fri 16:30`",
    "find": "`/case find <customer, number or words>`",
    "dashboard": "`/case dashboard`",
    "help": "`/case help`",
}
# Shown inside mrkdwn replies: escaped once here (slack_text.escape), or Slack would read
# `<customer>` as a link and show nothing of it.
USAGE = {verb: escape(usage) for verb, usage in USAGE.items()}

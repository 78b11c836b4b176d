"""The outbox engine: the dispatcher claims due notification rows with a lease and hands them to
lanes.py, which sends them side by side, one lane per conversation, through a sender
(handlers/outbound/); recording.py records each outcome fenced by its claim and keeps the rules
for Slack failing (pause.py); after downtime, catch_up.py gathers one person's missed rows into
one summary. What a row says and whether it should go is not decided here: that is the
domain's (bot/notifications.py, bot/escalation.py) and the sender's."""

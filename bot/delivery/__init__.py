"""The outbox engine: the dispatcher claims due notification rows with a lease, asks a sender
(handlers/outbound/) to deliver each, and records the outcome fenced by its claim; after
downtime, catch_up.py gathers one person's missed rows into one summary. What a row says and
whether it should go is not decided here: that is the domain's (bot/notifications.py,
bot/escalation.py) and the sender's."""

"""Block Kit for everything the bot says, each message with a plain-text fallback. Built on one
set of primitives (blocks.py); one module per subject (the card, promises, notices, replies,
modals, the App Home, reports). Pure functions of models and plain values: no Slack calls, no
database."""

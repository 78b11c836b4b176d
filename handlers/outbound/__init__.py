"""The Slack side of sending: the sender the dispatcher hands each outbox row to (sender.py,
catch_up.py), posting without duplicates (posting.py), what Slack errors mean (slack_errors.py),
and the people directory (people.py)."""

"""Operator tools run from a shell on the server, never by Slack: `python -m bot report` and
`python -m bot export`. They read the database the bot uses and never talk to Slack."""

"""Operator tools run from a shell on the server, never by Slack: `python -m bot report`,
`python -m bot export` and `python -m bot team`. They read (the team import also writes) the
database the bot uses and never talk to Slack."""

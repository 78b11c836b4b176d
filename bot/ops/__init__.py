"""Operator tools run from a shell on the server, never by Slack: `python -m bot report`,
`python -m bot export`, `python -m bot team` and `python -m bot dead`. They read (the team import
and dead retry/drop also write) the database the bot uses and never talk to Slack."""

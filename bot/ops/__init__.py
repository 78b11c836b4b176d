"""Operator tools run from a shell on the server, never by Slack: `python -m bot report`,
`python -m bot export`, `python -m bot team`, `python -m bot dead`, `python -m bot keys` and
`python -m bot copy-db`. They read (the team import, dead retry/drop and keys rotate also write;
copy-db writes another database) the database the bot uses and never talk to Slack."""

"""Operator tools run from a shell on the server, never by Slack: `python -m bot report`,
`python -m bot export`, `python -m bot team` and `python -m bot copy-db`. They read (the team
import also writes; copy-db writes another database) the database the bot uses and never talk
to Slack."""

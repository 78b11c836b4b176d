"""Errors the domain raises for people to read."""


class CaseError(Exception):
    """A problem the user can fix; str(e) is shown to them as is, ephemerally. It is Slack
    mrkdwn (it may name people as `<@U…>`): anything someone typed goes in through
    bot.validation.quoted or escaped, so it shows as text."""

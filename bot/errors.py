"""Errors the domain raises for people to read."""


class CaseError(Exception):
    """A problem the user can fix; str(e) is shown to them as is, ephemerally."""

"""The link `/case dashboard` answers with: the dashboard's address on this server, and the
reply that carries it (only to the person who asked, since the link signs in as them).

Where browsers reach us: PUBLIC_URL when set; else the address Slack's own request came to (its
Host header, as a proxy in front passes it on: X-Forwarded-Host / -Proto), which is the Request
URL the app was set up with, so a newcomer's dashboard works with nothing more to configure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handlers.views.blocks import Message, context, message, section

# Loopback addresses are served over plain HTTP (a local try-out, the tests' Slack stand-in);
# Slack itself only ever posts to https:// Request URLs, so anything else arrived through TLS
# ended by a proxy.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def site_address(headers: Mapping[str, Sequence[str]], configured: str | None) -> str | None:
    """The dashboard's base address (no trailing slash), or None when there is no telling."""
    if configured:
        return configured

    def header(name: str) -> str | None:
        values = headers.get(name) or ()
        first = values[0] if values else ""
        # A proxy chain lists the original first.
        return first.split(",")[0].strip() or None

    host = header("x-forwarded-host") or header("host")
    if host is None:
        return None
    scheme = header("x-forwarded-proto")
    if scheme not in ("http", "https"):
        scheme = "http" if host.rsplit(":", 1)[0] in LOCAL_HOSTS else "https"
    return f"{scheme}://{host}"


def link_reply(address: str, token: str) -> Message:
    url = f"{address}/dashboard/sign-in?token={token}"
    text = f"Your dashboard: <{url}|open it in your browser>. The link is yours alone: once, for 10 minutes."
    return message(
        text,
        [
            section(f":bar_chart: *Your dashboard*: <{url}|open it in your browser>"),
            context(
                "This link signs in as you: don't share it. It works once, within 10 minutes;"
                " `/case dashboard` again gives a new one."
            ),
        ],
    )


NO_ADDRESS = (
    "I can't tell the address browsers reach me at. Ask whoever runs casekeeper to set PUBLIC_URL"
    " (README → Dashboard)."
)

"""What goes over the wire to the bot: Slack's request signature, and the bot's reply."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from email.message import Message as HeaderMessage
from typing import Any


def sign(signing_secret: str, body: bytes, timestamp: int) -> str:
    """Slack's request signature: v0= + hex HMAC-SHA256 over "v0:<timestamp>:<body>"."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    json: dict[str, Any] | None
    headers: HeaderMessage
    elapsed: float

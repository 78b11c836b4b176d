"""Log lines are events with fields: `log.info("notification.sent id=%s kind=%s", ...)`.
LOG_FORMAT=json gives one JSON object per line, the fields as keys, so a log pipeline can
filter on them. In either format, Slack tokens and the signing secret are masked: an
exception message or a library's log line must never put a credential in the logs."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

# Slack token shapes: bot/user/app-level/refresh/config tokens (api.slack.com/authentication/token-types).
# Not preceded by a letter (so "Bearer%20xoxb-…" and "_xoxb-…" are caught too).
_TOKEN = re.compile(r"(?<![A-Za-z])(xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]+")
_FIELD = re.compile(r"(\w+)=%[sdrf]")


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()):
        # Shorter values would mask ordinary words everywhere; a secret that short is no secret.
        values = {s for s in secrets if s and len(s) >= 4}
        # As they may appear in a URL or a JSON string, too.
        values |= {quote(s, safe="") for s in values} | {json.dumps(s)[1:-1] for s in values}
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[secret]")
        return _TOKEN.sub(lambda m: m.group(1) + "-[redacted]", text)


def event_fields(record: logging.LogRecord) -> tuple[str, dict[str, object]]:
    """('notification.sent', {'id': 7, 'kind': 'reminder'}) from our `event key=%s` style;
    anything else (a library's message) is the event as it stands."""
    template = record.msg if isinstance(record.msg, str) else str(record.msg)
    args = record.args if isinstance(record.args, tuple) else ()
    keys = _FIELD.findall(template)
    head = template.split(" ", 1)[0]
    if keys and len(keys) == len(args) and template.count("%") == len(args) and "=" not in head:
        fields = {key: _plain(value) for key, value in zip(keys, args, strict=True)}
        return head, fields
    return record.getMessage(), {}


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    RESERVED = ("at", "level", "logger", "event", "error")

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        event, fields = event_fields(record)
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self.redact(event),
        }
        for key, value in fields.items():
            entry[f"field_{key}" if key in self.RESERVED else key] = (
                self.redact(value) if isinstance(value, str) else value
            )
        if record.exc_info:
            entry["error"] = self.redact(self.formatException(record.exc_info))
        # Again on the serialised line: a secret JSON-escaped is masked too.
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(
    log_format: str = "text", level: int = logging.INFO, secrets: Iterable[str | None] = ()
) -> None:
    redact = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if log_format == "json" else TextFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request headers and bodies at DEBUG; keep it at INFO regardless.
    logging.getLogger("slack_sdk").setLevel(logging.INFO)
    logging.getLogger("slack_bolt").setLevel(logging.INFO)
    # Python warnings and exceptions escaping a thread go through the same handler (masked,
    # and one JSON line each) instead of raw to stderr.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    # A dozen "setup plugin" lines on every start say nothing; migrations themselves still log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("bot").error(
        "thread.crashed thread=%s", thread, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )

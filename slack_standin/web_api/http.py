"""The HTTP end of the Web API stand-in: a threaded server on 127.0.0.1, Web API arguments read
the ways Slack accepts them (query string, form or JSON body, JSON inside form fields), and
answers, or a dropped connection."""

from __future__ import annotations

import base64
import json
import socket
import struct
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI

# Form-encoded Web API arguments that Slack documents as "JSON, URL-encoded as a string".
_JSON_ARGUMENTS = frozenset({"blocks", "attachments", "metadata", "view", "unfurls"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a storm of calls from the bot (a new connection per
    # call) overflowed it and the kernel dropped connections, which Slack never does.
    request_queue_size = 128
    api: FakeSlackAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, retry) mid-answer is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is inherited
        # The tests and the demo print what matters themselves; per-request lines are noise.
        pass

    def do_GET(self) -> None:
        self.server.api._handle(self)

    def do_POST(self) -> None:
        self.server.api._handle(self)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """HTTP Basic credentials (how slack_sdk sends client_id:client_secret to oauth.v2.access)."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def parse_params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Web API arguments from the query string and a form or JSON body, as one dict."""
    params: dict[str, Any] = _form(query)
    if raw:
        if "application/json" in content_type.lower():
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
        else:
            params.update(_form(raw.decode("utf-8")))
    for key in _JSON_ARGUMENTS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, list | dict):
                params[key] = decoded
    return params


def _form(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def send(
    request: Handler, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> None:
    try:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
    except OSError:
        pass  # the client hung up (its own timeout); nothing to tell it


def send_json(
    request: Handler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    send(request, status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8", headers)


def reset_connection(request: Handler) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST, which is what a client sees
    # when a load balancer or the network drops a connection mid-request.
    request.close_connection = True
    try:
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
    except OSError:
        pass

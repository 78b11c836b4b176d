"""The little of HTTP the dashboard needs, over plain WSGI: a request's path, query, form and
cookies, and a response with the headers every page carries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

COOKIE = "casekeeper_session"
# A sign-in form is one token; anything much bigger is not ours.
MAX_FORM_BYTES = 4096

# Every page: no script at all, styles and images from here (and avatars from Slack's servers),
# never framed, forms post only here; no page's address (a sign-in link holds a token) is ever
# sent to another site as a Referer.
SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]


@dataclass
class Request:
    environ: dict[str, Any]

    @property
    def method(self) -> str:
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    @property
    def path(self) -> str:
        return str(self.environ.get("PATH_INFO", ""))

    def query(self, name: str) -> str:
        values = parse_qs(str(self.environ.get("QUERY_STRING", ""))).get(name) or [""]
        return values[0]

    def form(self) -> dict[str, str]:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or "0")
        except ValueError:
            return {}
        if not 0 < length <= MAX_FORM_BYTES:
            return {}
        body = self.environ["wsgi.input"].read(length).decode("utf-8", "replace")
        return {name: values[0] for name, values in parse_qs(body).items()}

    def cookie(self, name: str = COOKIE) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(str(self.environ.get("HTTP_COOKIE", "")))
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel is not None and morsel.value else None

    def header(self, name: str) -> str | None:
        value = self.environ.get("HTTP_" + name.upper().replace("-", "_"))
        return str(value).split(",")[0].strip() if value else None

    @property
    def secure(self) -> bool:
        """Reached over HTTPS, here or at a proxy in front that says so."""
        return self.environ.get("wsgi.url_scheme") == "https" or self.header("X-Forwarded-Proto") == "https"

    def origin(self) -> str:
        host = self.header("X-Forwarded-Host") or self.header("Host") or ""
        return f"{'https' if self.secure else 'http'}://{host}"

    def same_origin_post(self, public_url: str | None) -> bool:
        """A form posted from our own pages, not a forged one on a page elsewhere (which could
        sign someone in as its author). Browsers say where a request comes from: Sec-Fetch-Site,
        else Origin; a client that says neither is no browser, and has no cookie to abuse."""
        site = self.header("Sec-Fetch-Site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = self.header("Origin")
        if origin is None:
            return True
        return origin in {self.origin(), _origin_of(public_url)} - {""}


def _origin_of(url: str | None) -> str:
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass
class Response:
    status: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    def send(self, start_response: Callable[..., Any], method: str) -> Iterable[bytes]:
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            # Pages show what one person may see: no shared cache keeps them, and Back after
            # signing out doesn't show them again.
            ("Cache-Control", "no-store"),
            *SECURITY_HEADERS,
            *self.headers,
        ]
        start_response(self.status, headers)
        return [] if method == "HEAD" else [self.body]


def redirect(location: str, *headers: tuple[str, str]) -> Response:
    return Response("303 See Other", b"", "text/plain", [("Location", location), *headers])


def set_cookie(name: str, value: str, *, path: str, max_age: int, secure: bool) -> tuple[str, str]:
    """Every cookie of the dashboard: never readable by script, not sent with other sites'
    forms, Secure when browsers reach us over HTTPS. Max-Age 0 clears it."""
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return ("Set-Cookie", "; ".join(parts))


def session_cookie(token: str, max_age: int, *, secure: bool) -> tuple[str, str]:
    return set_cookie(COOKIE, token, path="/dashboard", max_age=max_age, secure=secure)


def cleared_cookie(*, secure: bool) -> tuple[str, str]:
    return session_cookie("", 0, secure=secure)

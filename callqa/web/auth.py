"""HTTP Basic authentication for every request (pages, audio, static files) once users exist.

A pure ASGI middleware rather than a route dependency, so nothing mounted later (static
files, new routes) can be reached around it. Checking a password runs scrypt (~50 ms), and a
browser sends Basic credentials with every request, so credentials that passed are remembered
in memory by their SHA-256, never in the clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from callqa.web.users import Users

REALM = "callqa review"
MAX_REMEMBERED = 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BasicAuthMiddleware:
    def __init__(self, app: ASGIApp, users: Users) -> None:
        self.app = app
        self.users = users
        self._passed: dict[bytes, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        user = self._user(dict(scope["headers"]).get(b"authorization"))
        if user is None:
            response = PlainTextResponse(
                "Authentication required: log in with a callqa user (created by `callqa users add NAME`).",
                status_code=401,
                headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    def _user(self, header: bytes | None) -> str | None:
        if not header or not header[:6].lower() == b"basic ":
            return None
        fingerprint = hashlib.sha256(header).digest()
        if fingerprint in self._passed:
            return self._passed[fingerprint]
        try:
            name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not self.users.verify(name, password):
            return None
        if len(self._passed) >= MAX_REMEMBERED:
            self._passed.clear()
        self._passed[fingerprint] = name
        return name

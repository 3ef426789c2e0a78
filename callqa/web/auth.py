"""HTTP Basic authentication and roles for every request (pages, audio, static files) once users exist.

A pure ASGI middleware rather than a route dependency, so nothing mounted later (static
files, new routes) can be reached around it. Checking a password runs scrypt (~50 ms of CPU):
it runs in a worker thread (anyio.to_thread), never on the event loop, so one login does not
stall every other request. A browser sends Basic credentials with every request, so
credentials that passed are remembered in memory by their SHA-256, never in the clear.

Failed logins back off per user name and per client address: after FREE_FAILURES failures,
each further attempt must wait 1, 2, 4 ... up to MAX_DELAY_S seconds (429 with Retry-After),
without any scrypt being spent on it.

Roles (callqa.web.users): safe methods (GET, HEAD) are open to every role; anything that
changes the store (POST and any other method, on any route) needs a role in MAY_DECIDE, else
403. An auditor reads and exports, and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from callqa.web.users import MAY_DECIDE, Users

REALM = "callqa review"
MAX_REMEMBERED = 1024
SAFE_METHODS = frozenset({"GET", "HEAD"})
FREE_FAILURES = 5
MAX_DELAY_S = 900.0
FORGET_AFTER_S = 3600.0
MAX_TRACKED = 10_000


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed-login backoff, keyed by user name and by client address."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, _Failures] = {}

    @staticmethod
    def delay(count: int) -> float:
        return 0.0 if count < FREE_FAILURES else min(2.0 ** (count - FREE_FAILURES), MAX_DELAY_S)

    def retry_after(self, *keys: str) -> float:
        """Seconds to wait before any of these keys may try again (0: may try now)."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            f = self._failures.get(key)
            if f is not None:
                wait = max(wait, f.last + self.delay(f.count) - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        if len(self._failures) >= MAX_TRACKED:
            self._failures = {k: f for k, f in self._failures.items() if now - f.last < FORGET_AFTER_S}
        for key in keys:
            f = self._failures.get(key)
            if f is None or now - f.last > FORGET_AFTER_S:
                f = self._failures[key] = _Failures(0, now)
            f.count += 1
            f.last = now

    def passed(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)


class BasicAuthMiddleware:
    def __init__(self, app: ASGIApp, users: Users, throttle: LoginThrottle | None = None) -> None:
        self.app = app
        self.users = users
        self.throttle = throttle or LoginThrottle()
        self._passed: dict[bytes, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        user, wait = await self._user(dict(scope["headers"]).get(b"authorization"), client)
        if wait > 0:
            response = PlainTextResponse("Too many failed logins: try again later.", status_code=429,
                                         headers={"Retry-After": str(math.ceil(wait))})
            await response(scope, receive, send)
            return
        if user is None:
            response = PlainTextResponse(
                "Authentication required: log in with a callqa user (created by `callqa users add NAME`).",
                status_code=401,
                headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
            await response(scope, receive, send)
            return
        role = self.users.role(user)
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and role not in MAY_DECIDE:
            await PlainTextResponse(f"{user} is an {role}: this role cannot change anything.", status_code=403)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user"] = user
        state["role"] = role
        await self.app(scope, receive, send)

    async def _user(self, header: bytes | None, client: str) -> tuple[str | None, float]:
        """(user, 0) when the credentials pass; (None, 0) when absent or wrong; (None, seconds)
        when this name or client must wait first."""
        if not header or not header[:6].lower() == b"basic ":
            return None, 0.0
        fingerprint = hashlib.sha256(header).digest()
        if fingerprint in self._passed:
            return self._passed[fingerprint], 0.0
        try:
            name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, 0.0
        keys = (f"user:{name}", f"client:{client}")
        wait = self.throttle.retry_after(*keys)
        if wait > 0:
            return None, wait
        # scrypt in a worker thread: the event loop goes on serving other requests meanwhile.
        if not await anyio.to_thread.run_sync(self.users.verify, name, password):
            self.throttle.failed(*keys)
            return None, 0.0
        self.throttle.passed(*keys)
        if len(self._passed) >= MAX_REMEMBERED:
            self._passed.clear()
        self._passed[fingerprint] = name
        return name, 0.0

"""Response headers every answer of the review app carries (pages, audio, static files, and
the 401/403/404 answers of the middlewares), and the Host check against DNS rebinding.

The app serves its own CSS, script and SVG and nothing from anywhere else, so the policy
allows only 'self': no inline script or style, no framing, forms post only to the app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def allowed_hosts(extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Host header values the app answers: loopback names and what the operator configured
    (`callqa serve --allowed-host NAME`). Anything else is a DNS-rebinding page or a wrong name."""
    return [*LOOPBACK_HOSTS, *(h.strip().lower() for h in extra if h.strip())]

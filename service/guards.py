"""Checks made before a request reaches its handler: the API token and the body size.

Both are ASGI middleware rather than FastAPI dependencies on purpose: FastAPI reads and parses the
body before it runs dependencies, so a dependency would answer a bad body with 422 before it
asked for the token, and a huge body would already be in memory when its size was checked.
"""

from __future__ import annotations

import json
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BearerTokenMiddleware", "BodySizeLimitMiddleware"]


async def _answer(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BearerTokenMiddleware:
    """When ``token`` is set, every ``/v1/*`` call needs ``Authorization: Bearer <token>`` (else 401).

    The page (``/``), its static files, ``/healthz`` and the API docs stay open: the page must load
    to ask for the token, and the docs contain no data.
    """

    def __init__(self, app: ASGIApp, token: str | None):
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        auth = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = auth.partition(b" ")
        if scheme.lower() == b"bearer" and secrets.compare_digest(given.strip(), self.token):
            await self.app(scope, receive, send)
            return
        detail = ("this service needs the access token: send the header 'Authorization: Bearer <token>' "
                  "(ask the administrator for the token)") if not auth else \
            "the access token is wrong; check it with the administrator"
        await _answer(send, 401, detail, [(b"www-authenticate", b"Bearer")])


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, by Content-Length up front and by
    counting when the body comes in chunks without one."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        size = f"{self.limit / (1 << 20):.1f} MB" if self.limit >= (1 << 20) else f"{self.limit / 1024:.0f} KB"
        return (f"the request is larger than the limit of {size} (TEXTMINE_MAX_UPLOAD_BYTES); "
                "split the file into smaller ones or ask the administrator to raise the limit")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.limit
            except ValueError:
                await _answer(send, 400, "the Content-Length header is not a number; send a valid request")
                return
            if too_big:
                await _answer(send, 413, self._message())
                return
        seen = 0
        state = {"started": False, "refused": False}

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    state["refused"] = True
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            if state["refused"]:
                # The app turned our refusal into its own answer (e.g. 400 "error parsing the body");
                # the size is the real cause, so say that instead.
                if not state["started"]:
                    state["started"] = True
                    await _answer(send, 413, self._message())
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not state["started"]:
                await _answer(send, 413, self._message())
        except Exception:
            # The handler may have wrapped our exception in its own (body parsing does); if we refused
            # the body, that is the real cause. Otherwise it is not ours to answer.
            if state["refused"] and not state["started"]:
                await _answer(send, 413, self._message())
            else:
                raise


class _BodyTooLarge(Exception):
    pass

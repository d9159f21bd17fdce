"""Request logging: one line per request with method, path, status, duration and a request id.

Nothing else goes in: not the query string, not the body, not error messages (a message may
quote a note back), and for an address no route matches not even the path (someone may paste a
note into the URL) — notes are confidential. The request id comes back in the ``X-Request-ID``
header and in 500 answers, so a user's complaint can be matched to a log line.

An exception no handler caught is answered here with a 500 and logged by type and code location
only; it is not passed on to the server, whose traceback would print the exception's message.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLogMiddleware", "logger", "LOG_CONFIG"]

logger = logging.getLogger("textmine.service")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Paths that are safe to log as they are when no route matched (static files of the page).
_STATIC = re.compile(r"^/static/[A-Za-z0-9._-]{1,64}$")


def _route_path(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path  # the template, e.g. /v1/classify — never the values in it
    path = scope.get("path", "")
    if path in ("/", "/docs", "/openapi.json", "/redoc", "/favicon.ico") or _STATIC.match(path):
        return path
    # Answered before routing (401, 413): the path is safe to log when it is one the API documents.
    app = scope.get("app")
    if app is not None and hasattr(app, "openapi") and path in app.openapi().get("paths", {}):
        return path
    return "<unmatched>"


class RequestLogMiddleware:
    """Pure ASGI middleware (no buffering): assigns the request id, times the request, logs one line."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500, "started": False}
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # noqa: BLE001 — the last line of defence: answer 500, log without the message
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
            logger.error("unhandled %s at %s request_id=%s", type(exc).__name__, where, request_id)
            status["code"] = 500
            if not status["started"]:
                body = ('{"detail": "internal error; nothing was changed. Tell the administrator the request id '
                        f'{request_id}"}}').encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()),
                                        (b"x-request-id", request_id.encode())]})
                await send({"type": "http.response.body", "body": body})
        finally:
            duration_ms = (time.perf_counter() - start) * 1000
            logger.info("method=%s path=%s status=%d duration_ms=%.1f request_id=%s", scope.get("method", "?"),
                        _route_path(scope), status["code"], duration_ms, request_id)


#: uvicorn's logging set-up plus the service logger; uvicorn's access log is turned off instead
#: (it prints the query string) — this middleware's line replaces it.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "textmine": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}

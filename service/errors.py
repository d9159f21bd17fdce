"""The one place where errors become HTTP answers.

Every error answer is JSON ``{"detail": "<plain language: what is wrong and how to fix it>"}``
(validation errors add ``errors``, a short list of ``{"where", "problem"}``):

    textmine.errors.InputError (and subclasses)   → 422  the input is wrong; the message says how to fix it
    textmine.errors.ModelError                    → 503  the model cannot be used; an administrator must act
    textmine.errors.ConfigurationError            → 503
    request validation (bad JSON, missing field,  → 422  rewritten in plain words
      wrong type, unknown field)
    TooLarge (note, batch, upload over a limit)   → 413
    HTTPException (400, 401, 404, 405 …)          → its status, detail kept or made plain
    anything else                                 → 500 with the request id; logged by
                                                    ``service.logging`` without its message

Messages of 4xx answers may quote the input back to the caller; they are never logged.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from textmine.errors import ConfigurationError, InputError, ModelError

__all__ = ["TooLarge", "install_error_handlers", "describe_validation_errors"]


class TooLarge(Exception):
    """A note, batch or upload over a configured limit (answered with 413)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_TYPE_WORDS = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
               "list": "a list", "dict": "an object", "NoneType": "null"}


def _where(loc: tuple) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    if not parts:
        return "the request body" if loc and loc[0] == "body" else "the request"
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return f"'{out}'"


def _problem(err: dict) -> str:
    kind = err.get("type", "")
    given = _TYPE_WORDS.get(type(err.get("input")).__name__, type(err.get("input")).__name__)
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "invalid JSON")
        at = [p for p in err.get("loc", ()) if isinstance(p, int)]
        at_text = f" at character {at[0] + 1}" if at else ""
        return (f"is not valid JSON ({reason}{at_text}); check the quotes, commas and brackets, e.g. "
                '{"text": "…"}')
    if isinstance(err.get("input"), (bytes, bytearray)):
        return ('must be JSON sent with the header Content-Type: application/json, e.g. {"text": "…"}')
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a field this call knows; check the spelling (see /docs)"
    if kind == "string_unicode":
        return "contains an invalid character (a lone surrogate, \\ud800–\\udfff); send the text as proper UTF-8"
    if kind in ("string_type",):
        return f"must be text in quotes, not {given}"
    if kind in ("bool_type",):
        return f"must be true or false, not {given}"
    if kind in ("int_type", "int_parsing"):
        return f"must be a whole number, not {given}"
    if kind in ("list_type",):
        return f"must be a list [...], not {given}"
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return (f"must be a JSON object {{...}}, not {given}; send Content-Type: application/json and a body "
                'such as {"text": "…"}')
    if kind == "string_too_short":
        return "is empty"
    if kind == "too_short":
        return "is empty; give at least one item" if isinstance(err.get("input"), list) else "is empty"
    if kind in ("string_too_long", "too_long"):
        return f"is too long ({err.get('msg', '')})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"is out of range ({err.get('msg', '')})"
    if kind == "value_error":
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return msg
    return f"is not valid ({err.get('msg', 'unknown problem')})"


def describe_validation_errors(errors: list[dict], limit: int = 5) -> tuple[str, list[dict]]:
    """A plain-language sentence and a short list for pydantic/FastAPI validation errors."""
    items, sentences = [], []
    for err in errors[:limit]:
        loc = tuple(err.get("loc", ()))
        # For broken JSON the location is a character position, not a field.
        where = "the request body" if err.get("type") == "json_invalid" else _where(loc)
        problem = _problem(err)
        items.append({"where": where, "problem": problem})
        # A check on the whole body (value_error) already reads as a full sentence.
        whole = err.get("type") == "value_error" and where in ("the request body", "the request")
        sentences.append(problem if whole else f"{where} {problem}")
    text = "; ".join(sentences)
    if len(errors) > limit:
        text += f"; and {len(errors) - limit} more problem(s)"
    return text, items


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        text, items = describe_validation_errors(list(exc.errors()))
        return JSONResponse({"detail": text, "errors": items}, status_code=422)

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge):
        return JSONResponse({"detail": exc.message}, status_code=413)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(ModelError)
    async def _model(request: Request, exc: ModelError):
        return JSONResponse({"detail": f"the model cannot be used: {exc}"}, status_code=503)

    @app.exception_handler(ConfigurationError)
    async def _config(request: Request, exc: ConfigurationError):
        return JSONResponse({"detail": f"the service is not set up right: {exc}"}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such address; see /docs for the calls this service answers"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = ("the request body could not be read: send UTF-8 JSON with Content-Type: application/json, "
                      "or a file as multipart/form-data")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            if detail == "Method Not Allowed":
                detail = f"{request.method} is not allowed here; see /docs for the right method"
            # Starlette names only the first route's methods; a path may have several routes (GET and
            # POST), so name what the API documents for it (no path has parameters).
            documented = request.app.openapi().get("paths", {}).get(request.url.path, {})
            allowed = sorted(m.upper() for m in documented)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers or None)

"""The FastAPI application: ``create_app(settings)`` builds it; ``textmine serve`` runs it.

The model is loaded once, in the ``lifespan`` start-up, and warmed up (dictionaries, caches) before
the first request; requests never load anything. The reviewer page (``/``) and its files are
served by the same app from ``service/static`` — no CDN, the office network is closed.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Security
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from textmine import __version__
from textmine.settings import Settings, get_settings

from .api import bearer_scheme, router as api_router
from .errors import install_error_handlers
from .guards import BearerTokenMiddleware, BodySizeLimitMiddleware
from .logging import RequestLogMiddleware, logger
from .schemas import ErrorOut, Health

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """Tag petitions and interview notes into problem categories (党建, 财务, 三资管理, 民生),
score how likely each is a clue, and show the evidence. The reviewer page is at `/`.

When the service runs with `TEXTMINE_API_TOKEN`, every `/v1/*` call needs `Authorization: Bearer <token>`.
Errors are JSON `{"detail": "..."}` saying what to fix."""


def create_app(settings: Settings | None = None, model=None) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when None, as ``textmine serve`` does).

    ``model`` is for tests and embedding: an already loaded model to serve instead of loading the
    one the settings name.
    """
    settings = settings or get_settings()
    preloaded = model

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from textmine.persist import load_model
        from textmine.retrain import served_model_dir
        from textmine.review import ReviewStore

        if preloaded is not None:
            model, model_dir = preloaded, "(given)"
        else:
            model_dir = served_model_dir(settings)
            # Loading takes seconds; in a thread so the server's own start-up tasks are not frozen.
            model = await run_in_threadpool(load_model, model_dir)
            await run_in_threadpool(model.warm_up)
        app.state.model = model
        app.state.store = ReviewStore(settings.review_db)
        logger.info("model %s loaded from %s; review store %s", model.version, model_dir, settings.review_db)
        yield
        app.state.model = None

    app = FastAPI(title="textmine", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.model = None
    install_error_handlers(app)
    # Added last = runs first: log everything (401 and 413 included), then the token, then the size.
    # Room for the multipart framing and form fields around an upload of the largest size.
    overhead = min(1 << 20, settings.max_upload_bytes // 10)
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_upload_bytes + overhead)
    app.add_middleware(BearerTokenMiddleware, token=settings.api_token)
    app.add_middleware(RequestLogMiddleware)

    app.include_router(api_router, dependencies=[Security(bearer_scheme)] if settings.api_token else [])

    @app.get("/healthz", response_model=Health, summary="200 once the model is loaded",
             responses={503: {"model": ErrorOut, "description": "The model is not loaded yet."}})
    def healthz(request: Request):
        """Liveness and readiness: the served model's version, and whether a token is needed."""
        model = request.app.state.model
        if model is None:
            from fastapi import HTTPException

            raise HTTPException(503, "the model is not loaded yet; try again in a few seconds")
        return {"status": "ok", "model": model.version, "auth_required": bool(settings.api_token)}

    @app.get("/", include_in_schema=False)
    def page():
        """The reviewer page."""
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""``textmine serve``: run the classify service and the reviewer page with uvicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["register_cli", "cmd_serve"]


def register_cli(subparsers) -> None:
    """Add ``textmine serve`` to the command line."""
    s = subparsers.add_parser(
        "serve", help="start the classify service and the reviewer page",
        description="Start the HTTP service (API at /v1, docs at /docs, reviewer page at /). Options left out "
                    "come from the settings (TEXTMINE_HOST, TEXTMINE_PORT, TEXTMINE_WORKERS, TEXTMINE_MODEL_DIR).")
    s.add_argument("--host", help="address to listen on (default 127.0.0.1: this computer only)")
    s.add_argument("--port", type=int, help="port (default 8000)")
    s.add_argument("--workers", type=int, help="worker processes (default 1; each loads the model)")
    s.add_argument("--model", help="model folder (default: the promoted version, else the bundled model)")
    s.add_argument("--review-db", help="SQLite file for reviewers' judgments (default: TEXTMINE_REVIEW_DB)")
    s.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    """Start uvicorn with the app factory; blocks until stopped (Ctrl+C)."""
    from textmine.errors import ConfigurationError, ModelNotFoundError
    from textmine.persist import MANIFEST
    from textmine.settings import get_settings

    # Workers are separate processes that build the app from the environment, so options travel there.
    if args.model:
        os.environ["TEXTMINE_MODEL_DIR"] = str(Path(args.model).resolve())
    if args.review_db:
        os.environ["TEXTMINE_REVIEW_DB"] = str(Path(args.review_db).resolve())
    get_settings.cache_clear()
    settings = get_settings()
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    workers = args.workers if args.workers is not None else settings.workers
    if not (1 <= port <= 65535):
        raise ConfigurationError(f"port {port} is not between 1 and 65535; pick another with --port")
    if workers < 1:
        raise ConfigurationError(f"--workers {workers} must be at least 1")

    from textmine.retrain import served_model_dir

    model_dir = served_model_dir(settings)
    if not (model_dir / MANIFEST).exists():
        # Checked here so the user gets one plain line instead of a start-up traceback.
        raise ModelNotFoundError(f"no model at '{model_dir}'; pass a folder written by 'textmine train --out DIR' "
                                 "with --model, or leave --model out to use the bundled model")

    import uvicorn

    from .logging import LOG_CONFIG

    print(f"textmine: serving model {model_dir} on http://{host}:{port}/ (API docs at /docs); Ctrl+C stops",
          file=sys.stderr)
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_config=LOG_CONFIG, server_header=False)
    return 0

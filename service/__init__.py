"""The textmine HTTP service and reviewer page (FastAPI).

``service.app.create_app(settings)`` builds the app; ``textmine serve`` (``service.cli``) runs it
with uvicorn. Importing this package loads nothing heavy: the CLI imports ``service.cli`` to
register ``serve`` and must stay fast.
"""

__all__ = ["create_app"]


def __getattr__(name):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")

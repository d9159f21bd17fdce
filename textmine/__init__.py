"""textmine: tag petitions and interview notes into problem categories and surface likely clues.

Public API::

    import textmine
    model = textmine.load_model()            # the bundled default model
    model.classify("村会计王某2021年挪用低保金3000元")
    model.classify_many([...])

Nothing is loaded at import time; the model, jieba and its dictionary load on first use.
"""

from .errors import (ColumnNotFoundError, ConfigurationError, CorpusError, EmptyTextError, FileFormatError,
                     InputError, ModelError, ModelIntegrityError, ModelNotFoundError, NoteTypeError, TextmineError)

__version__ = "0.1.0"

__all__ = [
    "load_model", "Model", "save_model", "__version__",
    "TextmineError", "InputError", "EmptyTextError", "NoteTypeError", "ColumnNotFoundError", "FileFormatError",
    "CorpusError", "ModelError", "ModelNotFoundError", "ModelIntegrityError", "ConfigurationError",
]


def __getattr__(name):
    # Lazy: importing textmine stays cheap (the CLI's cold start counts).
    if name in ("load_model", "save_model"):
        from . import persist

        return getattr(persist, name)
    if name == "Model":
        from .model import Model

        return Model
    raise AttributeError(f"module 'textmine' has no attribute {name!r}")

"""Every error textmine raises on purpose, in one tree.

Each message says what was wrong and how to fix it, in plain words, because the people
reading it are office staff, not programmers. The CLI prints the message and exits non-zero;
the service maps the tree to HTTP status codes in one place (``service/errors.py``).

    TextmineError
    ├── InputError                 bad input from the user: fix the input and try again
    │   ├── EmptyTextError         a note that is empty or only whitespace
    │   ├── NoteTypeError          a note that is not a string
    │   ├── ColumnNotFoundError    a named or guessed column is not in the file
    │   ├── FileFormatError        a file that cannot be read or decoded
    │   └── CorpusError            a labelled corpus that breaks the format (file, line, reason)
    ├── ModelError                 a model directory that cannot be used
    │   ├── ModelNotFoundError     no model at that path
    │   └── ModelIntegrityError    altered, incomplete or incompatible artifact
    └── ConfigurationError         settings or options that do not fit together
"""

from __future__ import annotations

__all__ = [
    "TextmineError",
    "InputError",
    "EmptyTextError",
    "NoteTypeError",
    "ColumnNotFoundError",
    "FileFormatError",
    "CorpusError",
    "ModelError",
    "ModelNotFoundError",
    "ModelIntegrityError",
    "ConfigurationError",
]


class TextmineError(Exception):
    """Base of every error textmine raises on purpose."""


class InputError(TextmineError):
    """The input is wrong; the message says how to fix it."""


class EmptyTextError(InputError):
    """A note is empty or contains only whitespace."""


class NoteTypeError(InputError):
    """A note is not a string (a number, a list, null …)."""


class ColumnNotFoundError(InputError):
    """A column that was asked for, or guessed, is not in the file."""


class FileFormatError(InputError):
    """A file cannot be opened, decoded or parsed."""


class CorpusError(InputError):
    """A labelled corpus breaks the corpus format. ``problems`` lists (file, line, reason)."""

    def __init__(self, message: str, problems: list[tuple[str, int, str]] | None = None):
        super().__init__(message)
        self.problems = problems or []


class ModelError(TextmineError):
    """A model directory cannot be used."""


class ModelNotFoundError(ModelError):
    """There is no model at the given path."""


class ModelIntegrityError(ModelError):
    """The model artifact was altered, is incomplete, or was made by incompatible library versions."""


class ConfigurationError(TextmineError):
    """Settings or options that do not fit together."""

"""The one settings object. Read once from the environment (prefix ``TEXTMINE_``) and passed
to whatever needs it; tests build their own ``Settings(...)`` instead of patching globals."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
#: The project checkout. textmine is installed editable (``pip install -e .``) so the bundled
#: model in ``models/`` and the lexicons in ``corpora/lexicon/`` are found next to the code.
ROOT_DIR = PACKAGE_DIR.parent
LEXICON_DIR = ROOT_DIR / "corpora" / "lexicon"
CORPUS_DIR = ROOT_DIR / "corpora" / "notes"
DEFAULT_MODEL_DIR = ROOT_DIR / "models" / "default"


class Settings(BaseSettings):
    """Deployment settings. Every field can be set as ``TEXTMINE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TEXTMINE_", extra="ignore")

    model_dir: Path | None = Field(None, description="Model directory; None means the bundled default model.")
    cache_dir: Path = Field(
        Path.home() / ".cache" / "textmine",
        description="Writable folder for jieba's dictionary cache (saves ~1 s at start-up).",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    api_token: str | None = Field(None, description="When set, every /v1/* call needs 'Authorization: Bearer <token>'.")
    max_note_chars: int = Field(20_000, description="Longest note accepted by the service.")
    max_batch: int = Field(1_000, description="Most notes in one /v1/classify batch.")
    max_upload_bytes: int = Field(50 * 1024 * 1024, description="Largest file accepted by /v1/screen and /v1/transcripts.")
    review_db: Path = Field(Path("textmine-reviews.sqlite3"), description="SQLite file of reviewers' judgments.")
    models_root: Path = Field(ROOT_DIR / "models", description="Folder of retrained versions (versions/<version>) and "
                              "of the 'current.json' pointer that 'textmine retrain --promote' writes.")
    mask_personal_numbers: bool = Field(True, description="Mask phone and ID-card numbers in screening outputs.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()

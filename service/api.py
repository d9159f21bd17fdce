"""The ``/v1`` routes: classify, screen, transcripts, model, review.

Handlers that run the model are plain ``def``: FastAPI runs them in its thread pool, so a long
batch does not stop the event loop from answering other requests (``/healthz`` included). The
exception is ``/v1/classify`` with one short note: it is answered on the event loop directly,
because handing a ~0.3 ms job to a thread and back costs about as much as the job itself.
The dependencies are ``async def`` for the same reason: FastAPI runs a sync dependency in the
thread pool too. The model, the settings and the review store are injected; none is a module
global.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer

from textmine.errors import FileFormatError, InputError, TextmineError
from textmine.readers import read_text_file
from textmine.settings import Settings

from .errors import TooLarge
from .schemas import (BatchResult, ClassifyRequest, ClassifyResult, ErrorOut, Judgment, ModelInfo, QueueAdd, ReviewIn)

__all__ = ["router", "bearer_scheme", "get_settings", "get_model", "get_store"]

# Enforcement is done by BearerTokenMiddleware (before the body is read); this only documents the
# scheme, so /docs offers an "Authorize" button. create_app adds it only when a token is set.
bearer_scheme = HTTPBearer(auto_error=False, description="Needed when the service runs with TEXTMINE_API_TOKEN set.")
_ERRORS = {
    400: {"model": ErrorOut, "description": "The body could not be read (not UTF-8 JSON, broken multipart form)."},
    401: {"model": ErrorOut, "description": "The access token is missing or wrong (only when a token is set)."},
    413: {"model": ErrorOut, "description": "A note, batch or upload over the configured limit."},
    422: {"model": ErrorOut, "description": "The request is not valid; `detail` says what to fix."},
    503: {"model": ErrorOut, "description": "The model cannot be used."},
}
router = APIRouter(prefix="/v1", responses=_ERRORS)

#: A transcript may be this many times longer than one note (interviews run to several thousand characters).
TRANSCRIPT_FACTOR = 10

CATEGORY_NAMES = {"party_building": "党建", "finance": "财务", "three_assets": "三资管理", "livelihood": "民生"}


# --------------------------------------------------------------------------------------------- dependencies
async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_model(request: Request):
    """The model loaded at start-up."""
    return request.app.state.model


async def get_store(request: Request):
    """The review store (SQLite) named in the settings."""
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelDep = Annotated[object, Depends(get_model)]
StoreDep = Annotated[object, Depends(get_store)]


def _check_note(text: str, settings: Settings, where: str = "the note") -> None:
    if len(text) > settings.max_note_chars:
        raise TooLarge(f"{where} has {len(text):,} characters; the limit is {settings.max_note_chars:,} "
                       "(TEXTMINE_MAX_NOTE_CHARS). Split it into parts, or send it as a transcript file.")


def _check_batch(n: int, settings: Settings) -> None:
    if n > settings.max_batch:
        raise TooLarge(f"the batch has {n:,} notes; the limit is {settings.max_batch:,} (TEXTMINE_MAX_BATCH). "
                       "Send it in several calls, or use /v1/screen with a file.")
    if n == 0:
        raise InputError('"notes" is empty; put at least one {"id": …, "text": "…"} in it')


# --------------------------------------------------------------------------------------------- classify
#: A single note up to this long is classified on the event loop (a few ms at most); longer ones and
#: batches go to the thread pool so that the loop keeps answering other requests meanwhile.
INLINE_CHARS = 2000


@router.post("/classify", response_model=ClassifyResult | BatchResult, summary="Classify one note or a batch")
async def classify(body: ClassifyRequest, model: ModelDep, settings: SettingsDep):
    """One result for ``{"text": …}``; ``{"results": [...]}`` in input order for ``{"notes": [...]}``."""
    if body.notes is None and len(body.text) <= INLINE_CHARS:
        return _classify(body, model, settings)
    return await run_in_threadpool(_classify, body, model, settings)


def _classify(body: ClassifyRequest, model, settings: Settings):
    if body.notes is None:
        _check_note(body.text, settings)
        return model.classify(body.text, id=body.id, explain=body.explain)
    _check_batch(len(body.notes), settings)
    for i, n in enumerate(body.notes):
        _check_note(n.text, settings, where=f"note {i + 1}")
    ids = [n.id if n.id is not None else i + 1 for i, n in enumerate(body.notes)]
    return {"results": model.classify_many([n.text for n in body.notes], ids=ids, explain=body.explain)}


# --------------------------------------------------------------------------------------------- model
@router.get("/model", response_model=ModelInfo, summary="The served model: labels, thresholds, metrics, version")
def model_info(model: ModelDep):
    """What the manifest says about the served model."""
    m = model.manifest
    return {"model": model.version, "name": m.get("name"), "version": m.get("version"), "labels": model.labels,
            "label_names": {lab: CATEGORY_NAMES.get(lab, lab) for lab in model.labels},
            "thresholds": model.thresholds,
            "clue_threshold": None if model.clue is None else float(model.clue.threshold_),
            "metrics": m.get("metrics") or {}, "created": m.get("created"), "corpus_notes": m.get("corpus_notes"),
            "reviews": m.get("reviews")}


# --------------------------------------------------------------------------------------------- uploads
def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= (1 << 20) else f"{n / 1024:.0f} KB"


def _save_upload(upload: UploadFile, settings: Settings, allowed: tuple[str, ...], what: str) -> Path:
    """Copy an upload to a temporary folder under its own name (readers work on paths, and their
    messages then name the user's file); checks type and size."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise FileFormatError(f"'{name or 'the upload'}' is not a {what} file; upload one of: {', '.join(allowed)}")
    folder = Path(tempfile.mkdtemp(prefix="textmine-upload-"))
    path = folder / name
    size = 0
    try:
        with open(path, "wb") as fh:
            while block := upload.file.read(1 << 20):
                size += len(block)
                if size > settings.max_upload_bytes:
                    raise TooLarge(f"'{name}' is larger than {_size(settings.max_upload_bytes)} "
                                   "(TEXTMINE_MAX_UPLOAD_BYTES); split it into smaller files")
                fh.write(block)
        if size == 0:
            raise FileFormatError(f"'{name}' is empty; choose the file again")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


@contextmanager
def _uploaded(upload: UploadFile, settings: Settings, allowed: tuple[str, ...], what: str):
    """The upload as a temporary file, removed afterwards; errors about it name the user's file
    and the API's form fields rather than the temporary path and the CLI's options."""
    path = _save_upload(upload, settings, allowed, what)
    try:
        yield path
    except TextmineError as exc:
        message = (str(exc).replace(f"'{path}'", f"'{path.name}'").replace(str(path), path.name)
                   .replace("--text-column", "the text_column field").replace("--sheet", "the sheet field"))
        if message == str(exc):
            raise
        raise type(exc)(message) from exc
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


@router.post("/screen", summary="Screen an uploaded CSV/XLSX file")
def screen(model: ModelDep, settings: SettingsDep, store: StoreDep,
           file: UploadFile = File(description="CSV, TSV or XLSX with a text column"),
           text_column: str | None = Form(None, description="Name of the text column (guessed when left out)"),
           sheet: str | None = Form(None, description="XLSX sheet (all sheets when left out)"),
           limit: int = Form(1000, ge=1, le=100_000, description="Most rows to return (best-ranked first)"),
           queue: bool = Form(False, description="Also put the rows in the review queue")):
    """The screened rows, best-ranked first (``rank`` 1 = look first), and the rows that could not be read."""
    from textmine.screen import screen_rows

    with _uploaded(file, settings, (".csv", ".tsv", ".xlsx", ".xlsm"), "table (CSV/XLSX)") as path:
        rows, errors = screen_rows(path, model, text_column=text_column or None, sheet=sheet or None,
                                   mask=settings.mask_personal_numbers)
    rows.sort(key=lambda r: r["rank"])
    queued = 0
    if queue and rows:
        notes = [(r["id"], r["text"]) for r in rows if r.get("text")]
        results = model.classify_many([t for _, t in notes], explain=False)
        queued = store.add_pending(notes, results, model.thresholds,
                                   None if model.clue is None else float(model.clue.threshold_))
    return {"rows": rows[:limit], "total": len(rows), "errors": [{"row": r, "reason": why} for r, why in errors],
            "queued": queued, "model": model.version}


@router.post("/transcripts", summary="Split and score an interview transcript (text, or a DOCX/TXT upload)")
def transcripts(model: ModelDep, settings: SettingsDep,
                file: UploadFile | None = File(None, description="DOCX or TXT file of the transcript"),
                text: str | None = Form(None, description="The transcript's text, instead of a file"),
                id: str | None = Form(None, max_length=200, description="Echoed in the result")):
    """One transcript result (CONTRACT.md): whole-note scores, turns, and the turns most likely to be clues."""
    from textmine import transcript as stage

    if (file is None) == (text is None):
        raise InputError("send either a file (DOCX or TXT) or the transcript's text in the 'text' field — one of them")
    limit = settings.max_note_chars * TRANSCRIPT_FACTOR
    if file is not None:
        with _uploaded(file, settings, (".docx", ".txt"), "transcript (DOCX/TXT)") as path:
            body = read_text_file(path)
            where = f"'{path.name}'"
        nid = id or Path(file.filename or "transcript").stem
    else:
        body, nid, where = text, id or 1, "the transcript"
    if not body.strip():
        raise InputError(f"{where} has no text; give the transcript's text or a file with text in it")
    if len(body) > limit:
        raise TooLarge(f"{where} has {len(body):,} characters; the limit for a transcript is {limit:,} "
                       f"({TRANSCRIPT_FACTOR} × TEXTMINE_MAX_NOTE_CHARS). Split it into parts.")
    return stage.analyse_transcript(body, model, id=nid, mask=settings.mask_personal_numbers)


# --------------------------------------------------------------------------------------------- review
@router.post("/review", response_model=Judgment, summary="Record a reviewer's judgment of one note")
def review(body: ReviewIn, model: ModelDep, store: StoreDep, settings: SettingsDep):
    """Append a judgment (the model's output is recomputed here, so it is what the served model says)."""
    _check_note(body.text, settings)
    result = model.classify(body.text, id=body.id, explain=False)
    return store.record(body.text, result, body.labels, body.clue, body.reviewer, note_id=body.id, kind=body.kind,
                        comment=body.comment, allowed_labels=model.labels)


@router.get("/review", response_model=list[Judgment], summary="The audit trail, newest first")
def review_list(store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50):
    """The latest judgments (every click is kept; nothing is overwritten)."""
    return store.judgments(limit=limit)


@router.get("/review/queue", summary="Notes waiting for review, the ones the model is least sure about first")
def review_queue(model: ModelDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 20):
    """Uncertainty sampling: scores nearest their thresholds (and clue score nearest its threshold) first."""
    return {"notes": store.queue(limit=limit, model=model), "counts": store.counts()}


@router.post("/review/queue", summary="Put notes in the review queue")
def review_queue_add(body: QueueAdd, model: ModelDep, store: StoreDep, settings: SettingsDep):
    """Score the notes and add them to the queue (a note already waiting is not added twice)."""
    _check_batch(len(body.notes), settings)
    for i, n in enumerate(body.notes):
        _check_note(n.text, settings, where=f"note {i + 1}")
    results = model.classify_many([n.text for n in body.notes], explain=False)
    added = store.add_pending([(n.id, n.text) for n in body.notes], results, model.thresholds,
                              None if model.clue is None else float(model.clue.threshold_))
    return {"added": added, "counts": store.counts()}

"""Request and response bodies of the HTTP API (CONTRACT.md shapes).

Size limits (note length, batch size, upload size) come from the settings of the running app,
so they are checked by the handlers (``service.api``) and answered with 413, not fixed here;
the descriptions name the settings that hold them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

__all__ = ["ErrorOut", "NoteIn", "ClassifyRequest", "ClassifyResult", "BatchResult", "ReviewIn", "Judgment", "QueueAdd",
           "ModelInfo", "Health"]

def _encodable(value: str) -> str:
    # JSON may carry lone UTF-16 surrogates ("\ud800"); they are not text and would break storage.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an invalid character (a lone surrogate, \\ud800–\\udfff); "
                         "send the text as proper UTF-8") from None
    return value


Text = Annotated[StrictStr, AfterValidator(_encodable)]
NoteId = Text | StrictInt

_TEXT = "The note's text (at most TEXTMINE_MAX_NOTE_CHARS characters, 20,000 by default)."


class _Strict(BaseModel):
    # An unknown field is almost always a typo ("txt", "note"); say so instead of ignoring it.
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    where: str
    problem: str


class ErrorOut(BaseModel):
    """Every error answer: ``detail`` says in plain words what is wrong and how to fix it."""

    detail: str
    errors: list[Problem] | None = Field(None, description="For invalid requests: each problem and where it is.")


class NoteIn(_Strict):
    """One note of a batch."""

    id: NoteId | None = Field(None, description="Echoed in the result; the row number from 1 when left out.")
    text: Text = Field(description=_TEXT)


class ClassifyRequest(_Strict):
    """Either one note (``text``) or a batch (``notes``)."""

    text: Text | None = Field(None, description=_TEXT)
    id: NoteId | None = Field(None, description="Echoed in the result (single note); 1 when left out.")
    notes: list[NoteIn] | None = Field(None, description="A batch of notes (at most TEXTMINE_MAX_BATCH, 1,000 by "
                                                         "default); results come back in the same order.")
    explain: StrictBool = Field(True, description="Compute highlights (the reasons in the text).")

    @model_validator(mode="after")
    def _one_of(self):
        if self.text is None and self.notes is None:
            raise ValueError('send one note as {"text": "…"} or a batch as {"notes": [{"id": "…", "text": "…"}]}')
        if self.text is not None and self.notes is not None:
            raise ValueError('send either "text" (one note) or "notes" (a batch), not both')
        if self.notes is not None and self.id is not None:
            raise ValueError('"id" goes inside each note of "notes", not next to it')
        return self

    model_config = ConfigDict(extra="forbid", json_schema_extra={  # _Strict's setting plus examples for /docs
        "examples": [{"text": "村支书王某2021年把村里鱼塘低价发包给他小舅子，每年只交1200元"},
                     {"notes": [{"id": "p001", "text": "反映低保评定优亲厚友"}, {"id": "p002", "text": "村里路灯坏了"}]}]})


class Span(BaseModel):
    """An evidence span: ``text`` at ``start``:``end`` of the note (``yuan`` for amounts)."""

    # extra="allow": amounts carry "yuan" (the amount as a number) and other kinds may add fields.
    model_config = ConfigDict(extra="allow")
    text: str
    start: int
    end: int


class Evidence(BaseModel):
    persons: list[Span] = []
    amounts: list[Span] = []
    dates: list[Span] = []
    places: list[Span] = []
    acts: list[Span] = []


class Highlight(BaseModel):
    start: int
    end: int
    label: str
    weight: float


class ClassifyResult(BaseModel):
    """One result per note (CONTRACT.md)."""

    id: str | int
    labels: list[str]
    scores: dict[str, float]
    clue: bool | None
    clue_score: float | None
    evidence: Evidence
    highlights: list[Highlight]
    model: str


class BatchResult(BaseModel):
    results: list[ClassifyResult]


class ReviewIn(_Strict):
    """A reviewer's judgment of one note: the categories and the clue as they should be."""

    text: Text = Field(description=_TEXT)
    labels: list[Text] = Field(description="The categories the note really has (may be empty).")
    clue: StrictBool = Field(description="Whether the note really is a clue.")
    reviewer: Text = Field(min_length=1, max_length=100, description="Who judged (name or staff number).")
    id: NoteId | None = Field(None, description="The note's id, if it has one.")
    kind: Text | None = Field(None, description="petition, hotline, online, visit or transcript (optional).")
    comment: Text | None = Field(None, max_length=2000, description="Optional remark.")


class Judgment(BaseModel):
    """A judgment as stored in the audit trail."""

    id: int
    created: str
    reviewer: str
    note_id: str | None
    verdict: str = Field(description="'confirmed' when it agrees with the model, else 'corrected'.")
    labels: list[str]
    clue: bool
    model_labels: list[str]
    model_clue: bool | None
    model_version: str


class QueueAdd(_Strict):
    """Notes to put in the review queue."""

    notes: list[NoteIn] = Field(min_length=1)


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())
    model: str
    name: str | None
    version: str | None
    labels: list[str]
    label_names: dict[str, str]
    thresholds: dict[str, float]
    clue_threshold: float | None
    metrics: dict
    created: str | None
    corpus_notes: int | None
    reviews: int | None = None


class Health(BaseModel):
    status: str
    model: str
    auth_required: bool


"""Review: reviewers' judgments of the model's output, kept in an embedded SQLite file.

Two tables:

- ``judgments`` — the audit trail. One row per click a reviewer makes: the note's text, what the
  model said (labels, scores, clue, evidence, model version), what the reviewer says (labels, clue),
  the reviewer's name and the time. Rows are only ever added: triggers make UPDATE and DELETE fail,
  so a later judgment of the same note never erases an earlier one; the latest one counts.
- ``pending`` — notes waiting for review, each with the scores of the model that saw it.

:meth:`ReviewStore.queue` hands out pending notes the model is least sure about first —
uncertainty sampling, the way Prodigy's ``textcat.teach`` asks about the examples whose score is
closest to the decision boundary: here, scores closest to their per-label thresholds and a
clue score closest to the clue threshold. :meth:`ReviewStore.reviewed_notes` turns the latest
judgment of every reviewed note into corpus notes for ``textmine retrain``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from .corpus import KINDS, Note
from .errors import ConfigurationError, InputError

__all__ = ["ReviewStore", "uncertainty", "text_sha256"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created       TEXT    NOT NULL,
    reviewer      TEXT    NOT NULL,
    note_id       TEXT,
    kind          TEXT,
    text          TEXT    NOT NULL,
    text_sha256   TEXT    NOT NULL,
    model_version TEXT    NOT NULL,
    model_labels  TEXT    NOT NULL,
    model_clue    INTEGER,
    model_output  TEXT    NOT NULL,
    labels        TEXT    NOT NULL,
    clue          INTEGER NOT NULL,
    verdict       TEXT    NOT NULL,
    comment       TEXT
);
CREATE INDEX IF NOT EXISTS judgments_text ON judgments(text_sha256);
CREATE TRIGGER IF NOT EXISTS judgments_no_update BEFORE UPDATE ON judgments
BEGIN SELECT RAISE(ABORT, 'judgments are an audit trail: rows are never changed'); END;
CREATE TRIGGER IF NOT EXISTS judgments_no_delete BEFORE DELETE ON judgments
BEGIN SELECT RAISE(ABORT, 'judgments are an audit trail: rows are never deleted'); END;
CREATE TABLE IF NOT EXISTS pending (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    added         TEXT    NOT NULL,
    note_id       TEXT,
    text          TEXT    NOT NULL,
    text_sha256   TEXT    NOT NULL UNIQUE,
    model_version TEXT    NOT NULL,
    result        TEXT    NOT NULL,
    uncertainty   REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_uncertainty ON pending(uncertainty DESC);
"""


def text_sha256(text: str) -> str:
    """The key a note is known by in the store (its exact text, hashed)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _margin(score: float, threshold: float) -> float:
    """How far ``score`` is from ``threshold``, as a share of the room on that side (0 = on it, 1 = at 0 or 1)."""
    room = (1.0 - threshold) if score >= threshold else threshold
    if room <= 0:
        return 1.0
    return min(1.0, abs(score - threshold) / room)


def uncertainty(result: dict, thresholds: dict[str, float], clue_threshold: float | None) -> float:
    """How unsure the model is about one result, from 0 (every decision far from its threshold)
    to 1 (some score sits exactly on its threshold): one minus the smallest relative margin over
    the category scores and the clue score."""
    margins = [_margin(float(result["scores"][lab]), float(t)) for lab, t in thresholds.items()
               if lab in result.get("scores", {})]
    if clue_threshold is not None and result.get("clue_score") is not None:
        margins.append(_margin(float(result["clue_score"]), float(clue_threshold)))
    return round(1.0 - min(margins), 6) if margins else 0.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _compact(result: dict) -> dict:
    """The model output worth keeping with a judgment (highlights are recomputable and long)."""
    return {k: result[k] for k in ("labels", "scores", "clue", "clue_score", "evidence", "model") if k in result}


class ReviewStore:
    """The SQLite review store at ``path`` (created on first use, with its folder).

    Each call opens its own short connection, so one store object can be shared by the
    service's worker threads; SQLite's WAL journal lets readers go on while one writer writes.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._ready = False

    # ----------------------------------------------------------------------------------- plumbing
    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(f"the review store '{self.path}' cannot be opened ({exc}); set "
                                     "TEXTMINE_REVIEW_DB to a writable file") from exc
        conn.row_factory = sqlite3.Row
        if not self._ready:
            try:
                with conn:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(_SCHEMA)
            except sqlite3.DatabaseError as exc:  # not a database, read-only, disk full
                conn.close()
                raise ConfigurationError(f"the review store '{self.path}' cannot be used ({exc}); set "
                                         "TEXTMINE_REVIEW_DB to a writable SQLite file") from exc
            self._ready = True
        return conn

    # ----------------------------------------------------------------------------------- judgments
    def record(self, text: str, model_output: dict, labels: Sequence[str], clue: bool, reviewer: str,
               note_id: str | None = None, kind: str | None = None, comment: str | None = None,
               allowed_labels: Iterable[str] | None = None) -> dict:
        """Append one judgment and return it (with its ``id`` and ``verdict``).

        ``verdict`` is ``confirmed`` when the reviewer's labels and clue equal the model's, else
        ``corrected``. Raises InputError for an empty reviewer name or a category the model does not know.
        """
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise InputError("the reviewer's name is empty; give your name so the judgment can be traced")
        allowed = list(allowed_labels) if allowed_labels is not None else list(model_output.get("scores", {}))
        unknown = [lab for lab in labels if lab not in allowed]
        if unknown:
            raise InputError(f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))}; "
                             f"the categories are: {', '.join(allowed)}")
        if kind is not None and kind not in KINDS:
            raise InputError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
        ordered = [lab for lab in allowed if lab in set(labels)]  # model order, no repeats
        model_labels = list(model_output.get("labels", []))
        model_clue = model_output.get("clue")
        verdict = "confirmed" if (set(ordered) == set(model_labels) and bool(clue) == model_clue) else "corrected"
        row = {
            "created": _now(), "reviewer": reviewer, "note_id": None if note_id is None else str(note_id),
            "kind": kind, "text": text, "text_sha256": text_sha256(text),
            "model_version": str(model_output.get("model", "")), "model_labels": json.dumps(model_labels),
            "model_clue": None if model_clue is None else int(bool(model_clue)),
            "model_output": json.dumps(_compact(model_output), ensure_ascii=False),
            "labels": json.dumps(ordered), "clue": int(bool(clue)), "verdict": verdict, "comment": comment,
        }
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(f"INSERT INTO judgments ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                               list(row.values()))
            row["id"] = cur.lastrowid
        return self._judgment(row)

    @staticmethod
    def _judgment(row) -> dict:
        d = dict(row)
        d["labels"] = json.loads(d["labels"])
        d["model_labels"] = json.loads(d["model_labels"])
        d["clue"] = bool(d["clue"])
        d["model_clue"] = None if d["model_clue"] is None else bool(d["model_clue"])
        d["model_output"] = json.loads(d["model_output"]) if isinstance(d["model_output"], str) else d["model_output"]
        return {"id": d["id"], **{k: v for k, v in d.items() if k != "id"}}

    def judgments(self, limit: int | None = None, newest_first: bool = True) -> list[dict]:
        """The audit trail: every judgment ever recorded (newest first by default)."""
        sql = f"SELECT * FROM judgments ORDER BY id {'DESC' if newest_first else 'ASC'}"
        params: list = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with closing(self._connect()) as conn:
            return [self._judgment(r) for r in conn.execute(sql, params)]

    def latest(self) -> list[dict]:
        """The judgment that counts for each reviewed note: its most recent one, oldest note first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM judgments WHERE id IN "
                                "(SELECT MAX(id) FROM judgments GROUP BY text_sha256) ORDER BY id")
            return [self._judgment(r) for r in rows]

    def reviewed_notes(self, labels: Sequence[str] | None = None) -> list[Note]:
        """Corpus notes from the latest judgment of every reviewed note (id ``review-<judgment id>``).

        With ``labels`` (the label set being trained), a judgment naming another label is skipped
        rather than silently changing the taxonomy.
        """
        out = []
        for j in self.latest():
            if labels is not None and any(lab not in labels for lab in j["labels"]):
                continue
            out.append(Note(id=f"review-{j['id']}", text=j["text"], labels=list(j["labels"]), clue=j["clue"],
                            kind=j["kind"], evidence={}, source=str(self.path), line=j["id"]))
        return out

    def export_jsonl(self, out: Path | str, default_kind: str = "petition") -> int:
        """Write the reviewed notes in the corpus format (CONTRACT.md) to ``out``; returns how many.

        Evidence lists are empty (reviewers judge labels and clue, not spans); a note without a
        recorded kind gets ``default_kind``.
        """
        notes = self.reviewed_notes()
        with open(out, "w", encoding="utf-8") as fh:
            for n in notes:
                fh.write(json.dumps({"id": n.id, "kind": n.kind or default_kind, "text": n.text, "labels": n.labels,
                                     "clue": bool(n.clue),
                                     "evidence": {k: [] for k in ("persons", "amounts", "dates", "places", "acts")}},
                                    ensure_ascii=False) + "\n")
        return len(notes)

    def counts(self) -> dict:
        """How many judgments, reviewed notes, corrections and notes still waiting."""
        with closing(self._connect()) as conn:
            judgments, notes = conn.execute("SELECT COUNT(*), COUNT(DISTINCT text_sha256) FROM judgments").fetchone()
            corrected = conn.execute("SELECT COUNT(*) FROM judgments WHERE verdict = 'corrected'").fetchone()[0]
            waiting = conn.execute("SELECT COUNT(*) FROM pending WHERE text_sha256 NOT IN "
                                   "(SELECT text_sha256 FROM judgments)").fetchone()[0]
        return {"judgments": judgments, "reviewed_notes": notes, "corrected": corrected, "waiting": waiting}

    # ----------------------------------------------------------------------------------- queue
    def add_pending(self, notes: Sequence[tuple[str | None, str]], results: Sequence[dict],
                    thresholds: dict[str, float], clue_threshold: float | None) -> int:
        """Put notes (``(id, text)`` pairs with the model's results for them) in the review queue.

        A note already waiting (same text) is not added twice. Returns how many were added.
        """
        added = 0
        with closing(self._connect()) as conn, conn:
            for (nid, text), res in zip(notes, results, strict=True):
                cur = conn.execute(
                    "INSERT OR IGNORE INTO pending (added, note_id, text, text_sha256, model_version, result, uncertainty)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (_now(), None if nid is None else str(nid), text, text_sha256(text), str(res.get("model", "")),
                     json.dumps(_compact(res), ensure_ascii=False), uncertainty(res, thresholds, clue_threshold)))
                added += cur.rowcount
        return added

    def queue(self, limit: int = 20, model=None) -> list[dict]:
        """Waiting notes not yet judged, least sure first.

        With ``model``, notes scored by another model version are scored again first, so the
        order always reflects the model being served.
        """
        if model is not None:
            self._rescore(model)
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT * FROM pending WHERE text_sha256 NOT IN (SELECT text_sha256 FROM judgments) "
                "ORDER BY uncertainty DESC, id ASC LIMIT ?", (int(limit),)).fetchall()
        out = []
        for r in rows:
            res = json.loads(r["result"])
            out.append({"id": r["note_id"] if r["note_id"] is not None else f"queue-{r['id']}", "text": r["text"],
                        "uncertainty": r["uncertainty"], "added": r["added"], **res})
        return out

    def _rescore(self, model, batch: int = 256) -> None:
        version = model.version
        with closing(self._connect()) as conn:
            stale = conn.execute("SELECT id, text FROM pending WHERE model_version != ? AND text_sha256 NOT IN "
                                 "(SELECT text_sha256 FROM judgments)", (version,)).fetchall()
            thresholds = model.thresholds
            clue_t = None if model.clue is None else float(model.clue.threshold_)
            for i in range(0, len(stale), batch):
                chunk = stale[i:i + batch]
                results = model.classify_many([r["text"] for r in chunk], explain=False)
                with conn:
                    conn.executemany("UPDATE pending SET model_version = ?, result = ?, uncertainty = ? WHERE id = ?",
                                     [(version, json.dumps(_compact(res), ensure_ascii=False),
                                       uncertainty(res, thresholds, clue_t), r["id"]) for r, res in zip(chunk, results)])

"""Stage: screen a petition export before an inspection — every row tagged, scored, grouped
with its repeats, ranked, and summarised in one offline report.

``textmine screen INPUT --out DIR`` reads CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected),
XLSX (every sheet, or ``--sheet``) and JSONL, and writes

- ``DIR/screened.csv`` (UTF-8 with BOM) and ``DIR/screened.xlsx``: every readable row in input
  order, its columns unchanged (phone and ID-card numbers masked unless ``--no-mask``), then
  ``labels``, ``score_<id>`` per category, ``clue``, ``clue_score``, ``evidence``, ``group``,
  ``rank`` (CONTRACT.md), then ``group_size``, ``row`` (the input data row, as in errors.csv) and,
  for several sheets, ``sheet``;
- ``DIR/errors.csv``: ``row``, ``reason`` for each row that could not be screened;
- ``DIR/report.html``: one self-contained page (see :mod:`textmine.report`).

How it stays fast and small on a million rows:

- rows stream from :func:`textmine.readers.read_records` and go to worker processes in chunks;
  each worker loads the model once (``--jobs``, default all cores) and returns tags, evidence and
  a duplicate sketch per row; results are consumed in input order;
- results are spilled to a temporary file as they come, so memory holds a few per-row numbers
  (clue score, group) and never the rows; a second pass over the spill writes the outputs once
  the groups (:mod:`textmine.dedup`) and ranks are known;
- the XLSX is written with openpyxl's write-only mode (by a second process, from the same spill,
  while this one writes the CSV); past Excel's 1,048,576 rows only the CSV is written, and the
  report says so.

Tagging is :meth:`textmine.model.Model.classify_many` — nothing here decides a category.
Note text never goes to logs or the terminal; the terminal gets counts only.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import shutil
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .errors import ColumnNotFoundError, ConfigurationError, InputError, TextmineError
from .parallel import usable_cpus

__all__ = ["screen_file", "screen_rows", "ScreenSummary", "ColumnPlan", "plan_columns", "evidence_summary",
           "village_name", "register_cli", "EXCEL_MAX_ROWS"]

#: Excel's sheet limit, header row included.
EXCEL_MAX_ROWS = 1_048_576
CHUNK_ROWS = 256
#: Below this many rows, starting worker processes (each loads the model) costs more than it saves.
IN_PROCESS_ROWS = 1500
TOP_CLUES = 30
TOP_GROUPS = 30
MEMBERS_SHOWN = 8
_EVIDENCE_NAMES = {"persons": "人员", "amounts": "金额", "dates": "时间", "places": "地点", "acts": "行为"}
_MAX_VILLAGES_TRACKED = 50_000


# --------------------------------------------------------------------------------------------- columns
@dataclass
class ColumnPlan:
    """Which columns of one header hold the text (joined in order), id, village/place and date."""

    text: list[str]
    id: str | None = None
    place: str | None = None
    date: str | None = None


def plan_columns(columns: list[str], text_columns: list[str] | None = None, id_column: str | None = None,
                 place_column: str | None = None, date_column: str | None = None) -> ColumnPlan:
    """Find the text column(s) by their usual names (标题 + 内容 are joined) and the id, place and
    date columns when present; named columns must exist (``text_columns`` may hold several names,
    also as "标题,内容"). Raises ColumnNotFoundError listing the columns found."""
    from .readers import (DATE_COLUMN_NAMES, ID_COLUMN_NAMES, PLACE_COLUMN_NAMES, TEXT_COLUMN_NAMES,
                          find_column, find_text_columns)

    text_columns = _split_names(text_columns)
    if text_columns:
        text = [find_column(columns, c, TEXT_COLUMN_NAMES, "text", "--text-column") for c in text_columns]
    else:
        text = find_text_columns(columns, None)
    rest = [c for c in columns if c not in text]
    ident = find_column(rest, id_column, ID_COLUMN_NAMES, "id", "--id-column", required=False) \
        if id_column else find_column(rest, None, ID_COLUMN_NAMES, "id", "", required=False)
    # A guessed place/date column must not be one that only mentions 村 or 时间 in passing
    # (村民姓名, 处理时间): such names are left out before matching.
    place = find_column(rest, place_column, PLACE_COLUMN_NAMES, "village/place", "--place-column") \
        if place_column else _guess(rest, PLACE_COLUMN_NAMES, avoid=("村民", "姓名", "电话", "人"))
    date_ = find_column(rest, date_column, DATE_COLUMN_NAMES, "date", "--date-column") \
        if date_column else _guess(rest, DATE_COLUMN_NAMES, avoid=("处理", "办理", "回复", "答复", "办结", "截止"))
    return ColumnPlan(text, ident, place, date_)


def _guess(columns: list[str], names: tuple[str, ...], avoid: tuple[str, ...]) -> str | None:
    from .readers import find_column

    usable = [c for c in columns if not any(a in str(c) for a in avoid)]
    return find_column(usable, None, names, "", "", required=False)


def _split_names(values: list[str] | None) -> list[str] | None:
    """``--text-column 标题,内容`` and repeated ``--text-column`` both give a list of names."""
    if not values:
        return None
    out = [v.strip() for value in values for v in re.split(r"[,，]", value) if v.strip()]
    return out or None


# --------------------------------------------------------------------------------------------- values
def _cell_text(value) -> str:
    """A cell as text: dates without a midnight time, integral floats without '.0'."""
    if type(value) is str:  # nearly every cell of a CSV: skip the checks below
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) \
            else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


_SPACES = re.compile(r"\s+")
_VILLAGE_RE = re.compile(r"([\u4e00-\u9fff]{1,12}?(?:村委会|村民委员会|村|社区|居委会|嘎查))")
_ABOVE_VILLAGE = re.compile(r"^.*(?:省|自治区|市|县|区|旗|镇|乡|街道|办事处)")


def village_name(value) -> str:
    """The village in a place cell: 郸城县汲冢镇后刘庄村三组 → 后刘庄村; a cell without a village
    (a township, a street) is kept as written, trimmed."""
    text = _SPACES.sub("", _cell_text(value))
    if not text:
        return ""
    m = _VILLAGE_RE.search(text)
    if not m:
        return text[:20]
    name = _ABOVE_VILLAGE.sub("", m.group(1)) or m.group(1)
    return re.sub(r"村委会$|村民委员会$", "村", name)


def evidence_summary(evidence: dict, per_kind: int = 3) -> str:
    """A short readable line: 人员：村支书刘某某、王某；金额：1200元；… (at most ``per_kind`` items each)."""
    parts = []
    for kind, name in _EVIDENCE_NAMES.items():
        items = list(dict.fromkeys(i["text"].strip() for i in evidence.get(kind, []) if i["text"].strip()))
        if items:
            more = f" 等{len(items)}项" if len(items) > per_kind else ""
            parts.append(f"{name}：{'、'.join(items[:per_kind])}{more}")
    return "；".join(parts)


# --------------------------------------------------------------------------------------------- workers
@dataclass
class _Row:
    """One readable input row on its way to the model."""

    row: int
    sheet: str | None
    fields: dict
    text: str
    id: object
    village: str
    date: str


class _Screener:
    """Classify chunks of rows with one model; the same code runs in-process and in workers."""

    def __init__(self, model, mask: bool):
        from .dedup import MinHasher

        self.model = model
        self.mask = mask
        self.hasher = MinHasher()

    def run(self, rows: list[_Row]):
        """Results for ``rows`` in order: (labels, per-row summaries, spill blob, signatures, facts,
        places, failures).

        The spill blob is the pickled list of full per-row tuples (fields, text, scores, evidence),
        made here so that the parent, which must keep up with every worker, only writes bytes; it
        gets the few values it counts as ``summaries`` (labels, clue, clue score, village, date).
        """
        from .dedup import NoteSketch
        from .mask import mask_text, mask_value

        results, failures = self._classify(rows)
        labels = list(self.model.labels)
        kept = [(r, res) for r, res in zip(rows, results) if res is not None]
        sigs, facts, places = NoteSketch.stacked(self.hasher, [r.text for r, _ in kept],
                                                 [res["evidence"] for _, res in kept])
        out = []
        for r, res in kept:
            ev = res["evidence"]
            village = r.village or _village_from_evidence(ev)
            if self.mask:
                # Masking keeps lengths, so evidence offsets stay valid on the masked text.
                ev = {k: [dict(i, text=mask_text(i["text"])) for i in items] for k, items in ev.items()}
                fields = {k: mask_value(v) for k, v in r.fields.items()}
                text = mask_text(r.text)
            else:
                fields, text = r.fields, r.text
            out.append((r.row, r.sheet, fields, text, r.id, village, r.date, res["labels"],
                        tuple(res["scores"][lab] for lab in labels), res["clue"], res["clue_score"],
                        evidence_summary(ev), ev))
        summaries = [(item[7], item[9], item[10], item[5], item[6]) for item in out]
        return (labels, summaries, pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL), sigs, facts, places,
                failures)

    def _classify(self, rows: list[_Row]):
        texts = [r.text for r in rows]
        try:
            return self.model.classify_many(texts, ids=[r.id for r in rows], explain=False), []
        except Exception:  # noqa: BLE001 — one note that trips the model must not sink its chunk (or the run)
            pass  # classify one by one below, to find that note and report it as a bad row
        results, failures = [], []
        for r in rows:
            try:
                results.append(self.model.classify(r.text, id=r.id, explain=False))
            except TextmineError as exc:
                results.append(None)
                failures.append((r.row, r.sheet, f"the note could not be classified: {exc}"))
            except Exception as exc:  # noqa: BLE001 — a model fault on one note is that row's error, not the file's
                results.append(None)
                failures.append((r.row, r.sheet, f"the note could not be classified (internal error "
                                                 f"{type(exc).__name__}); please report it with the row number"))
        return results, failures


def _village_from_evidence(evidence: dict) -> str:
    for item in evidence.get("places", []):
        name = village_name(item["text"])
        if name.endswith(("村", "社区", "嘎查")) and "某" not in name:
            return name
    return ""


_WORKER: _Screener | None = None
_WORKER_ERROR: TextmineError | None = None


def _init_worker(model_path, mask: bool) -> None:
    global _WORKER, _WORKER_ERROR
    from .persist import load_model

    try:
        model = load_model(model_path)
        model.warm_up()
        _WORKER = _Screener(model, mask)
    except TextmineError as exc:
        # An exception escaping an initializer only says "BrokenProcessPool"; keep it and raise it
        # from the first task instead, where it reaches the user with its plain message.
        _WORKER_ERROR = exc


def _run_in_worker(rows: list[_Row]):
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    return _WORKER.run(rows)


def _ordered_results(chunks: Iterator[list[_Row]], jobs: int, model_path, mask: bool, model=None):
    """Results of :meth:`_Screener.run` per chunk, in input order. With ``jobs > 1`` chunks go to
    worker processes (spawned, each loading the model once), a bounded number at a time."""
    if jobs <= 1:
        if model is None:
            from .persist import load_model

            model = load_model(model_path)
        screener = _Screener(model, mask)
        for chunk in chunks:
            yield chunk, screener.run(chunk)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(model_path, mask)) as pool:
        window: deque = deque()
        for chunk in chunks:
            window.append((chunk, pool.submit(_run_in_worker, chunk)))
            if len(window) >= jobs * 3:
                c, fut = window.popleft()
                yield c, fut.result()
        while window:
            c, fut = window.popleft()
            yield c, fut.result()


# --------------------------------------------------------------------------------------------- reading
@dataclass
class _ReadStats:
    errors: int = 0
    trailing_blank: int = 0
    title_rows: int = 0
    columns: dict = field(default_factory=dict)  # output columns in order of first appearance
    text_columns: list = field(default_factory=list)
    plans: list = field(default_factory=list)  # the column plans used, in order (for the summary)
    guessed_text: str | None = None  # a text column recognised by its contents, not its name


def _peek(rec, records: Iterator, lookahead: list, size: int) -> list:
    """``rec`` and up to ``size - 1`` records after it, taken from ``lookahead`` first, then from
    ``records``; the caller puts back (``lookahead[:0] = …``) what it does not consume."""
    window = [rec]
    while len(window) < size:
        nxt = lookahead.pop(0) if lookahead else next(records, None)
        if nxt is None:
            break
        window.append(nxt)
    return window


class _RowSource:
    """Turn reader records into good rows and bad-row reports.

    - the columns are planned per header (each XLSX sheet has its own, and JSONL lines may differ);
    - a header without a text column may be a title row above the real header (登记表 exports
      often have one): the next few rows are tried as the header;
    - blank rows are reported, except the blank rows that close a sheet or file (Excel keeps
      formatted empty rows there) which are only counted.
    """

    def __init__(self, records: Iterator, options: dict, stats: _ReadStats, on_error, strict: bool):
        self.records = records
        self.options = options
        self.stats = stats
        self.on_error = on_error
        # strict: no header of the file has a text column, so the first header that has none
        # (and no real header below it) is a fatal, plain-language error rather than N bad rows.
        self.strict = strict
        self.planned = False
        self.plans: dict[tuple, ColumnPlan | str] = {}
        self.remap: dict[tuple, list[str]] = {}  # header keys → the real header found below a title row
        self.multi_sheet = False

    def _plan(self, keys: tuple) -> ColumnPlan | str:
        plan = self.plans.get(keys)
        if plan is None:
            try:
                plan = plan_columns(list(keys), **self.options)
            except ColumnNotFoundError as exc:
                plan = str(exc)
            if len(self.plans) < 10_000:
                self.plans[keys] = plan
        return plan

    def rows(self) -> Iterator[_Row]:
        pending_blank: list = []
        lookahead: list = []
        records = iter(self.records)
        while True:
            rec = lookahead.pop(0) if lookahead else next(records, None)
            if rec is None:
                break
            if rec.sheet is not None and rec.fields:
                self.multi_sheet = True
            if rec.fields is not None and not rec.fields:
                pending_blank.append(rec)
                continue
            if pending_blank:
                # Blank rows followed by data on the same sheet are real gaps: report them.
                same_sheet = [b for b in pending_blank if rec.sheet is None or b.sheet == rec.sheet]
                for b in same_sheet:
                    self._error(b, "the row is empty")
                self.stats.trailing_blank += len(pending_blank) - len(same_sheet)
                pending_blank = []
            if rec.fields is None:
                self._error(rec, rec.reason or "the row could not be read (broken line); fix or remove it")
                continue
            keys = tuple(rec.fields)
            if keys in self.remap:
                rec.fields = dict(zip(self.remap[keys], rec.fields.values()))
                keys = tuple(rec.fields)
            plan = self._plan(keys)
            if isinstance(plan, str):
                real = self._find_header_below(rec, records, lookahead)
                if real is not None:
                    continue
                guessed = self._guess_by_content(rec, records, lookahead)
                if guessed is not None:
                    plan = guessed
                elif self.strict and not self.planned:
                    raise ColumnNotFoundError(plan)
                else:
                    self._error(rec, plan)
                    continue
            self.planned = True
            if plan.text != self.stats.text_columns:
                self.stats.text_columns = plan.text
                self.stats.plans.append(plan)
            for c in keys:
                self.stats.columns.setdefault(c, None)
            row = self._row(rec, plan)
            if isinstance(row, str):
                self._error(rec, row)
            else:
                yield row
        self.stats.trailing_blank += len(pending_blank)

    def _guess_by_content(self, rec, records, lookahead: list) -> ColumnPlan | None:
        """When no column has a usual text name (and none was named), the column whose cells are
        longest Chinese prose over the first rows is the text — if there is a clear one."""
        if self.options.get("text_columns"):
            return None
        keys = tuple(rec.fields)
        window = _peek(rec, records, lookahead, 20)
        lookahead[:0] = window[1:]
        same = [r.fields for r in window if r.fields and tuple(r.fields) == keys]
        best, best_len = None, 0.0
        for col in keys:
            if str(col).startswith(("处理", "办理", "回复", "答复", "意见", "备注", "结果")):
                continue
            cells = [_cell_text(f.get(col)) for f in same]
            cjk = [sum("\u4e00" <= ch <= "\u9fff" for ch in c) for c in cells]
            mean = sum(cjk) / max(1, len(cells))
            if mean > best_len:
                best, best_len = col, mean
        if best is None or best_len < 15:
            return None
        try:
            plan = plan_columns(list(keys), **dict(self.options, text_columns=[best]))
        except ColumnNotFoundError:
            return None
        self.plans[keys] = plan
        self.stats.guessed_text = best
        return plan

    def _find_header_below(self, rec, records, lookahead: list) -> list[str] | None:
        """If ``rec`` (or one of the next four rows) is the real header, remember it and return it."""
        from .readers import _unique_header

        window = _peek(rec, records, lookahead, 5)
        keys = tuple(rec.fields)
        for k, cand in enumerate(window):
            if not cand.fields or tuple(cand.fields) != keys:
                continue
            names = _unique_header([_cell_text(v) for v in cand.fields.values()])
            plan = self._plan(tuple(names))
            if isinstance(plan, ColumnPlan):
                self.remap[keys] = names
                self.stats.title_rows += k + 1  # the rows above and the header itself
                lookahead[:0] = window[k + 1:]
                return names
        lookahead[:0] = window[1:]
        return None

    def _row(self, rec, plan: ColumnPlan) -> _Row | str:
        f = rec.fields
        parts = [_cell_text(f.get(c)).strip() for c in plan.text]
        text = "\n".join(p for p in parts if p)
        if not text:
            what = "column" if len(plan.text) == 1 else "columns"
            verb = "is" if len(plan.text) == 1 else "are"
            return f"the text {what} ({'、'.join(plan.text)}) {verb} empty"
        ident = f.get(plan.id) if plan.id else None
        ident = _cell_text(ident).strip() if ident not in (None, "") else rec.row
        village = village_name(f.get(plan.place)) if plan.place else ""
        return _Row(rec.row, rec.sheet, f, text, ident or rec.row, village,
                    _cell_text(f.get(plan.date)).strip() if plan.date else "")

    def _error(self, rec, reason: str) -> None:
        self.on_error(rec.row, rec.sheet, reason)


def _estimate_rows(path: Path, sheet: str | None) -> int | None:
    """Rough row count for the progress bar's ETA: the sheets' dimensions for XLSX, lines for
    JSONL, and for CSV the file size over the mean size of the first rows (notes span lines)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            try:
                names = [sheet] if sheet else wb.sheetnames
                return sum(max(0, (wb[n].max_row or 1) - 1) for n in names if n in wb.sheetnames)
            finally:
                wb.close()
        size = path.stat().st_size
        if suffix in (".jsonl", ".json"):
            lines = 0
            with open(path, "rb") as fh:
                while block := fh.read(1 << 22):
                    lines += block.count(b"\n")
            return lines
        with open(path, "rb") as fh:
            head = fh.read(1 << 22)
        if len(head) < (1 << 22):
            return None  # small file: done before an ETA would matter
        sample = head[: head.rfind(b"\n") + 1].decode("utf-8", errors="replace")
        rows = sum(1 for _ in csv.reader(io.StringIO(sample))) - 1
        return int(size / (len(head) / max(1, rows))) if rows > 0 else None
    except (OSError, ValueError, KeyError, csv.Error):
        return None  # only the progress bar's total is lost


# --------------------------------------------------------------------------------------------- pipeline
@dataclass
class ScreenSummary:
    """What a screening run did (counts, output paths)."""

    rows_read: int = 0
    rows_screened: int = 0
    errors: int = 0
    clues: int = 0
    groups: int = 0
    rows_in_groups: int = 0
    trailing_blank: int = 0
    title_rows: int = 0
    seconds: float = 0.0
    jobs: int = 1
    xlsx_written: bool = False
    out_dir: Path | None = None
    outputs: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # seconds per phase: classify, group, write
    plans: list = field(default_factory=list)  # ColumnPlan(s) used: which columns were text, id, place, date
    guessed_text: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows_screened / self.seconds if self.seconds else 0.0


class _Run:
    """Pass 1 of a screening run: rows → model → spill file + per-row arrays; then groups and ranks."""

    def __init__(self, path: Path, work: Path, *, model=None, model_path=None, text_columns=None, id_column=None,
                 place_column=None, date_column=None, sheet=None, jobs: int | None = None, mask: bool = True,
                 progress: bool = False, on_error=None):
        self.path = Path(path)
        self.work = work
        self.model = model
        self.model_path = model_path
        self.options = dict(text_columns=_split_names(text_columns), id_column=id_column,
                            place_column=place_column, date_column=date_column)
        self.sheet = sheet
        self.jobs = jobs
        self.mask = mask
        self.progress = progress
        self.on_error = on_error or (lambda row, sheet, reason: None)
        self.stats = _ReadStats()
        self.labels: list[str] = []

    def run(self) -> None:
        import numpy as np
        from tqdm import tqdm

        from .readers import read_records

        started = time.monotonic()
        header, records = read_records(self.path, self.sheet)
        strict = self._check_columns(header)
        source = _RowSource(records, self.options, self.stats, self._error, strict)
        self.source = source
        chunks = _chunked(source.rows(), CHUNK_ROWS)
        first, chunks, small = _peek_small(chunks, IN_PROCESS_ROWS)
        jobs = self.jobs or usable_cpus()
        self.jobs_used = 1 if small else max(1, jobs)
        total = _estimate_rows(self.path, self.sheet)
        self.bar = tqdm(total=total, unit="rows", file=sys.stderr, disable=not self.progress, mininterval=0.5,
                        dynamic_ncols=True, desc="screening", smoothing=0.1)
        # Per-row numbers kept for ranking: compact arrays, never the rows themselves.
        scores, clues = array("d"), array("b")
        self.villages: Counter = Counter()
        self.village_labels: Counter = Counter()
        self.village_clues: Counter = Counter()
        self.label_counts: Counter = Counter()
        self.label_clues: Counter = Counter()
        self.dates: list = [None, None]
        n = 0
        try:
            with open(self.work / "rows.pkl", "wb") as spill, open(self.work / "sig.bin", "wb") as sigf, \
                    open(self.work / "facts.bin", "wb") as factf, open(self.work / "places.bin", "wb") as placef:
                for chunk, (labels, summaries, blob, sig, facts, places, failures) in _ordered_results(
                        _chain(first, chunks), self.jobs_used, self.model_path, self.mask, self.model):
                    self.labels = labels
                    for row, sheet_, reason in failures:
                        self._error(row, sheet_, reason)
                    spill.write(blob)
                    for labs, clue, clue_score, village, day in summaries:
                        scores.append(-1.0 if clue_score is None else clue_score)
                        clues.append(bool(clue))
                        self._count(labs, bool(clue), village, day)
                    sigf.write(sig.tobytes())
                    factf.write(facts.tobytes())
                    placef.write(places.tobytes())
                    n += len(summaries)
                    self.bar.update(len(chunk))
        finally:
            self.bar.close()
        self.n = n
        self.clue_scores = np.frombuffer(scores, dtype=np.float64) if n else np.zeros(0)
        self.is_clue = np.frombuffer(clues, dtype=np.int8).astype(bool) if n else np.zeros(0, dtype=bool)
        self.timings = {"classify": time.monotonic() - started}
        started = time.monotonic()
        self._group()
        self._rank()
        self.timings["group"] = time.monotonic() - started

    def _check_columns(self, header: list[str]) -> bool:
        """Whether column problems are fatal (see ``_RowSource.strict``): True when no header of the
        file has the text column. JSONL has no title rows, so there it fails here, before any work."""
        if not header:
            return False  # JSONL whose first line is broken: columns are checked line by line
        try:
            plan_columns(header, **self.options)
            return False
        except ColumnNotFoundError:
            if self.path.suffix.lower() in (".jsonl", ".json"):
                raise
            return True

    def _error(self, row, sheet, reason) -> None:
        self.stats.errors += 1
        self.on_error(row, sheet, reason)
        if hasattr(self, "bar") and not self.bar.disable:
            self.bar.update(1)

    def _count(self, labels: list[str], clue: bool, village: str, day: str) -> None:
        village = village or "（未注明）"
        if village not in self.villages and len(self.villages) >= _MAX_VILLAGES_TRACKED:
            village = "（其他）"
        self.villages[village] += 1
        for lab in labels:
            self.village_labels[village, lab] += 1
            self.label_counts[lab] += 1
            if clue:
                self.label_clues[lab] += 1
        if not labels:
            self.village_labels[village, ""] += 1
            self.label_counts[""] += 1
        if clue:
            self.village_clues[village] += 1
        key = _date_key(day)
        if key is not None:
            if self.dates[0] is None or key < self.dates[0][0]:
                self.dates[0] = (key, day)
            if self.dates[1] is None or key > self.dates[1][0]:
                self.dates[1] = (key, day)

    def _group(self) -> None:
        import numpy as np

        from .dedup import MAX_FACTS, MAX_PLACES, NUM_PERM, find_groups

        if self.n == 0:
            self.group = np.zeros(0, dtype=np.int64)
            self.group_size = np.zeros(0, dtype=np.int64)
            return
        # Read into memory (about 300 bytes a row, 300 MB for a million): grouping picks rows at random,
        # and indexing a memory map costs several times more per call. The workers have exited by now.
        sig = np.fromfile(self.work / "sig.bin", dtype=np.uint16).reshape(self.n, NUM_PERM)
        facts = np.fromfile(self.work / "facts.bin", dtype=np.uint32).reshape(self.n, MAX_FACTS)
        places = np.fromfile(self.work / "places.bin", dtype=np.uint32).reshape(self.n, MAX_PLACES)
        self.group = find_groups(sig, facts, places)
        del sig, facts, places
        sizes = np.bincount(self.group)
        sizes[0] = 1
        self.group_size = sizes[self.group]

    def _rank(self) -> None:
        import numpy as np

        # Clues first, by clue score; a matter sent many times before one sent once at equal
        # score; then input order.
        order = np.lexsort((np.arange(self.n), -self.group_size, -self.clue_scores, ~self.is_clue))
        self.rank = np.empty(self.n, dtype=np.int64)
        self.rank[order] = np.arange(1, self.n + 1)

    def spilled(self) -> Iterator[tuple]:
        """The spilled rows in input order (the spill is a sequence of pickled chunks)."""
        with open(self.work / "rows.pkl", "rb") as fh:
            while True:
                try:
                    yield from pickle.load(fh)
                except EOFError:
                    return


def _date_key(value: str):
    m = re.search(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?", value or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _chunked(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _peek_small(chunks: Iterator[list], limit: int):
    """Read chunks until ``limit`` rows or the end: (read chunks, the rest, whether that was all)."""
    first, n = [], 0
    for chunk in chunks:
        first.append(chunk)
        n += len(chunk)
        if n > limit:
            return first, chunks, False
    return first, iter(()), True


def _chain(first: list, rest: Iterator):
    yield from first
    yield from rest


# --------------------------------------------------------------------------------------------- outputs
def _output_header(run: _Run) -> list[str]:
    labels = run.model_labels
    extra = ["group_size", "row"] + (["sheet"] if run.source.multi_sheet else [])
    return list(run.stats.columns) + ["labels"] + [f"score_{lab}" for lab in labels] + \
        ["clue", "clue_score", "evidence", "group", "rank"] + extra


def _output_values(item: tuple, group: int, rank: int, group_size: int, columns: list[str],
                   multi_sheet: bool) -> list:
    """One output row: the input columns, then the contract columns, then the extra ones."""
    row, sheet, fields, _text, _id, _village, _date, labels, scores, clue, clue_score, summary, _ev = item
    values = [fields.get(c) for c in columns]
    values += ["|".join(labels)] + list(scores)
    values += [None if clue is None else bool(clue), clue_score, summary, group or None, rank,
               group_size if group else 1, row]
    if multi_sheet:
        values.append(sheet)
    return values


#: From this many rows on, the workbook is written by a second process while this one writes
#: the CSV (openpyxl is the slowest writer; below this, starting a process costs more).
XLSX_PROCESS_ROWS = 20_000


def _write_xlsx(work: Path, path: Path, header: list[str], columns: list[str], multi_sheet: bool) -> None:
    """Write ``screened.xlsx`` from a run's spill and its saved group/rank arrays (runs in a child
    process for large files; see XLSX_PROCESS_ROWS)."""
    import numpy as np

    arrays = np.load(work / "order.npz")
    group, rank, size = arrays["group"], arrays["rank"], arrays["group_size"]
    xlsx = _XlsxWriter(path, header)
    with open(work / "rows.pkl", "rb") as fh:
        i = 0
        while True:
            try:
                chunk = pickle.load(fh)
            except EOFError:
                break
            for item in chunk:
                xlsx.append(_output_values(item, int(group[i]), int(rank[i]), int(size[i]), columns, multi_sheet))
                i += 1
    xlsx.close()


def _csv_value(v) -> str:
    if type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return _cell_text(v)


class _XlsxWriter:
    """The screened sheet: header bold and frozen, an auto-filter, strings kept as strings (a note
    starting with '=' is not a formula), nested values as text (see :mod:`textmine.xlsx`)."""

    def __init__(self, path: Path, header: list[str]):
        from .xlsx import XlsxWriter

        self.writer = XlsxWriter(path, [str(h) for h in header], sheet="screened")

    def append(self, values: list) -> None:
        self.writer.append([_cell_text(v) if isinstance(v, (dict, list, tuple)) else v for v in values])

    def close(self) -> None:
        self.writer.close()


def screen_file(path: Path | str, out_dir: Path | str, *, model=None, model_path=None,
                text_columns: list[str] | None = None, id_column: str | None = None,
                place_column: str | None = None, date_column: str | None = None, sheet: str | None = None,
                jobs: int | None = None, mask: bool | None = None, progress: bool = False,
                top_clues: int = TOP_CLUES) -> ScreenSummary:
    """Screen ``path`` into ``out_dir`` (screened.csv/.xlsx, errors.csv, report.html).

    ``model`` is used in-process when given (and forces one process); otherwise workers load
    ``model_path`` (None: the bundled model). ``mask`` defaults to the
    ``mask_personal_numbers`` setting. Raises InputError subclasses for an unusable input
    (unreadable file, no text column); bad rows are written to errors.csv and skipped.
    """
    from .settings import get_settings

    started = time.monotonic()
    path = Path(path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"'{out}' is a file; give a folder for --out (it is created if needed)")
    out.mkdir(parents=True, exist_ok=True)
    if mask is None:
        mask = get_settings().mask_personal_numbers
    if jobs is not None and jobs < 1:
        raise ConfigurationError(f"--jobs must be 1 or more, not {jobs}")
    if model is not None:
        jobs = 1
    work = Path(tempfile.mkdtemp(prefix=".screen-", dir=out))
    err_path = out / "errors.csv"
    try:
        with open(err_path, "w", encoding="utf-8-sig", newline="") as errf:
            errw = csv.writer(errf)
            errw.writerow(["row", "reason"])

            def on_error(row, sheet_, reason):
                where = f"sheet '{sheet_}': " if sheet_ else ""
                errw.writerow([row, where + reason])

            run = _Run(path, work, model=model, model_path=model_path, text_columns=text_columns,
                       id_column=id_column, place_column=place_column, date_column=date_column, sheet=sheet,
                       jobs=jobs, mask=mask, progress=progress, on_error=on_error)
            run.run()
        run.model_labels = run.labels or _labels(model, model_path)
        summary = _write_outputs(run, out, progress, top_clues, path, mask)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary.seconds = time.monotonic() - started
    return summary


def _labels(model, model_path) -> list[str]:
    """Category ids when no row reached the model (the score columns are still written)."""
    if model is None:
        from .persist import load_model

        model = load_model(model_path)
    return list(model.labels)


def _write_outputs(run: _Run, out: Path, progress: bool, top_clues: int, path: Path, mask: bool) -> ScreenSummary:
    import numpy as np
    from tqdm import tqdm

    from .report import ScreenReport, write_report

    started = time.monotonic()
    header = _output_header(run)
    columns = list(run.stats.columns)
    write_xlsx = run.n + 1 <= EXCEL_MAX_ROWS
    csv_path, xlsx_path = out / "screened.csv", out / "screened.xlsx"
    if not write_xlsx and xlsx_path.exists():
        xlsx_path.unlink()  # an old workbook would not match this run's CSV
    # Which rows the report shows: the best-ranked clues and the largest groups' first members.
    top_rows = {int(i) for i in np.flatnonzero((run.rank <= top_clues) & run.is_clue)}
    sizes = np.bincount(run.group, minlength=1)
    # Largest groups first; equal sizes in the order of their first row.
    group_ids = [int(g) for g in (np.argsort(-sizes[1:], kind="stable") + 1)[:TOP_GROUPS]]
    shown_groups = {g: [] for g in group_ids}
    top_items = []
    multi = run.source.multi_sheet
    np.savez(run.work / "order.npz", group=run.group, rank=run.rank, group_size=run.group_size)
    pool = xlsx_job = None
    if write_xlsx and run.n >= XLSX_PROCESS_ROWS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        xlsx_job = pool.submit(_write_xlsx, run.work, xlsx_path, header, columns, multi)
    bar = tqdm(total=run.n, unit="rows", file=sys.stderr, disable=not progress, mininterval=0.5,
               dynamic_ncols=True, desc="writing")
    try:
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for i, item in enumerate(run.spilled()):
                g = int(run.group[i])
                values = _output_values(item, g, int(run.rank[i]), int(run.group_size[i]), columns, multi)
                w.writerow([_csv_value(v) for v in values])
                if i in top_rows:
                    top_items.append((int(run.rank[i]), g, int(run.group_size[i]) if g else 1, item))
                if g in shown_groups and len(shown_groups[g]) < MEMBERS_SHOWN:
                    shown_groups[g].append(item)
                if (i + 1) % 1024 == 0:
                    bar.update(1024)
            bar.update(run.n - bar.n)
        if write_xlsx and xlsx_job is None:
            _write_xlsx(run.work, xlsx_path, header, columns, multi)
        elif xlsx_job is not None:
            xlsx_job.result()
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
    groups_total = int(sizes.size - 1)
    rows_in_groups = int(sizes[1:].sum())
    summary = ScreenSummary(
        rows_read=run.n + run.stats.errors, rows_screened=run.n, errors=run.stats.errors,
        clues=int(run.is_clue.sum()), groups=groups_total, rows_in_groups=rows_in_groups,
        trailing_blank=run.stats.trailing_blank, title_rows=run.stats.title_rows, jobs=run.jobs_used,
        xlsx_written=write_xlsx, out_dir=out, plans=list(run.stats.plans), guessed_text=run.stats.guessed_text,
        outputs={"csv": csv_path, "errors": out / "errors.csv", "report": out / "report.html",
                 **({"xlsx": xlsx_path} if write_xlsx else {})})
    top_items.sort(key=lambda t: t[0])
    report = ScreenReport(
        source=path.name, labels=run.model_labels, summary=summary, masked=mask,
        label_counts=dict(run.label_counts), label_clues=dict(run.label_clues), villages=dict(run.villages),
        village_labels=dict(run.village_labels), village_clues=dict(run.village_clues),
        date_range=(run.dates[0][1] if run.dates[0] else None, run.dates[1][1] if run.dates[1] else None),
        top_clues=[_report_item(item, rank, g, size) for rank, g, size, item in top_items],
        groups=[{"group": g, "size": int(sizes[g]), "members": [_report_item(it, None, g, int(sizes[g]))
                                                                 for it in shown_groups[g]]} for g in group_ids],
    )
    write_report(report, out / "report.html")
    summary.timings = dict(run.timings, write=time.monotonic() - started)
    return summary


def _report_item(item: tuple, rank, group: int, size: int) -> dict:
    row, sheet, _fields, text, ident, village, day, labels, _scores, clue, clue_score, summary, ev = item
    return {"row": row, "sheet": sheet, "id": ident, "text": text, "village": village, "date": day,
            "labels": labels, "clue": clue, "clue_score": clue_score, "evidence": ev, "summary": summary,
            "rank": rank, "group": group or None, "group_size": size}


def screen_rows(path: Path | str, model, text_column: str | None = None, mask: bool = True,
                sheet: str | None = None) -> tuple[list[dict], list[tuple[int, str]]]:
    """Screen a (small) file in this process and return the rows as dicts and the bad rows as
    ``(row, reason)``; for the service, which answers in JSON rather than writing files.

    Each row has ``row``, ``id``, ``text``, ``labels``, ``scores``, ``clue``, ``clue_score``,
    ``evidence`` (the short summary), ``group``, ``group_size``, ``rank``, ``village``, ``date``.
    """
    errors: list[tuple[int, str]] = []
    work = Path(tempfile.mkdtemp(prefix="textmine-screen-"))
    try:
        run = _Run(Path(path), work, model=model, text_columns=[text_column] if text_column else None, sheet=sheet,
                   jobs=1, mask=mask, on_error=lambda row, sh, reason: errors.append(
                       (row, (f"sheet '{sh}': " if sh else "") + reason)))
        run.run()
        labels = list(model.labels)
        rows = []
        for i, item in enumerate(run.spilled()):
            row, sheet_, _f, text, ident, village, day, labs, scores, clue, clue_score, summary, _ev = item
            g = int(run.group[i])
            rows.append({"row": row, "id": ident, "text": text, "labels": labs,
                         "scores": dict(zip(labels, scores)), "clue": clue, "clue_score": clue_score,
                         "evidence": summary, "group": g or None, "group_size": int(run.group_size[i]) if g else 1,
                         "rank": int(run.rank[i]), "village": village, "date": day,
                         **({"sheet": sheet_} if sheet_ else {})})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    errors.sort()
    return rows, errors


# --------------------------------------------------------------------------------------------- CLI
def register_cli(subparsers) -> None:
    """Add ``textmine screen``."""
    p = subparsers.add_parser(
        "screen", help="screen a petition export: tag, score, group repeats, rank, report",
        description="Screen a CSV/TSV/XLSX/JSONL export of petitions. Writes screened.csv, screened.xlsx, "
                    "errors.csv and report.html to --out.")
    p.add_argument("input", help="CSV, TSV, XLSX or JSONL file")
    p.add_argument("--out", required=True, help="folder for the results (created if needed)")
    p.add_argument("--text-column", action="append",
                   help="text column(s); several are joined in order (--text-column 标题,内容). Default: guessed")
    p.add_argument("--id-column", help="id column (default: guessed, else the row number)")
    p.add_argument("--place-column", "--village-column", dest="place_column",
                   help="village/place column (default: guessed, else the village named in the text)")
    p.add_argument("--date-column", help="date column (default: guessed)")
    p.add_argument("--sheet", help="XLSX sheet (default: every sheet)")
    p.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    p.add_argument("--model", help="model folder (default: the bundled model)")
    p.add_argument("--no-mask", action="store_true", help="keep phone and ID-card numbers unmasked in the outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--top", type=int, default=TOP_CLUES, help=f"clues shown in the report (default {TOP_CLUES})")
    p.set_defaults(func=cmd_screen)


def cmd_screen(args) -> int:
    """Run ``textmine screen`` and print a summary (counts only: no note text on the terminal)."""
    path = Path(args.input)
    if not path.exists():
        raise InputError(f"file '{path}' does not exist; check the path")
    summary = screen_file(path, args.out, model_path=args.model, text_columns=args.text_column,
                          id_column=args.id_column, place_column=args.place_column, date_column=args.date_column,
                          sheet=args.sheet, jobs=args.jobs, mask=False if args.no_mask else None,
                          progress=not args.no_progress, top_clues=args.top)
    s = summary
    lines = [f"screened {s.rows_screened} rows in {s.seconds:.1f} s ({s.rows_per_second:.0f} rows/s, "
             f"{s.jobs} process{'es' if s.jobs > 1 else ''}) → {s.out_dir}",
             f"  clues: {s.clues}; repeated matters: {s.groups} groups covering {s.rows_in_groups} rows"]
    for plan in s.plans[:3]:
        used = [f"text: {' + '.join(plan.text)}"] + [f"{what}: {col}" for what, col in
                                                     (("id", plan.id), ("village/place", plan.place), ("date", plan.date))
                                                     if col]
        lines.append("  columns — " + "; ".join(used))
    if s.guessed_text:
        lines.append(f"  no column had a usual text name; '{s.guessed_text}' was taken as the text by its contents "
                     "(choose another with --text-column)")
    if s.errors:
        lines.append(f"  {s.errors} rows could not be screened: see {s.outputs['errors']}")
    if s.title_rows:
        lines.append(f"  {s.title_rows} title/header rows above the table were skipped")
    if s.trailing_blank:
        lines.append(f"  {s.trailing_blank} empty rows at the end of the file/sheets were ignored")
    if not s.xlsx_written:
        lines.append(f"  more rows than Excel can hold ({EXCEL_MAX_ROWS - 1:,}): only screened.csv was written")
    lines.append("  outputs: " + ", ".join(p.name for p in s.outputs.values()))
    print("\n".join(lines), file=sys.stderr)
    return 1 if s.errors else 0

"""Read the files offices actually have: CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX,
JSONL, TXT and DOCX — and find the text column among messy names.

Encodings are detected, not assumed: a file is tried as UTF-8 (with or without BOM) and then as
GB18030 (a superset of GBK and GB2312); a file that is neither is a plain-language error.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ColumnNotFoundError, FileFormatError

__all__ = ["read_text_file", "detect_encoding", "read_records", "find_column", "find_text_columns",
           "TEXT_COLUMN_NAMES", "Record", "TABLE_SUFFIXES"]

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".jsonl", ".json"}

#: Usual names of the text column in petition exports, most specific first.
TEXT_COLUMN_NAMES = ("text", "文本", "反映内容", "来信内容", "信访内容", "诉求内容", "留言详情", "留言内容", "问题描述", "问题内容",
                     "举报内容", "投诉内容", "来电内容", "主要内容", "内容", "正文", "详情", "事项", "描述",
                     "content", "body", "detail", "message",
                     # Less usual names, matched last: 群众诉求, 反映问题, 情况反映, 来信摘要, 线索内容.
                     "诉求", "反映问题", "反映情况", "情况反映", "问题线索", "线索", "摘要", "案情")
TITLE_COLUMN_NAMES = ("标题", "主题", "留言主题", "事由", "subject", "title")
ID_COLUMN_NAMES = ("id", "编号", "信访编号", "件号", "工单编号", "序号", "流水号", "登记号")
PLACE_COLUMN_NAMES = ("村", "村名", "村庄", "所属村", "村居", "村(社区)", "村（社区）", "社区", "乡镇", "地点", "地址",
                      "所在地", "问题属地", "village", "place")
DATE_COLUMN_NAMES = ("日期", "时间", "来信日期", "来电时间", "登记日期", "受理时间", "留言时间", "date", "time")


def _clean(name: str) -> str:
    return re.sub(r"[\s_\-:：()（）\[\]【】*]", "", str(name)).lower()


def find_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str,
                option: str, required: bool = True) -> str | None:
    """The column named ``wanted`` or, when None, the first column matching a usual name.

    Matching ignores case, spaces, brackets and punctuation; an exact usual name wins over one
    that merely contains it (内容 before 处理内容). Raises ColumnNotFoundError listing the columns.
    """
    cleaned = {_clean(c): c for c in columns}
    listing = ", ".join(f"'{c}'" for c in columns)
    if wanted is not None:
        if wanted in columns:
            return wanted
        if _clean(wanted) in cleaned:
            return cleaned[_clean(wanted)]
        raise ColumnNotFoundError(f"column '{wanted}' not found; the columns are: {listing}; "
                                  f"pass the right name with {option}")
    for cand in candidates:
        if _clean(cand) in cleaned:
            return cleaned[_clean(cand)]
    for cand in candidates:
        hits = [c for k, c in cleaned.items() if _clean(cand) in k and not k.startswith(("处理", "办理", "回复", "答复"))]
        if hits:
            return hits[0]
    if required:
        raise ColumnNotFoundError(f"no {what} column found; the columns are: {listing}; "
                                  f"name it with {option} (for example {option} {columns[0] if columns else '内容'})")
    return None


def find_text_columns(columns: list[str], wanted: str | None) -> list[str]:
    """The text column, preceded by a title column when there is one (标题 + 内容 are joined)."""
    text = find_column(columns, wanted, TEXT_COLUMN_NAMES, "text", "--text-column")
    if wanted is not None:
        return [text]
    title = find_column([c for c in columns if c != text], None, TITLE_COLUMN_NAMES, "title", "", required=False)
    return [title, text] if title else [text]


def detect_encoding(data: bytes, name: str = "the file") -> str:
    """'utf-8-sig' or 'gb18030' for ``data``; raise FileFormatError if it is neither."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise FileFormatError(f"{name} is neither UTF-8 nor GBK text and could not be decoded; "
                          "save it from Excel as 'CSV UTF-8' or as .xlsx and try again")


def read_text_file(path: Path) -> str:
    """The text of a TXT or DOCX file (paragraphs joined by line breaks)."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"file '{path}' does not exist; check the path")
    if path.suffix.lower() == ".docx":
        try:
            import docx

            document = docx.Document(str(path))
        except Exception as exc:  # noqa: BLE001 — python-docx raises many types for broken files
            raise FileFormatError(f"'{path}' could not be opened as a Word file ({type(exc).__name__}); "
                                  "open it in Word and save it again as .docx, or save it as .txt") from exc
        paras = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                paras.append("\t".join(cell.text for cell in row.cells))
        return "\n".join(paras)
    if path.suffix.lower() == ".doc":
        raise FileFormatError(f"'{path}' is an old Word .doc file; open it in Word and save it as .docx")
    data = path.read_bytes()
    return data.decode(detect_encoding(data, f"'{path}'"))


@dataclass
class Record:
    """One data row of an input file: its 1-based row number, sheet, and fields.

    ``fields`` is ``{}`` for a blank row and ``None`` for a row that could not be read; ``reason``
    then says why in plain words.
    """

    row: int
    fields: dict | None
    sheet: str | None = None
    reason: str | None = None


def read_records(path: Path, sheet: str | None = None) -> tuple[list[str], Iterator[Record]]:
    """Column names and an iterator of rows for a CSV/TSV/XLSX/JSONL file.

    Rows stream: memory stays bounded however large the file. A JSONL line that is not valid
    JSON comes back as a Record with ``fields=None`` so the caller can report it and go on.
    """
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"file '{path}' does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".jsonl", ".json"):
        return _read_jsonl(path)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(path, "\t" if suffix == ".tsv" else None)
    raise FileFormatError(f"'{path}' has an unsupported type '{suffix}'; use .csv, .tsv, .xlsx or .jsonl")


#: A quoted field may span lines, but one that has not closed after this many lines (or characters)
#: is an unclosed quotation mark, not a long note.
_MAX_RECORD_LINES = 200
_MAX_RECORD_CHARS = 1_000_000
_UNDECODABLE = object()


def _table_encoding(head: bytes, name: str) -> str:
    """Encoding of a line-based table from its first megabyte.

    Like :func:`detect_encoding`, but a few damaged lines do not condemn the file: when the whole
    head decodes as neither, the encoding most of its lines decode as is used, and the damaged
    lines are later reported row by row.
    """
    if len(head) >= (1 << 20):
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        return detect_encoding(head, name)
    except FileFormatError:
        lines = [ln for ln in head.split(b"\n") if not ln.isascii()]
        counts = {}
        for enc in ("utf-8-sig", "gb18030"):
            counts[enc] = sum(1 for ln in lines if _decode_line(ln, enc, enc) is not _UNDECODABLE)
        best = max(counts, key=counts.get)
        if lines and counts[best] >= len(lines) / 2:
            return best
        raise


def _other_encoding(enc: str) -> str:
    return "gb18030" if enc.startswith("utf-8") else "utf-8"


def _physical_lines(fh, enc: str, newline: bytes) -> Iterator:
    """Decoded lines (with their line break) of a binary file; ``_UNDECODABLE`` for a line that is
    neither ``enc`` nor the other supported encoding. Decoding line by line means one bad line
    (a GBK row pasted into a UTF-8 file, a damaged byte) costs only that row."""
    other = _other_encoding(enc)
    buf = b""
    while True:
        block = fh.read(1 << 20)
        if not block:
            break
        if enc == "utf-8-sig":  # the first block
            # The BOM can only open the file: drop it once and decode lines with the plain (C) codec.
            block, enc = block.removeprefix(b"\xef\xbb\xbf"), "utf-8"
        buf += block
        *lines, buf = buf.split(newline)
        for raw in lines:
            yield _decode_line(raw + newline, enc, other)
    if buf:
        yield _decode_line(buf, enc, other)


def _decode_line(raw: bytes, enc: str, other: str):
    for e in (enc, other):
        try:
            return raw.decode(e)
        except UnicodeDecodeError:
            continue
    return _UNDECODABLE


class _CsvRecords:
    """Split CSV lines into records with :mod:`csv`, but resynchronise after a broken row.

    The csv module lets a quoted field run on over line breaks until the next quotation mark, so
    one unclosed ``"`` silently swallows every following row into a single field (or ends the
    file with "field larger than field limit"). Here a record that spans several lines is
    accepted only if its quote closed within ``_MAX_RECORD_LINES`` lines, it has no more cells than
    the header, and none of its continuation lines is itself a complete row; otherwise its first
    line is reported as broken and reading restarts on the next line.
    """

    def __init__(self, lines: Iterator, delimiter: str):
        self.lines = lines
        self.delimiter = delimiter
        self.pending: list = []  # lines pushed back after a broken record, in reverse order
        self.ncols: int | None = None
        self.last_lines: list = []

    def _next_line(self):
        if self.pending:
            return self.pending.pop()
        return next(self.lines, None)

    def next_record(self):
        """``(cells, None)``, ``(None, reason)`` for a broken row, or ``None`` at the end."""
        first = self._next_line()
        if first is None:
            return None
        self.last_lines = [first]
        if first is _UNDECODABLE:
            return None, "the row contains bytes that are neither UTF-8 nor GBK text; retype or remove it"
        body = first.rstrip("\r\n")
        if '"' not in body and "\r" not in body and "\x00" not in body:
            # No quotes: the row is this line alone, split as the csv module would (most rows).
            return (body.split(self.delimiter) if body else []), None
        consumed = self.last_lines
        state = {"hit_limit": False, "chars": len(first)}

        def feed():
            yield first
            while True:
                if len(consumed) >= _MAX_RECORD_LINES or state["chars"] > _MAX_RECORD_CHARS:
                    state["hit_limit"] = True
                    return
                line = self._next_line()
                if line is None:
                    return
                if line is _UNDECODABLE:
                    state["hit_limit"] = True
                    self.pending.append(line)
                    return
                consumed.append(line)
                state["chars"] += len(line)
                yield line

        try:
            cells = next(csv.reader(feed(), delimiter=self.delimiter), [])
            error = None
        except csv.Error as exc:
            cells, error = None, str(exc)
        if len(consumed) == 1 and error is None and not state["hit_limit"]:
            return cells, None
        broken = error is not None or state["hit_limit"] or (
            self.ncols is not None and (len(cells) > self.ncols or self._holds_rows(consumed[1:])))
        if not broken:
            return cells, None
        # Give back everything after the first line and report the first line alone.
        self.pending.extend(reversed(consumed[1:]))
        return None, ("the row has an unclosed quotation mark (\") and could not be read; "
                      "fix the quotes in this row or remove it")

    def give_back(self) -> None:
        """Un-read the last record: its lines will be read again."""
        self.pending.extend(reversed(self.last_lines))
        self.last_lines = []

    def _holds_rows(self, lines: list[str]) -> bool:
        # A continuation line that parses on its own as a full row means the quote swallowed rows.
        if self.ncols is None or self.ncols < 3:
            return False
        for line in lines:
            if line.count(self.delimiter) >= self.ncols - 1:
                cells = next(csv.reader([line.rstrip("\r\n")], delimiter=self.delimiter), [])
                if len(cells) == self.ncols:
                    return True
        return False


def _is_usual_name(cell: str) -> bool:
    known = TEXT_COLUMN_NAMES + TITLE_COLUMN_NAMES + ID_COLUMN_NAMES + PLACE_COLUMN_NAMES + DATE_COLUMN_NAMES
    return _clean(cell) in {_clean(n) for n in known}


def _read_csv(path: Path, delimiter: str | None):
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    enc = _table_encoding(head, f"'{path}'")
    if delimiter is None:
        sample = head[:65536].decode(enc, errors="ignore")
        delimiter = "\t" if sample.split("\n", 1)[0].count("\t") > sample.split("\n", 1)[0].count(",") else ","
    # Old Mac exports end lines with a bare CR.
    newline = b"\r" if b"\n" not in head and b"\r" in head else b"\n"
    fh = open(path, "rb")
    records = _CsvRecords(_physical_lines(fh, enc, newline), delimiter)
    got = records.next_record()
    while got is not None and got[0] is not None and not any(str(c).strip() for c in got[0]):
        got = records.next_record()  # blank lines above the header
    if got is None:
        fh.close()
        raise FileFormatError(f"'{path}' is empty; it needs a header row and at least one data row") from None
    if got[0] is None:
        fh.close()
        raise FileFormatError(f"the header row of '{path}' could not be read ({got[1]}); "
                              "save the file again as 'CSV UTF-8' and try again")
    filled = [c for c in got[0] if c.strip()]
    if len(filled) == 1 and not _is_usual_name(filled[0]):
        # A one-cell first line above a wider table is a title (XX县信访件登记表), not the header.
        nxt = records.next_record()
        if nxt is not None and nxt[0] is not None and sum(1 for c in nxt[0] if c.strip()) >= 2:
            got = nxt
        elif nxt is not None:
            records.give_back()
    header = _unique_header(got[0])
    records.ncols = len(header)

    def rows():
        n = 0
        try:
            while (got := records.next_record()) is not None:
                n += 1
                values, reason = got
                if values is None:
                    yield Record(n, None, reason=reason)
                    continue
                if not any(v.strip() for v in values):
                    yield Record(n, {})
                    continue
                if len(values) > len(header):
                    yield Record(n, None, reason=f"the row has {len(values)} cells but the header has "
                                                 f"{len(header)} columns (a stray delimiter?); fix or remove it")
                    continue
                yield Record(n, dict(zip(header, values + [""] * (len(header) - len(values)))))
        finally:
            fh.close()

    return header, rows()


def _unique_header(header: list) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        name = str(h).strip() if h is not None and str(h).strip() else f"列{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_xlsx(path: Path, sheet: str | None):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for broken files
        raise FileFormatError(f"'{path}' could not be opened as an Excel file ({type(exc).__name__}); "
                              "open it in Excel and save it again as .xlsx") from exc
    names = wb.sheetnames
    if sheet is not None and sheet not in names:
        raise FileFormatError(f"sheet '{sheet}' not found in '{path}'; the sheets are: {', '.join(names)}")
    chosen = [sheet] if sheet else names
    headers: list[str] = []
    per_sheet = []
    for name in chosen:
        it = wb[name].iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            continue
        h = _unique_header(list(first))
        per_sheet.append((name, h, it))
        headers += [c for c in h if c not in headers]
    if not per_sheet:
        raise FileFormatError(f"'{path}' has no rows; it needs a header row and at least one data row")

    def rows():
        n = 0
        for name, h, it in per_sheet:
            for values in it:
                n += 1
                values = ["" if v is None else v for v in values]
                if not any(str(v).strip() for v in values):
                    yield Record(n, {}, name)
                    continue
                yield Record(n, dict(zip(h, values)), name if len(per_sheet) > 1 else None)
        wb.close()

    return headers, rows()


def _read_jsonl(path: Path):
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
    enc = _table_encoding(data, f"'{path}'")
    header: list[str] = []
    with open(path, "rb") as fh:
        for line in _physical_lines(fh, enc, b"\n"):
            if line is not _UNDECODABLE and line.strip():
                try:
                    obj = json.loads(line)
                    header = list(obj) if isinstance(obj, dict) else []
                except json.JSONDecodeError:
                    continue  # a broken first line: take the header from the next good one
                break

    def rows():
        with open(path, "rb") as fh:
            for n, line in enumerate(_physical_lines(fh, enc, b"\n"), 1):
                if line is _UNDECODABLE:
                    yield Record(n, None, reason="the line contains bytes that are neither UTF-8 nor GBK text")
                    continue
                if not line.strip():
                    yield Record(n, {})
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Record(n, None, reason=f"the line is not valid JSON ({exc.msg}, column {exc.colno})")
                    continue
                if not isinstance(obj, dict):
                    yield Record(n, None, reason="the line is not a JSON object ({\"id\": …, \"text\": \"…\"})")
                    continue
                yield Record(n, obj)

    return header, rows()


def sniff_csv_bytes(data: bytes) -> io.StringIO:
    """Decoded text of an uploaded CSV (for the service)."""
    return io.StringIO(data.decode(detect_encoding(data, "the upload")))

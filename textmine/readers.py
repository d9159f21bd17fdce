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
                     "content", "body", "detail", "message")
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
    """One data row of an input file: its 1-based row number, sheet, and fields."""

    row: int
    fields: dict
    sheet: str | None = None


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


def _read_csv(path: Path, delimiter: str | None):
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    enc = detect_encoding(head if len(head) < (1 << 20) else head[: head.rfind(b"\n") + 1] or head, f"'{path}'")
    if delimiter is None:
        sample = head[:65536].decode(enc, errors="ignore")
        delimiter = "\t" if sample.split("\n", 1)[0].count("\t") > sample.split("\n", 1)[0].count(",") else ","
    fh = open(path, encoding=enc, errors="strict", newline="")
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise FileFormatError(f"'{path}' is empty; it needs a header row and at least one data row") from None
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileFormatError(f"'{path}' could not be decoded; save it as 'CSV UTF-8' and try again") from exc
    header = _unique_header(header)

    def rows():
        n = 0
        try:
            for values in reader:
                n += 1
                if not any(v.strip() for v in values):
                    yield Record(n, {})
                    continue
                if len(values) > len(header):
                    yield Record(n, None)  # more cells than columns: a broken row
                    continue
                yield Record(n, dict(zip(header, values + [""] * (len(header) - len(values)))))
        except (UnicodeDecodeError, csv.Error) as exc:
            yield Record(n + 1, None, sheet=f"unreadable from here on: {exc}")
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
    data = path.read_bytes()[: 1 << 20]
    enc = detect_encoding(data[: data.rfind(b"\n") + 1] or data, f"'{path}'")
    header: list[str] = []
    with open(path, encoding=enc) as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                    header = list(obj) if isinstance(obj, dict) else []
                except json.JSONDecodeError:
                    pass
                break

    def rows():
        with open(path, encoding=enc) as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    yield Record(n, {})
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    yield Record(n, None)
                    continue
                yield Record(n, obj if isinstance(obj, dict) else None)

    return header, rows()


def sniff_csv_bytes(data: bytes) -> io.StringIO:
    """Decoded text of an uploaded CSV (for the service)."""
    return io.StringIO(data.decode(detect_encoding(data, "the upload")))

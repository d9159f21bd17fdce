"""Write a one-sheet XLSX workbook row by row, fast and in constant memory.

Screening writes every input row to ``screened.xlsx``; with openpyxl (even write-only) a
million-row sheet took minutes, most of it building a cell object per value. An XLSX file is a
zip of a few XML parts, and a sheet is a flat list of rows, so this module writes the XML text
directly into the zip entry as rows arrive:

- strings are inline strings (``t="inlineStr"``): never formulas, whatever they start with, and no
  shared-string table to keep in memory; characters XML 1.0 cannot hold are removed and a cell is
  cut at Excel's 32,767 characters;
- numbers are numbers, ``True``/``False`` booleans, ``None`` an empty cell; dates and times are
  Excel serial numbers with a date (``yyyy-mm-dd``) or date-time format, as Excel stores them;
- the header row is bold, frozen above the data, with an auto-filter over the table.

``tests/test_xlsx.py`` reads the result back with openpyxl, value by value.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["XlsxWriter", "column_letter"]

EXCEL_MAX_CELL = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
# Style indices in styles.xml below: 0 normal, 1 bold header, 2 date, 3 date and time.
_BOLD, _DATE, _DATETIME = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'{name}'!{ref}</definedName></definedNames>
</workbook>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>
<sheetData>"""


def column_letter(index: int) -> str:
    """Excel's name of the column at 0-based ``index``: 0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value)[:EXCEL_MAX_CELL])


class XlsxWriter:
    """One sheet named ``sheet``, with ``header`` as its bold, frozen, filterable first row."""

    def __init__(self, path: Path | str, header: list[str], sheet: str = "Sheet1"):
        self.path = Path(path)
        self.sheet = sheet
        self.ncols = len(header)
        self._letters = [column_letter(i) for i in range(max(1, self.ncols))]
        self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._part = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._buffer: list[str] = [_SHEET_HEAD]
        self.rows = 0
        self._row(header, bold=True)

    def append(self, values: list) -> None:
        """Add one row (values in column order)."""
        self._row(values)
        if len(self._buffer) >= 2000:
            self._flush()

    def _row(self, values: list, bold: bool = False) -> None:
        self.rows += 1
        r = self.rows
        if len(values) > len(self._letters):
            self._letters += [column_letter(i) for i in range(len(self._letters), len(values))]
        style = f' s="{_BOLD}"' if bold else ""
        cells = []
        for letter, v in zip(self._letters, values):
            ref = f"{letter}{r}"
            if v is None:
                continue
            if hasattr(v, "dtype") and hasattr(v, "item"):  # a NumPy scalar: its Python value
                v = v.item()
            if isinstance(v, str):
                if v:
                    cells.append(f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{_text(v)}</t></is></c>')
            elif isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"{style}><v>{int(v)}</v></c>')
            elif isinstance(v, int):
                cells.append(f'<c r="{ref}"{style}><v>{v}</v></c>')
            elif isinstance(v, float):
                if v == v and abs(v) != float("inf"):  # NaN and infinities have no cell form
                    cells.append(f'<c r="{ref}"{style}><v>{v!r}</v></c>')
            elif isinstance(v, datetime):
                delta = v.replace(tzinfo=None) - _EPOCH
                serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
                cells.append(f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>')
            elif isinstance(v, date):
                cells.append(f'<c r="{ref}" s="{_DATE}"><v>{(v - _EPOCH.date()).days}</v></c>')
            elif isinstance(v, time):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v.isoformat()}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{_text(str(v))}</t></is></c>')
        self._buffer.append(f'<row r="{r}">{"".join(cells)}</row>')

    def _flush(self) -> None:
        self._part.write("".join(self._buffer).encode("utf-8"))
        self._buffer = []

    def close(self) -> None:
        """Finish the sheet and the workbook's other parts."""
        ref = f"$A$1:${self._letters[max(0, self.ncols - 1)]}${self.rows}"
        self._buffer.append(f'</sheetData><autoFilter ref="{ref.replace("$", "")}"/></worksheet>')
        self._flush()
        self._part.close()
        name = escape(self.sheet.replace("'", "''"))
        for part, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), ("xl/styles.xml", _STYLES),
                           ("xl/workbook.xml", _WORKBOOK.format(name=name, ref=ref))):
            self._zip.writestr(part, text)
        self._zip.close()

    def __enter__(self) -> "XlsxWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

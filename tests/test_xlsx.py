"""The streaming XLSX writer: what openpyxl (and so Excel's format) reads back, value by value."""

import zipfile
from datetime import date, datetime

import numpy as np
import openpyxl

from textmine.xlsx import EXCEL_MAX_CELL, XlsxWriter, column_letter


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == \
        ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_values_round_trip_with_their_types(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [
        ["=SUM(A1:A3)", "村会计王某挪用<3000>元 & 更多", "  前后空格  ", "bell\x07gone", "x" * 40_000],
        [12, 0.8125, True, False, None],
        [np.float64(0.25), np.int64(7), date(2024, 3, 5), datetime(2023, 12, 25, 14, 30), ""],
    ]
    with XlsxWriter(path, ["文本", "内容", "空格", "控制", "长"], sheet="screened") as w:
        for r in rows:
            w.append(r)
    wb = openpyxl.load_workbook(path)
    ws = wb["screened"]
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got[0] == ["文本", "内容", "空格", "控制", "长"]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert got[1][:4] == ["=SUM(A1:A3)", "村会计王某挪用<3000>元 & 更多", "  前后空格  ", "bellgone"]
    assert ws["A2"].data_type == "s"  # a string, not a formula
    assert len(got[1][4]) == EXCEL_MAX_CELL
    assert got[2] == [12, 0.8125, True, False, None]
    assert got[3][:4] == [0.25, 7, datetime(2024, 3, 5), datetime(2023, 12, 25, 14, 30)]
    assert got[3][4] is None
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None

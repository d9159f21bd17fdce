import pytest

from textmine.errors import ColumnNotFoundError, FileFormatError
from textmine.readers import find_column, find_text_columns, read_records, TEXT_COLUMN_NAMES


def test_finds_usual_text_column_names_ignoring_spaces_and_brackets():
    assert find_column(["编号", " 反映内容（摘要） ", "处理结果"], None, TEXT_COLUMN_NAMES, "text", "--text-column") \
        == " 反映内容（摘要） "


def test_title_and_content_are_joined():
    assert find_text_columns(["标题", "内容", "日期"], None) == ["标题", "内容"]


def test_unknown_column_lists_the_columns():
    with pytest.raises(ColumnNotFoundError, match="column '正文' not found; the columns are: 'a', 'b'"):
        find_column(["a", "b"], "正文", TEXT_COLUMN_NAMES, "text", "--text-column")


def test_gbk_csv_is_detected(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_text("编号,内容\n1,村会计挪用公款\n", encoding="gbk")
    header, rows = read_records(path)
    assert header == ["编号", "内容"]
    assert [r.fields["内容"] for r in rows] == ["村会计挪用公款"]


def test_utf8_bom_csv(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("内容\n低保不公\n".encode("utf-8-sig"))
    header, rows = read_records(path)
    assert header == ["内容"] and next(rows).fields == {"内容": "低保不公"}


def test_undecodable_file_is_a_plain_error(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x81\xff" * 10)
    with pytest.raises(FileFormatError, match="neither UTF-8 nor GBK"):
        read_records(path)


def test_jsonl_broken_line_is_reported_not_fatal(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"id": 1, "text": "a"}\n{broken\n{"id": 3, "text": "c"}\n', encoding="utf-8")
    _, rows = read_records(path)
    rows = list(rows)
    assert [r.fields is None for r in rows] == [False, True, False]


def test_xlsx_reads_every_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["内容"])
    wb.active.append(["第一页"])
    ws = wb.create_sheet("第二页")
    ws.append(["内容"])
    ws.append(["第二页的"])
    wb.save(tmp_path / "two.xlsx")
    _, rows = read_records(tmp_path / "two.xlsx")
    assert [r.fields["内容"] for r in rows] == ["第一页", "第二页的"]

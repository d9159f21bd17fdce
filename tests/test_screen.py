"""Screening petition exports end to end (textmine/screen.py)."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import openpyxl
import pytest

from textmine import screen
from textmine.cli import main
from textmine.errors import ColumnNotFoundError
from textmine.screen import evidence_summary, plan_columns, screen_file, screen_rows, village_name

LABELS = ["party_building", "finance", "three_assets", "livelihood"]
CONTRACT = ["labels", *[f"score_{lab}" for lab in LABELS], "clue", "clue_score", "evidence", "group", "rank"]

NOTES = [
    "杨桥村会计张某2022年把村里修路剩下的三万多元钱转到自己老婆的账户上，至今没有退回。我的电话13812345678。",
    "村里的路灯坏了好久，晚上出门不方便，希望修一修。",
    "白云村党支部书记赵某2023年5月用村集体资金在镇上酒店宴请镇干部，花费5600元，以误工补贴名义入账。",
    "再次反映：杨桥村会计张某2022年将修路结余的3万余元转入其妻子账户，村民多次询问，至今未退回村集体。",
    "石桥村三组组长李某某2021年以来虚报冒领五户人家的耕地地力保护补贴，共计4800元。",
]


def _read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _dicts(path):
    rows = _read_csv(path)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_gbk_csv_with_odd_names_blank_and_broken_rows(tmp_path, model):
    src = tmp_path / "登记表.csv"
    lines = ["登记编号,登记时间,问题属地(村),联系方式,诉求内容（详细）,办理情况"]
    lines += [f"XF{i},2023/3/{i + 1},杨桥村,1390000000{i},{t},已转办" for i, t in enumerate(NOTES[:3])]
    lines += [""]  # blank row in the middle
    lines += ['XF-Q,2023/3/9,王庄村,,"这行引号没有闭合 村主任私分补贴,已转办']  # would swallow the rows below
    lines += ["XF-X,2023/3/9,王庄村,,多,了,几,列"]  # more cells than columns
    lines += ["XF-E,2023/3/9,王庄村,,,已转办"]  # empty text
    lines += [f"XF{i},2023/4/{i},白云村,,{t},已转办" for i, t in enumerate(NOTES[3:], 3)]
    src.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))

    summary = screen_file(src, tmp_path / "out", model=model)

    rows = _read_csv(tmp_path / "out" / "screened.csv")
    header = rows[0]
    assert header[:6] == ["登记编号", "登记时间", "问题属地(村)", "联系方式", "诉求内容（详细）", "办理情况"]
    assert header[6:6 + len(CONTRACT)] == CONTRACT
    assert header[6 + len(CONTRACT):] == ["group_size", "row"]
    data = [dict(zip(header, r)) for r in rows[1:]]
    assert [d["登记编号"] for d in data] == ["XF0", "XF1", "XF2", "XF3", "XF4"]  # every good row once, in order
    assert [d["row"] for d in data] == ["1", "2", "3", "8", "9"]
    assert data[0]["联系方式"] == "139****0000"
    assert "138****5678" in data[0]["诉求内容（详细）"] and "13812345678" not in (tmp_path / "out" / "screened.csv").read_text(
        encoding="utf-8-sig")
    assert sorted(int(d["rank"]) for d in data) == [1, 2, 3, 4, 5]
    clue_ranks = [int(d["rank"]) for d in data if d["clue"] == "true"]
    assert clue_ranks and sorted(clue_ranks) == list(range(1, len(clue_ranks) + 1))  # clues first
    assert data[1]["clue"] == "false"
    assert data[0]["group"] == data[3]["group"] == "1" and data[0]["group_size"] == "2"
    assert data[1]["group"] == "" and data[1]["group_size"] == "1"
    assert all(set(d["labels"].split("|")) <= set(LABELS) | {""} for d in data)
    assert "人员：" in data[0]["evidence"]

    errors = _read_csv(tmp_path / "out" / "errors.csv")
    assert errors[0] == ["row", "reason"]
    assert [e[0] for e in errors[1:]] == ["4", "5", "6", "7"]
    assert errors[1][1] == "the row is empty"
    assert "unclosed quotation mark" in errors[2][1]
    assert "8 cells but the header has 6 columns" in errors[3][1]
    assert "诉求内容（详细）" in errors[4][1] and "empty" in errors[4][1]

    assert (summary.rows_screened, summary.errors, summary.groups, summary.rows_in_groups) == (5, 4, 1, 2)
    assert summary.xlsx_written
    ws = openpyxl.load_workbook(tmp_path / "out" / "screened.xlsx", read_only=True).active
    xrows = list(ws.iter_rows(values_only=True))
    assert list(xrows[0]) == header
    assert len(xrows) == 6 and xrows[1][0] == "XF0" and xrows[1][header.index("clue")] in (True, False)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "杨桥村" in page and "13812345678" not in page


def test_xlsx_two_sheets_title_row_and_trailing_blanks(tmp_path, model):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "一季度"
    ws.append(["留言标题", "留言详情", "所在村", "留言时间"])
    ws.append(["路灯", NOTES[1], "王庄村", datetime(2023, 1, 5)])
    ws.append([None, None, None, None])
    ws.append(["吃喝", "=" + NOTES[2], "白云村", datetime(2023, 2, 1, 9, 30)])
    ws["B4"].data_type = "s"  # a text cell that starts with '=', not a formula
    ws2 = wb.create_sheet("二季度")
    ws2.append(["2023年二季度信访登记表"])
    ws2.append(["编号", "村（社区）", "来信内容", "日期"])
    ws2.append([1001, "石桥村", NOTES[4], "2023-04-02"])
    ws2.append([1002, "王庄村", None, "2023-04-03"])
    for _ in range(3):
        ws2.append([None] * 4)
    src = tmp_path / "two.xlsx"
    wb.save(src)

    summary = screen_file(src, tmp_path / "out", model=model)

    data = _dicts(tmp_path / "out" / "screened.csv")
    assert [d["row"] for d in data] == ["1", "3", "5"]
    assert [d["sheet"] for d in data] == ["一季度", "一季度", "二季度"]
    assert data[0]["留言标题"] == "路灯" and data[0]["留言时间"] == "2023-01-05"
    assert data[1]["留言时间"] == "2023-02-01 09:30"
    assert data[2]["来信内容"] == NOTES[4] and data[2]["编号"] == "1001" and data[2]["留言详情"] == ""
    errors = _read_csv(tmp_path / "out" / "errors.csv")[1:]
    assert errors == [["2", "sheet '一季度': the row is empty"], ["6", "sheet '二季度': the text column (来信内容) is empty"]]
    assert (summary.title_rows, summary.trailing_blank) == (1, 3)
    # A note starting with '=' stays text in the workbook, not a formula.
    ws = openpyxl.load_workbook(tmp_path / "out" / "screened.xlsx").active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=3, column=header.index("留言详情") + 1)
    assert cell.data_type in ("s", "inlineStr") and cell.value == "=" + NOTES[2]


def test_jsonl_and_tsv(tmp_path, model):
    src = tmp_path / "notes.jsonl"
    src.write_text(json.dumps({"id": "a1", "text": NOTES[0]}, ensure_ascii=False) + "\n"
                   + '{"id": "broken", "text": "少了括号"\n'
                   + json.dumps({"id": "a3", "text": NOTES[2]}, ensure_ascii=False) + "\n", encoding="utf-8")
    screen_file(src, tmp_path / "j", model=model)
    assert [d["id"] for d in _dicts(tmp_path / "j" / "screened.csv")] == ["a1", "a3"]
    assert _read_csv(tmp_path / "j" / "errors.csv")[1][0] == "2"

    tsv = tmp_path / "notes.tsv"
    tsv.write_text("标题\t内容\n吃喝\t" + NOTES[2] + "\n", encoding="utf-8-sig")
    rows, errors = screen_rows(tsv, model)
    assert errors == [] and rows[0]["text"] == "吃喝\n" + NOTES[2]  # title and text joined
    assert rows[0]["rank"] == 1 and rows[0]["clue"] is True


def test_columns_named_on_the_command_line(tmp_path, model):
    src = tmp_path / "a.csv"
    src.write_text("甲,乙,丙\n1,王庄村," + NOTES[2] + "\n", encoding="utf-8")
    with pytest.raises(ColumnNotFoundError, match="column '内容' not found; the columns are: '甲', '乙', '丙'; pass the right"):
        screen_file(src, tmp_path / "o", model=model, text_columns=["内容"])
    summary = screen_file(src, tmp_path / "o", model=model, text_columns=["丙"], place_column="乙", id_column="甲")
    assert summary.rows_screened == 1 and summary.guessed_text is None
    assert (summary.plans[0].text, summary.plans[0].place, summary.plans[0].id) == (["丙"], "乙", "甲")
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "王庄村" in page


def test_text_column_recognised_by_its_contents_or_a_plain_error(tmp_path, model):
    src = tmp_path / "a.csv"
    src.write_text("甲,乙,丙\n1,王庄村," + NOTES[2] + "\n2,李村," + NOTES[4] + "\n", encoding="utf-8")
    summary = screen_file(src, tmp_path / "o", model=model)
    assert summary.guessed_text == "丙" and summary.rows_screened == 2
    short = tmp_path / "b.csv"
    short.write_text("甲,乙\n1,王庄村\n2,李村\n", encoding="utf-8")
    with pytest.raises(ColumnNotFoundError, match="no text column found; the columns are: '甲', '乙'; name it with"):
        screen_file(short, tmp_path / "p", model=model)


def test_csv_title_line_and_unusual_text_names(tmp_path, model):
    src = tmp_path / "a.csv"
    src.write_text("XX县2023年信访件登记表\n序号,群众诉求,所属村\n1," + NOTES[2] + ",白云村\n2," + NOTES[4] + ",石桥村\n",
                   encoding="gbk")
    summary = screen_file(src, tmp_path / "o", model=model)
    assert summary.errors == 0 and summary.plans[0].text == ["群众诉求"] and summary.plans[0].place == "所属村"
    assert [d["序号"] for d in _dicts(tmp_path / "o" / "screened.csv")] == ["1", "2"]


def test_plan_columns_usual_names():
    plan = plan_columns(["序号", "标题", "反映内容", "所属村", "来信日期", "处理时间", "村民姓名"])
    assert (plan.text, plan.id, plan.place, plan.date) == (["标题", "反映内容"], "序号", "所属村", "来信日期")
    plan = plan_columns(["标题", "正文", "备注"], text_columns=["标题,正文"])
    assert plan.text == ["标题", "正文"]


@pytest.mark.parametrize("value, name", [("郸城县汲冢镇后刘庄村三组", "后刘庄村"), ("王庄村", "王庄村"),
                                         ("东风社区居委会", "东风社区"), ("城关镇", "城关镇"), (None, ""),
                                         ("石桥村村委会", "石桥村")])
def test_village_name(value, name):
    assert village_name(value) == name


def test_evidence_summary():
    ev = {"persons": [{"text": "村会计张某"}, {"text": "王某"}, {"text": "李某"}, {"text": "赵某"}],
          "amounts": [{"text": "3万元"}], "dates": [], "places": [], "acts": [{"text": "挪用"}]}
    assert evidence_summary(ev) == "人员：村会计张某、王某、李某 等4项；金额：3万元；行为：挪用"


def test_no_mask_and_csv_only_past_the_excel_limit(tmp_path, model, monkeypatch):
    src = tmp_path / "a.csv"
    src.write_text("内容\n" + NOTES[0] + "\n" + NOTES[1] + "\n", encoding="utf-8")
    monkeypatch.setattr(screen, "EXCEL_MAX_ROWS", 2)
    summary = screen_file(src, tmp_path / "o", model=model, mask=False)
    assert not summary.xlsx_written and not (tmp_path / "o" / "screened.xlsx").exists()
    assert "13812345678" in (tmp_path / "o" / "screened.csv").read_text(encoding="utf-8-sig")
    assert "行数超过 Excel 上限" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


def test_worker_processes_give_the_same_rows_in_order(tmp_path, model, monkeypatch):
    """--jobs 2 with real worker processes (each loads the model) equals the in-process result."""
    src = tmp_path / "a.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "内容"])
        for i in range(30):
            w.writerow([f"n{i}", NOTES[i % len(NOTES)] + f"（第{i}件）"])
    single = screen_file(src, tmp_path / "one", model=model)
    monkeypatch.setattr(screen, "IN_PROCESS_ROWS", 5)
    monkeypatch.setattr(screen, "CHUNK_ROWS", 4)
    monkeypatch.setattr(screen, "XLSX_PROCESS_ROWS", 10)  # the workbook is written by a child process too
    multi = screen_file(src, tmp_path / "two", jobs=2)
    assert (single.jobs, multi.jobs) == (1, 2)
    one, two = _dicts(tmp_path / "one" / "screened.csv"), _dicts(tmp_path / "two" / "screened.csv")
    assert [d["编号"] for d in two] == [f"n{i}" for i in range(30)]
    for a, b in zip(one, two):
        assert a == b
    x1 = list(openpyxl.load_workbook(tmp_path / "one" / "screened.xlsx", read_only=True).active.values)
    x2 = list(openpyxl.load_workbook(tmp_path / "two" / "screened.xlsx", read_only=True).active.values)
    assert len(x2) == 31 and x1 == x2


def test_cli(tmp_path, capsys):
    src = tmp_path / "a.csv"
    src.write_text("内容\n" + NOTES[2] + "\n\n" + NOTES[4] + "\n", encoding="utf-8")
    assert main(["screen", str(src), "--out", str(tmp_path / "o"), "--no-progress", "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "screened 2 rows" in err and "1 rows could not be screened" in err
    assert NOTES[2][:10] not in err  # counts only, no note text on the terminal
    assert main(["screen", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_note_that_trips_the_model_is_a_bad_row_not_a_crash(tmp_path, model, monkeypatch):
    src = tmp_path / "a.csv"
    src.write_text("内容\n" + NOTES[0] + "\n" + NOTES[2] + "\n" + NOTES[4] + "\n", encoding="utf-8")
    real = type(model).classify_many

    def flaky(self, texts, ids=None, explain=True):
        if any("白云村" in t for t in texts):
            raise IndexError("simulated model fault")
        return real(self, texts, ids=ids, explain=explain)

    monkeypatch.setattr(type(model), "classify_many", flaky)
    summary = screen_file(src, tmp_path / "o", model=model)
    assert summary.rows_screened == 2 and summary.errors == 1
    errors = _read_csv(tmp_path / "o" / "errors.csv")
    assert errors[1] == ["2", "the note could not be classified (internal error IndexError); "
                              "please report it with the row number"]
    assert [d["row"] for d in _dicts(tmp_path / "o" / "screened.csv")] == ["1", "3"]

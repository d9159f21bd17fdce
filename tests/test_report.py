"""The offline screening report (textmine/report.py)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from textmine.report import ScreenReport, _nice_step, highlight_evidence, render_chart, render_report, write_report
from textmine.screen import ScreenSummary

LABELS = ["party_building", "finance", "three_assets", "livelihood"]


def _report(**overrides) -> ScreenReport:
    text = "村会计王某2021年挪用低保金3000元，<script>alert(1)</script>"
    ev = {"persons": [{"text": "村会计王某", "start": 0, "end": 5}],
          "amounts": [{"text": "3000元", "start": 16, "end": 21, "yuan": 3000.0}],
          "dates": [{"text": "2021年", "start": 5, "end": 10}], "places": [], "acts": [{"text": "挪用", "start": 10, "end": 12}]}
    data = dict(
        source="来信登记表.xlsx", labels=LABELS,
        summary=ScreenSummary(rows_read=12, rows_screened=10, errors=2, clues=3, groups=1, rows_in_groups=2),
        label_counts={"livelihood": 6, "finance": 3, "": 2}, label_clues={"livelihood": 3},
        villages={"王庄村": 7, "李家湾村": 3},
        village_labels={("王庄村", "livelihood"): 5, ("王庄村", "finance"): 3, ("李家湾村", "livelihood"): 1,
                        ("李家湾村", ""): 2},
        village_clues={"王庄村": 3},
        date_range=("2023-01-05", "2023-06-30"),
        top_clues=[{"rank": 1, "row": 4, "sheet": None, "id": "XF-4", "text": text, "village": "王庄村",
                    "date": "2023-02-01", "labels": ["livelihood"], "clue": True, "clue_score": 0.97,
                    "evidence": ev, "summary": "人员：村会计王某", "group": 1, "group_size": 2}],
        groups=[{"group": 1, "size": 2, "members": [
            {"row": 4, "id": "XF-4", "text": text, "village": "王庄村", "date": "2023-02-01",
             "labels": ["livelihood"], "clue_score": 0.97},
            {"row": 9, "id": "XF-9", "text": "再次反映王庄村会计王某挪用低保金", "village": "王庄村", "date": "",
             "labels": ["livelihood"], "clue_score": 0.91}]}],
    )
    data.update(overrides)
    return ScreenReport(**data)


def test_page_is_self_contained():
    page = render_report(_report())
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no scripts, style sheets, images, fonts or imports; the only URL is the
    # SVG namespace, which browsers never load.
    for banned in ("<script", "<link", "<img", "@import", "url(", "src=", "@font-face", "<iframe"):
        assert banned not in page.lower().replace("&lt;script", ""), banned
    assert re.findall(r"https?://[^\s\"'<>]+", page) == ["http://www.w3.org/2000/svg"]


def test_note_text_is_escaped_and_evidence_highlighted():
    page = render_report(_report())
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<mark class="ev-persons" title="人员">村会计王某</mark>' in page
    assert '<mark class="ev-acts" title="行为">挪用</mark>' in page
    assert "同一事项共 2 件" in page


def test_highlight_evidence_exact_and_cut():
    ev = {"persons": [{"text": "张某", "start": 0, "end": 2}], "acts": [{"text": "张某挪用", "start": 0, "end": 4}],
          "amounts": [{"text": "5万元", "start": 4, "end": 7}]}
    # Acts win over persons where they overlap.
    assert highlight_evidence("张某挪用5万元", ev) == ('<mark class="ev-acts" title="行为">张某挪用</mark>'
                                                  '<mark class="ev-amounts" title="金额">5万元</mark>')
    cut = highlight_evidence("张某挪用5万元", ev, limit=3)
    assert cut.startswith('<mark class="ev-acts" title="行为">张某挪</mark>')
    assert "共 7 字" in cut


def test_chart_draws_one_bar_segment_per_village_and_category():
    svg = render_chart(_report())
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    segments = re.findall(r'<rect x="[\d.]+" y="\d+" width="[\d.]+" height="18" fill="[^"]+"><title>([^<]+)</title>', svg)
    assert segments == ["王庄村 · 财务：3 件", "王庄村 · 民生：5 件", "李家湾村 · 民生：1 件", "李家湾村 · 无类别：2 件"]
    assert "7件 ◆3" in svg and "3件</text>" in svg  # 王庄村: 7 notes (8 tags), 3 clues; 李家湾村: 3 notes


def test_tables_and_notes():
    page = render_report(_report(summary=ScreenSummary(rows_read=5, rows_screened=5, xlsx_written=False)))
    assert "行数超过 Excel 上限" in page
    assert "2023-01-05 至 2023-06-30" in render_report(_report())
    assert "联系电话、身份证号已作脱敏处理" in render_report(_report())
    assert "脱敏" not in render_report(_report(masked=False))
    assert "未发现疑似问题线索" in render_report(_report(top_clues=[]))
    assert "未发现重复" in render_report(_report(groups=[]))


@pytest.mark.parametrize("maximum, step", [(0, 1), (8, 1), (9, 2), (17, 5), (41, 10), (100, 20), (1234, 200)])
def test_nice_step(maximum, step):
    assert _nice_step(maximum) == step


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path):
    """The page opens offline in a real browser and the chart is drawn (needs chromium)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("chromium is not installed")
    path = write_report(_report(), tmp_path / "report.html")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    assert "各村问题类别分布" in dom
    assert len(re.findall(r"<rect ", dom)) >= 4 + 5  # legend swatches + bar segments
    shot = tmp_path / "r.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1280,1600", path.as_uri()], capture_output=True, timeout=60)
    assert shot.exists() and shot.stat().st_size > 10_000

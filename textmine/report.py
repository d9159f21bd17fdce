"""The screening report: one self-contained HTML page that opens offline.

No scripts, fonts, images or style sheets are fetched from anywhere: the styles are inline, the
chart is an SVG drawn here, and the page uses the system's own Chinese fonts. It prints cleanly.

What it shows (from a :class:`ScreenReport` that :mod:`textmine.screen` fills):

1. totals — rows read, screened, unreadable, clues, repeated matters, the date range;
2. categories — notes and clues per category;
3. categories × villages — a table, and the same as a stacked bar chart (inline SVG);
4. the top clues — rank, village, date, categories, clue score, how often the matter came in,
   and the note with its evidence (persons, amounts, dates, places, acts) highlighted;
5. the groups of repeated petitions, largest first.

All text from the input is escaped; phone and ID-card numbers arrive already masked.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["ScreenReport", "render_report", "write_report", "highlight_evidence", "category_names"]

_PALETTE = ["#c0392b", "#d68910", "#1e8449", "#2471a3", "#7d3c98", "#148f77", "#a04000", "#566573"]
_NONE_COLOUR = "#b3b6b7"
_EVIDENCE_LABELS = {"acts": "行为", "persons": "人员", "amounts": "金额", "dates": "时间", "places": "地点"}
_MAX_TEXT = 1200
_MAX_VILLAGES_TABLE = 40
_MAX_VILLAGES_CHART = 20


@dataclass
class ScreenReport:
    """Everything the report shows; plain data, so the page can be rendered and tested alone."""

    source: str
    labels: list[str]
    summary: object  # textmine.screen.ScreenSummary
    masked: bool = True
    label_counts: dict = field(default_factory=dict)  # label ("" = none) → notes
    label_clues: dict = field(default_factory=dict)  # label → clues
    villages: dict = field(default_factory=dict)  # village → notes
    village_labels: dict = field(default_factory=dict)  # (village, label) → notes
    village_clues: dict = field(default_factory=dict)  # village → clues
    date_range: tuple = (None, None)
    top_clues: list = field(default_factory=list)  # dicts: rank, row, id, text, village, date, labels, …
    groups: list = field(default_factory=list)  # {"group", "size", "members": [dicts as above]}
    generated: datetime = field(default_factory=datetime.now)


def category_names(labels: list[str]) -> dict[str, str]:
    """Chinese names of the standard categories; a custom taxonomy keeps its own ids."""
    from .corpus import CATEGORY_NAMES

    return {lab: CATEGORY_NAMES.get(lab, lab) for lab in labels}


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def highlight_evidence(text: str, evidence: dict, limit: int = _MAX_TEXT) -> str:
    """HTML of ``text`` (cut at ``limit`` characters) with evidence spans in ``<mark>``.

    Overlapping spans keep the first by priority: acts, persons, amounts, dates, places.
    """
    spans = []
    for priority, kind in enumerate(_EVIDENCE_LABELS):
        for item in evidence.get(kind, []):
            s, e = int(item["start"]), int(item["end"])
            if 0 <= s < e <= len(text):
                spans.append((s, e, priority, kind))
    taken = [False] * min(len(text), limit)
    chosen = []
    for s, e, _p, kind in sorted(spans, key=lambda t: (t[2], t[0])):
        if s >= limit:
            continue
        e = min(e, limit)
        if any(taken[s:e]):
            continue
        for i in range(s, e):
            taken[i] = True
        chosen.append((s, e, kind))
    out, pos = [], 0
    for s, e, kind in sorted(chosen):
        out.append(_e(text[pos:s]))
        out.append(f'<mark class="ev-{kind}" title="{_EVIDENCE_LABELS[kind]}">{_e(text[s:e])}</mark>')
        pos = e
    out.append(_e(text[pos:limit]))
    if len(text) > limit:
        out.append(f'<span class="cut">……（共 {len(text)} 字，全文见 screened.xlsx）</span>')
    return "".join(out)


def _colours(labels: list[str]) -> dict[str, str]:
    out = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(labels)}
    out[""] = _NONE_COLOUR
    return out


def _nice_step(maximum: float) -> int:
    """A round tick step (1, 2, 5, 10, 20, …) giving at most 8 ticks up to ``maximum``."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if maximum / (m * magnitude) <= 8:
                return m * magnitude
        magnitude *= 10


def _village_rows(report: ScreenReport, limit: int) -> list[tuple[str, int]]:
    ordered = sorted(report.villages.items(), key=lambda kv: (-kv[1], kv[0]))
    return ordered[:limit]


def render_chart(report: ScreenReport) -> str:
    """Stacked horizontal bars: per village, notes per category (a note in two categories counts
    in both), with the village's notes and clues at the end of the bar. Inline SVG, no script."""
    labels = list(report.labels) + [""]
    names = category_names(report.labels)
    names[""] = "无类别"
    colours = _colours(report.labels)
    rows = _village_rows(report, _MAX_VILLAGES_CHART)
    if not rows:
        return '<p class="hint">没有可作图的数据。</p>'
    totals = [sum(report.village_labels.get((v, lab), 0) for lab in labels) for v, _ in rows]
    maximum = max(totals) or 1
    step = _nice_step(maximum)
    axis_max = ((maximum + step - 1) // step) * step
    left, right, top, bar_h, gap = 150, 90, 40, 18, 8
    plot_w = 640
    height = top + len(rows) * (bar_h + gap) + 30
    width = left + plot_w + right
    scale = plot_w / axis_max
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="各村问题类别分布">']
    # Legend
    x = left
    for lab in labels:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colours[lab]}"/>'
                     f'<text x="{x + 16}" y="18" class="legend">{_e(names[lab])}</text>')
        x += 24 + 14 * len(names[lab])
    parts.append(f'<text x="{x + 8}" y="18" class="legend">◆ 线索数</text>')
    # Grid and ticks
    base = top + len(rows) * (bar_h + gap)
    for t in range(0, axis_max + 1, step):
        gx = left + t * scale
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{base}" class="grid"/>'
                     f'<text x="{gx:.1f}" y="{base + 16}" class="tick" text-anchor="middle">{t}</text>')
    for i, ((village, notes), total) in enumerate(zip(rows, totals)):
        y = top + i * (bar_h + gap)
        short = village if len(village) <= 9 else village[:8] + "…"
        parts.append(f'<text x="{left - 8}" y="{y + bar_h - 4}" class="vname" text-anchor="end">'
                     f'<title>{_e(village)}</title>{_e(short)}</text>')
        x = left
        for lab in labels:
            count = report.village_labels.get((village, lab), 0)
            if not count:
                continue
            w = count * scale
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[lab]}">'
                         f'<title>{_e(village)} · {_e(names[lab])}：{count} 件</title></rect>')
            x += w
        clues = report.village_clues.get(village, 0)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_h - 4}" class="count">{notes}件'
                     f'{f" ◆{clues}" if clues else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _summary_cards(report: ScreenReport) -> str:
    s = report.summary
    first, last = report.date_range
    cards = [("读取行数", s.rows_read), ("已筛查", s.rows_screened), ("无法读取", s.errors),
             ("疑似线索", s.clues), ("重复反映事项", f"{s.groups} 组 / {s.rows_in_groups} 件")]
    if first or last:
        cards.append(("时间范围", f"{first or '?'} 至 {last or '?'}"))
    items = "".join(f'<div class="card"><div class="num">{_e(v)}</div><div class="cap">{_e(k)}</div></div>'
                    for k, v in cards)
    return f'<div class="cards">{items}</div>'


def _category_table(report: ScreenReport) -> str:
    names = category_names(report.labels)
    colours = _colours(report.labels)
    total = report.summary.rows_screened or 1
    rows = []
    for lab in report.labels + [""]:
        n = report.label_counts.get(lab, 0)
        c = report.label_clues.get(lab, 0) if lab else "—"
        name = names.get(lab, "无类别") if lab else "无类别"
        rows.append(f'<tr><td><span class="swatch" style="background:{colours[lab]}"></span>{_e(name)}</td>'
                    f'<td class="n">{n}</td><td class="n">{n / total:.0%}</td><td class="n">{c}</td></tr>')
    return ('<table class="grid"><thead><tr><th>类别</th><th>件数</th><th>占比</th><th>其中线索</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            '<p class="hint">一件信访可同时属于多个类别，故各类别件数之和可大于总数。</p>')


def _village_table(report: ScreenReport) -> str:
    names = category_names(report.labels)
    labels = list(report.labels) + [""]
    rows = _village_rows(report, _MAX_VILLAGES_TABLE)
    head = "".join(f"<th>{_e(names.get(lab, '无类别') if lab else '无类别')}</th>" for lab in labels)
    body = []
    for village, n in rows:
        cells = "".join(f'<td class="n">{report.village_labels.get((village, lab), 0) or ""}</td>' for lab in labels)
        body.append(f'<tr><td>{_e(village)}</td>{cells}<td class="n">{n}</td>'
                    f'<td class="n">{report.village_clues.get(village, 0) or ""}</td></tr>')
    rest = len(report.villages) - len(rows)
    if rest > 0:
        n_rest = sum(sorted(report.villages.values(), reverse=True)[len(rows):])
        body.append(f'<tr class="rest"><td>其余 {rest} 个村/地点</td><td colspan="{len(labels)}"></td>'
                    f'<td class="n">{n_rest}</td><td></td></tr>')
    return (f'<table class="grid"><thead><tr><th>村/地点</th>{head}<th>合计</th><th>线索</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _meta_line(item: dict, names: dict) -> str:
    bits = []
    if item.get("rank"):
        bits.append(f'<span class="rank">第 {item["rank"]} 位</span>')
    where = f"第 {item['row']} 行" + (f"（工作表 {_e(item['sheet'])}）" if item.get("sheet") else "")
    bits.append(where)
    if item.get("id") not in (None, "", item.get("row")):
        bits.append(f"编号 {_e(item['id'])}")
    if item.get("village"):
        bits.append(_e(item["village"]))
    if item.get("date"):
        bits.append(_e(item["date"]))
    labs = "、".join(names.get(lab, lab) for lab in item.get("labels") or []) or "无类别"
    bits.append(f"类别：{_e(labs)}")
    if item.get("clue_score") is not None:
        bits.append(f'线索分 <b>{float(item["clue_score"]):.2f}</b>')
    if item.get("group"):
        bits.append(f'<span class="rep">同一事项共 {item["group_size"]} 件（第 {item["group"]} 组）</span>')
    return " · ".join(bits)


def _top_clues(report: ScreenReport) -> str:
    if not report.top_clues:
        return '<p class="hint">未发现疑似问题线索。</p>'
    names = category_names(report.labels)
    legend = "".join(f'<mark class="ev-{k}">{v}</mark>' for k, v in _EVIDENCE_LABELS.items())
    items = []
    for item in report.top_clues:
        items.append(f'<article class="clue"><div class="meta">{_meta_line(item, names)}</div>'
                     f'<div class="text">{highlight_evidence(item["text"], item.get("evidence") or {})}</div>'
                     f'<div class="ev">{_e(item.get("summary") or "")}</div></article>')
    return f'<p class="hint">证据标注：{legend}</p>' + "".join(items)


def _groups(report: ScreenReport) -> str:
    if not report.groups:
        return '<p class="hint">未发现重复或高度相似的信访件。</p>'
    names = category_names(report.labels)
    out = []
    for g in report.groups:
        members = "".join(
            f'<li><div class="meta">{_meta_line(dict(m, rank=None, group=None), names)}</div>'
            f'<div class="snippet">{_e(_snippet(m["text"]))}</div></li>' for m in g["members"])
        more = g["size"] - len(g["members"])
        tail = f'<li class="hint">……另有 {more} 件，见 screened.xlsx 的 group 列（{g["group"]}）</li>' if more > 0 else ""
        out.append(f'<details class="group"{" open" if len(out) < 5 else ""}><summary>第 {g["group"]} 组：'
                   f'同一事项 {g["size"]} 件</summary><ol>{members}{tail}</ol></details>')
    return "".join(out)


def _snippet(text: str, n: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[:n] + "……"


_CSS = """
*{box-sizing:border-box}
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",
"SimSun",sans-serif;margin:0;color:#1c2833;background:#f4f6f7;line-height:1.6}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;border-left:4px solid #a93226;padding-left:10px;margin:32px 0 12px}
section{background:#fff;border-radius:6px;padding:16px 20px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.sub,.hint{color:#626567;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 150px;background:#fdfefe;border:1px solid #d5d8dc;border-radius:6px;padding:10px 14px}
.card .num{font-size:22px;font-weight:bold;color:#922b21}
.card .cap{font-size:13px;color:#566573}
table.grid{border-collapse:collapse;width:100%;font-size:14px}
table.grid th,table.grid td{border:1px solid #d5d8dc;padding:4px 8px;text-align:left}
table.grid th{background:#eaecee}
table.grid td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.rest td{color:#626567;font-style:italic}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
svg.chart{max-width:100%;height:auto;font-size:12px}
svg .legend,svg .vname{font-size:13px;fill:#1c2833}
svg .tick{font-size:11px;fill:#626567}
svg .count{font-size:12px;fill:#1c2833}
svg .grid{stroke:#e5e8e8;stroke-width:1}
article.clue{border-top:1px solid #e5e8e8;padding:12px 0}
article.clue:first-of-type{border-top:none}
.meta{font-size:13px;color:#424949}
.rank{font-weight:bold;color:#922b21}
.rep{color:#a04000;font-weight:bold}
.text{white-space:pre-wrap;margin:6px 0;font-size:15px}
.ev{font-size:13px;color:#566573}
.cut{color:#7f8c8d}
mark{padding:0 2px;border-radius:2px}
mark.ev-persons{background:#fadbd8}
mark.ev-amounts{background:#fcf3cf}
mark.ev-dates{background:#d6eaf8}
mark.ev-places{background:#d5f5e3}
mark.ev-acts{background:#f5b7b1;font-weight:bold}
details.group{border:1px solid #e5e8e8;border-radius:4px;margin:8px 0;padding:6px 12px}
details.group summary{cursor:pointer;font-weight:bold}
details.group li{margin:6px 0}
.snippet{font-size:14px}
footer{font-size:12px;color:#7f8c8d;text-align:center;margin:24px 0}
@media print{body{background:#fff}section{box-shadow:none;border:1px solid #ddd;break-inside:avoid-page}
details.group{break-inside:avoid}}
"""


def render_report(report: ScreenReport) -> str:
    """The whole page as one HTML string."""
    s = report.summary
    notes = []
    if report.masked:
        notes.append("联系电话、身份证号已作脱敏处理。")
    if s.errors:
        notes.append(f"有 {s.errors} 行无法读取，已跳过，行号和原因见 errors.csv。")
    if not getattr(s, "xlsx_written", True):
        notes.append("行数超过 Excel 上限（1,048,576 行），仅生成了 screened.csv。")
    generated = report.generated.strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>信访件筛查报告 · {_e(report.source)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<h1>信访件筛查报告</h1>
<div class="sub">文件：{_e(report.source)} · 生成时间：{generated} · 由 textmine 自动筛查，结果供人工研判参考。</div>
<div class="sub">{_e(" ".join(notes))}</div>
</header>
<section><h2>总体情况</h2>{_summary_cards(report)}</section>
<section><h2>问题类别</h2>{_category_table(report)}</section>
<section><h2>各村问题类别分布</h2>{render_chart(report)}
<p class="hint">条形按类别分段，长度为类别标注数（一件信访可属多个类别）；末尾为该村信访件数，◆ 后为其中疑似线索数；显示件数最多的 {_MAX_VILLAGES_CHART} 个村/地点。</p>
{_village_table(report)}</section>
<section><h2>重点线索（按线索分排序）</h2>{_top_clues(report)}</section>
<section><h2>重复反映的事项</h2>
<p class="hint">同一事项再次反映、改写后反映或多人反映的信访件归为一组；重复次数本身是研判信号。</p>
{_groups(report)}</section>
<footer>textmine · 本页为单一离线文件，不引用任何外部资源。</footer>
</main>
</body>
</html>
"""


def write_report(report: ScreenReport, path: Path | str) -> Path:
    """Write the page to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(render_report(report), encoding="utf-8")
    return path

"""Stage: interview transcripts (谈话记录) — split into turns, tag each turn, and surface the
turns most likely to carry a clue.

``textmine transcript INPUT`` takes a TXT or DOCX file, or a folder of them.

Turns are found from speaker marks at the start of a line, in the variety real transcripts use:
问：/答：, 问:/答:, Q：/A：, Q1:/A1:, 【问】, 巡察组：/谈话对象：, 谈话人：/被谈话人：, named speakers
(易组长：, 袁支书：, 刘某某：), and 问：/答： run together on one line after a full stop. A label
counts as a speaker when it is one of the usual question/answer marks or when it recurs; a label
seen once (时间：, 地点：, 谈话人意见：) is a heading, not a speaker. Lines before the first speaker
(the header: time, place, who was present) form one turn without speaker. A text without speaker
marks — a summary of a talk — is split into sentences on 。！？；and line breaks.

Scoring uses :meth:`textmine.model.Model.classify_many` on the turn texts, nothing else. An answer
often carries the allegation only together with what was asked before (问：存到村账户上了吗？
答：冇存，放在他屋里保险柜里), so an answer is also scored with the turns just before it and keeps
the higher score (see :func:`analyse_transcript`). Turns are ranked by that score; ``clue_turns``
lists the likely ones, most likely first.

Offsets (``start``/``end``) are into the text as read from the file (:func:`textmine.readers.read_text_file`),
and ``turn["text"] == text[start:end]``. Phone and ID-card numbers are masked in the output
(same length, so offsets hold) unless ``--no-mask``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import EmptyTextError, FileFormatError, InputError

__all__ = ["Turn", "split_turns", "split_sentences", "analyse_transcript", "transcript_files", "register_cli",
           "TRANSCRIPT_SUFFIXES"]

TRANSCRIPT_SUFFIXES = (".txt", ".docx")

#: Marks that are speakers even when they occur once.
_CORE = {"问", "答", "Q", "A", "问话", "答话", "问话人", "答话人", "提问", "回答"}
#: Labels that start a heading, never a speaker: time, place, record-keeping, conclusions.
_META = {"时间", "地点", "日期", "谈话时间", "谈话地点", "询问时间", "询问地点", "记录人", "记录", "记录员", "事由",
         "备注", "注", "附", "附件", "在场人员", "参加人员", "参加人", "签名", "签字", "单位", "职务", "性别",
         "年龄", "电话", "联系电话", "身份证号", "住址", "地址", "标题", "主题", "案由", "谈话事由"}
_META_SUFFIXES = ("意见", "小结", "核对", "时间", "地点", "签名", "签字", "结论", "说明", "备注")
_QUESTION_ROLES = {"问", "Q", "问话", "问话人", "提问", "巡察组", "谈话人", "巡察", "巡察员", "询问人", "调查人"}
_QUESTION_HINTS = ("组长", "巡察", "组员", "调查", "询问", "纪委", "谈话人")
_ANSWER_ROLES = {"答", "A", "答话", "答话人", "回答", "谈话对象", "被谈话人", "被询问人", "被调查人"}

_LABEL = (r"(?P<label>[A-Za-z]{1,2}[0-9]{0,3}"
          r"|[\u4e00-\u9fff][\u4e00-\u9fff×\*○]{0,7}[0-9]{0,3}"
          r")(?P<paren>\s*[（(][^）)\n]{1,20}[）)])?")
_LINE_MARK = re.compile(rf"(?m)^[ \t\u3000]*[【\[]?{_LABEL}[】\]]?[ \t\u3000]*[：:]")
_BRACKET_MARK = re.compile(r"(?m)^[ \t\u3000]*[【\[](?P<label>问|答|Q|A)[】\]]")
_INLINE_MARK = re.compile(r"(?<=[。？！?!…”」』）)])[ \t\u3000]*(?P<label>问|答)[ \t\u3000]*[：:]")
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\n+")


@dataclass
class Turn:
    """One speaker turn (or one sentence of a prose summary): ``text == full_text[start:end]``;
    what was said starts at ``body_start`` (after the speaker mark)."""

    index: int
    speaker: str | None
    start: int
    end: int
    text: str
    body_start: int = -1

    def __post_init__(self):
        if self.body_start < 0:
            self.body_start = self.start

    @property
    def body(self) -> str:
        """The turn without its speaker mark: 李会计：六年了 → 六年了."""
        return self.text[self.body_start - self.start:]


def _base_label(label: str) -> str:
    # Q1/A1, 问1 … number the questions; the speaker is the same.
    return re.sub(r"[0-9]+$", "", label).strip() or label


def _is_meta(label: str) -> bool:
    return label in _META or label.endswith(_META_SUFFIXES)


def _marks(text: str) -> list[tuple[int, str, int]]:
    """Candidate speaker marks: (offset of the mark, base label, offset after the mark), in text
    order, one per offset."""
    found: dict[int, tuple[str, int]] = {}
    for rx in (_LINE_MARK, _BRACKET_MARK, _INLINE_MARK):
        for m in rx.finditer(text):
            start = m.start("label")
            # A line-start mark begins at its bracket, if any, so the turn text includes it.
            while start > 0 and text[start - 1] in "【[":
                start -= 1
            found.setdefault(start, (_base_label(m.group("label")), m.end()))
    return [(pos, label, after) for pos, (label, after) in sorted(found.items())]


def split_turns(text: str) -> list[Turn]:
    """Split ``text`` into speaker turns, or into sentences when it has no speaker marks.

    Every non-blank character belongs to exactly one turn; turns are in text order.
    """
    marks = _marks(text)
    counts: dict[str, int] = {}
    for _, label, _ in marks:
        counts[label] = counts.get(label, 0) + 1
    speakers = {lab for lab, n in counts.items() if not _is_meta(lab) and (lab in _CORE or n >= 2)}
    cuts = [(pos, lab, after) for pos, lab, after in marks if lab in speakers]
    if len(cuts) < 2:
        return split_sentences(text)
    # Headings after the dialogue has begun (谈话人意见：…, 签名：…) start a turn of their own.
    first = cuts[0][0]
    cuts += [(pos, None, pos) for pos, lab, _ in marks if pos > first and _is_meta(lab)]
    cuts.sort()
    bounds = []
    if text[:first].strip():
        bounds.append((0, None, 0))
    bounds += cuts
    turns = []
    for k, (start, speaker, after) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else len(text)
        s, e = _trim(text, start, end)
        if e > s:
            body = min(_trim(text, after, e)[0], e)
            turns.append(Turn(len(turns), speaker, s, e, text[s:e], body))
    return turns


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[Turn]:
    """Sentences of a prose text, split after 。！？；(and !?;) or at line breaks, with offsets;
    closing quotes stay with their sentence."""
    turns, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        s, e = _trim(text, pos, m.end())
        if e > s:
            turns.append(Turn(len(turns), None, s, e, text[s:e]))
        pos = m.end()
    s, e = _trim(text, pos, len(text))
    if e > s:
        turns.append(Turn(len(turns), None, s, e, text[s:e]))
    return turns


def _is_question(turn: Turn) -> bool:
    sp = turn.speaker
    if sp is None:
        return False
    if sp in _QUESTION_ROLES or any(h in sp for h in _QUESTION_HINTS):
        return sp not in _ANSWER_ROLES
    return sp not in _ANSWER_ROLES and turn.text.rstrip().endswith(("？", "?", "吗", "吗？"))


#: Turns before an answer that are scored together with it (the question, and the exchange
#: before it, which often names the person the answer calls 他).
CONTEXT_TURNS = 2


def analyse_transcript(text: str, model, id=None, mask: bool = True, min_clue_turns: int = 3,
                       max_clue_turns: int = 10) -> dict:
    """The transcript result (CONTRACT.md): whole-text scores, ``turns`` and ``clue_turns``.

    The transcript's labels, scores, clue and evidence are the model's on the whole text, as
    ``textmine classify`` would give. Each turn's ``clue_score`` is the model's on the turn or, for
    an answer, what the answer adds to the ``CONTEXT_TURNS`` turns before it (the window's score
    with the answer minus without it), whichever is higher; ``context_from`` is then the window's
    first turn. 答：冇存，放在他屋里保险柜里 says little alone and much after 问：存到村账户上了吗？
    and an answer naming 会计贺某某; an answer after a clue-laden exchange (答：去年秋天) gains
    nothing from it. On the corpus's 177 clue transcripts with annotated acts, a turn holding one
    is among the top three for 145 (141 scoring turns alone); the corpus trained the model, so
    this flatters it.

    ``clue_turns`` holds the turns at or above the model's clue threshold, most likely first (never
    the header — the lines before the first speaker); when the transcript or any turn is a clue it
    has at least ``min_clue_turns`` entries, and never more than ``max_clue_turns``.
    """
    from .mask import mask_text
    from .model import check_note

    check_note(text, where="the transcript")
    turns = split_turns(text)
    whole = model.classify(text, id=id if id is not None else 1, explain=False)
    dialogue = any(t.speaker for t in turns)
    header = [dialogue and t.speaker is None and t.index < _first_speaker(turns) for t in turns]
    windows: dict[int, int] = {}
    for k, t in enumerate(turns):
        if t.speaker is None or _is_question(t):
            continue
        lo = max(0, k - CONTEXT_TURNS)
        while lo < k and header[lo]:
            lo += 1
        if lo < k:
            windows[k] = lo
    # Each window is scored with and without the answer: what the answer adds is its due, so an
    # answer after a clue-laden exchange does not inherit that exchange's score.
    # Turns are scored on what was said, without the speaker mark: 李会计：… would otherwise put a
    # named person into every one of that speaker's answers.
    texts = [t.body or t.text for t in turns]
    texts += ["\n".join(t.body for t in turns[lo:k + 1]) for k, lo in windows.items()]
    texts += ["\n".join(t.body for t in turns[lo:k]) for k, lo in windows.items()]
    results = model.classify_many(texts, explain=False) if texts else []
    own = results[: len(turns)]
    with_answer = results[len(turns): len(turns) + len(windows)]
    without = results[len(turns) + len(windows):]
    in_context = {k: (a["clue_score"] - b["clue_score"]) if a["clue_score"] is not None else None
                  for k, a, b in zip(windows, with_answer, without)}
    threshold = None if model.clue is None else float(model.clue.threshold_)

    def masked(s: str) -> str:
        return mask_text(s) if mask else s

    out_turns = []
    for t, res in zip(turns, own):
        score, context_from = res["clue_score"], None
        gain = in_context.get(t.index)
        if gain is not None and score is not None and gain > score:
            score, context_from = round(gain, 4), windows[t.index]
        out_turns.append({
            "index": t.index, "speaker": t.speaker, "text": masked(t.text), "start": t.start, "end": t.end,
            "labels": res["labels"], "clue_score": score, "context_from": context_from,
            "evidence": _shift(res["evidence"], t.body_start if t.body else t.start, masked),
        })
    # The header (time, place, who was present) names people and places and so scores high,
    # but it is the record's cover, not a statement: it is never offered as a clue turn.
    ranked = sorted((t for t in out_turns if t["clue_score"] is not None and not header[t["index"]]),
                    key=lambda t: (-t["clue_score"], t["index"]))
    chosen = [t["index"] for t in ranked if threshold is not None and t["clue_score"] >= threshold]
    if (whole["clue"] or chosen) and len(chosen) < min_clue_turns:
        chosen = [t["index"] for t in ranked[:min_clue_turns]]
    return {
        "id": whole["id"],
        "labels": whole["labels"],
        "scores": whole["scores"],
        "clue": whole["clue"],
        "clue_score": whole["clue_score"],
        "evidence": _shift(whole["evidence"], 0, masked),
        "mode": "dialogue" if dialogue else "sentences",
        "turns": out_turns,
        "clue_turns": chosen[:max_clue_turns],
        "model": whole["model"],
    }


def _first_speaker(turns: list[Turn]) -> int:
    return next((t.index for t in turns if t.speaker is not None), len(turns))


def _shift(evidence: dict, offset: int, masked) -> dict:
    """Evidence of a turn with offsets into the whole text."""
    out = {}
    for kind, items in evidence.items():
        out[kind] = [dict(i, text=masked(i["text"]), start=i["start"] + offset, end=i["end"] + offset) for i in items]
    return out


# --------------------------------------------------------------------------------------------- files
def transcript_files(path: Path) -> list[Path]:
    """The TXT/DOCX files of ``path`` (itself, or a folder's, sorted; Word's ~$ lock files skipped)."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"'{path}' does not exist; check the path")
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES and not p.name.startswith("~$"))
        if not files:
            raise FileFormatError(f"the folder '{path}' has no .txt or .docx files; put the transcripts there "
                                  "(old .doc files must be saved as .docx first)")
        return files
    if path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
        raise FileFormatError(f"'{path}' is not a .txt or .docx file; save the transcript from Word as .docx "
                              "or as plain text")
    return [path]


def _summary_lines(result: dict, name: str, names: dict, top: int) -> list[str]:
    """A readable summary of one transcript for the terminal."""
    labels = "、".join(f"{names.get(lab, lab)} {result['scores'][lab]:.2f}" for lab in result["labels"]) or "无类别"
    mode = "问答" if result["mode"] == "dialogue" else "按句"
    clue = "—" if result["clue_score"] is None else f"{result['clue_score']:.2f}" + (" ✔" if result["clue"] else "")
    lines = [f"== {name}：{len(result['turns'])} 段（{mode}）", f"   类别：{labels}；线索分：{clue}"]
    picks = result["clue_turns"][:top] or [t["index"] for t in sorted(
        result["turns"], key=lambda t: -(t["clue_score"] or 0))[:top]]
    if picks:
        lines.append("   最可能含线索的段落：" if result["clue_turns"] else "   线索分最高的段落（均未达阈值）：")
    by_index = {t["index"]: t for t in result["turns"]}
    for i in picks:
        t = by_index[i]
        flat = " ".join(t["text"].split())
        snippet = flat if len(flat) <= 90 else flat[:90] + "……"
        with_q = f"（连同第 {t['context_from']} 段起的上文）" if t["context_from"] is not None else ""
        lines.append(f"   #{i} {t['speaker'] or ''} {t['clue_score']:.2f}{with_q}：{snippet}")
        from .screen import evidence_summary

        ev = evidence_summary(t["evidence"])
        if ev:
            lines.append(f"        {ev}")
    return lines


def _xlsx_rows(path: Path, rows: list[dict], labels: list[str]) -> None:
    """One row per transcript."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "transcripts"
    header = ["file", "id", "turns", "labels", *[f"score_{lab}" for lab in labels], "clue", "clue_score",
              "clue_turns", "top_turns", "evidence", "error"]
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for r in rows:
        values = [r.get(k) for k in header]
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v)[:32767] if isinstance(v, str) else v for v in values])
    for c in ws[1]:
        if c.value == "top_turns":
            ws.column_dimensions[c.column_letter].width = 80
    wb.save(path)


def register_cli(subparsers) -> None:
    """Add ``textmine transcript``."""
    p = subparsers.add_parser(
        "transcript", help="split interview transcripts into turns and surface the turns that carry clues",
        description="Tag a TXT/DOCX interview transcript (or a folder of them) turn by turn.")
    p.add_argument("input", help="a .txt or .docx file, or a folder of them")
    p.add_argument("--output", help="JSON file for the result(s): one object for a file; a list for a folder "
                                    "(JSON Lines when the name ends in .jsonl); '-' prints the JSON")
    p.add_argument("--xlsx", help="for a folder: XLSX with one row per transcript "
                                  "(default: next to --output, else transcripts.xlsx here)")
    p.add_argument("--model", help="model folder (default: the bundled model)")
    p.add_argument("--top", type=int, default=3, help="turns shown per transcript in the terminal (default 3)")
    p.add_argument("--no-mask", action="store_true", help="keep phone and ID-card numbers unmasked")
    p.add_argument("--quiet", action="store_true", help="no readable summary")
    p.set_defaults(func=cmd_transcript)


def cmd_transcript(args) -> int:
    """Run ``textmine transcript``: JSON to --output, summaries to the terminal, XLSX for a folder."""
    from .persist import load_model
    from .readers import read_text_file
    from .report import category_names
    from .screen import evidence_summary
    from .settings import get_settings

    src = Path(args.input)
    files = transcript_files(src)
    folder = src.is_dir()
    mask = False if args.no_mask else get_settings().mask_personal_numbers
    model = load_model(args.model)
    names = category_names(model.labels)
    results, rows, failed = [], [], 0
    for f in files:
        row = {"file": f.name, "id": f.stem}
        try:
            text = read_text_file(f)
            if not text.strip():
                raise EmptyTextError(f"'{f}' has no text; check that it is the right file")
            res = analyse_transcript(text, model, id=f.stem, mask=mask)
        except InputError as exc:
            if not folder:
                raise
            failed += 1
            print(f"textmine: {f.name}: {exc} — skipped", file=sys.stderr)
            row["error"] = str(exc)
            rows.append(row)
            continue
        res["file"] = str(f)
        results.append(res)
        if not args.quiet:
            # With the JSON on stdout the summary moves to stderr, so the JSON can be piped.
            print("\n".join(_summary_lines(res, f.name, names, args.top)),
                  file=sys.stderr if args.output == "-" else sys.stdout)
        by_index = {t["index"]: t for t in res["turns"]}
        row.update({"turns": len(res["turns"]), "labels": "|".join(res["labels"]), "clue": res["clue"],
                    "clue_score": res["clue_score"], "clue_turns": ",".join(map(str, res["clue_turns"])),
                    "top_turns": "\n".join(f"#{i} {by_index[i]['speaker'] or ''} {by_index[i]['clue_score']:.2f}："
                                           f"{' '.join(by_index[i]['text'].split())[:120]}"
                                           for i in res["clue_turns"][:3]),
                    "evidence": evidence_summary(res["evidence"]),
                    **{f"score_{lab}": res["scores"][lab] for lab in model.labels}})
        rows.append(row)
    payload = results if folder else results[0]
    if args.output == "-":
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.output:
        out = Path(args.output)
        if folder and out.suffix.lower() == ".jsonl":
            out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
        else:
            out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"JSON written to {out}", file=sys.stderr)
    if folder:
        xlsx = Path(args.xlsx) if args.xlsx else (Path(args.output).with_suffix(".xlsx")
                                                  if args.output and args.output != "-" else Path("transcripts.xlsx"))
        _xlsx_rows(xlsx, rows, model.labels)
        print(f"{len(results)} transcripts, one row each → {xlsx}" +
              (f"; {failed} could not be read (listed above)" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


"""Interview transcripts: turn splitting, per-turn scoring, the CLI (textmine/transcript.py)."""

from __future__ import annotations

import json

import pytest

from textmine.cli import main
from textmine.errors import FileFormatError
from textmine.mask import mask_text
from textmine.transcript import analyse_transcript, split_sentences, split_turns, transcript_files


def _check_cover(text, turns):
    """Turns are in order, text == slice, and every non-blank character is in exactly one turn."""
    covered = []
    for k, t in enumerate(turns):
        assert t.index == k
        assert text[t.start:t.end] == t.text
        covered.extend(range(t.start, t.end))
    assert covered == sorted(set(covered))
    assert all(text[i].isspace() for i in range(len(text)) if i not in set(covered))


QA = ("时间：2023年4月11日上午\n地点：石牛村村部\n谈话人：县委第三巡察组 李某\n谈话对象：彭某某，石牛村报账员\n\n"
      "问：你当报账员几年了？\n答：一八年接手的，五年多了。\n问:村里的账怎么管？\n答:村账镇管。\n")


def test_question_answer_turns_with_header():
    turns = split_turns(QA)
    _check_cover(QA, turns)
    assert [t.speaker for t in turns] == [None, "问", "答", "问", "答"]
    assert turns[0].text.startswith("时间：") and turns[0].text.endswith("石牛村报账员")
    assert turns[3].text == "问:村里的账怎么管？"


@pytest.mark.parametrize("text, speakers", [
    ("巡察组：老人家身体好吧？\n谈话对象：好咧。\n巡察组：支部开会您参加吗？\n谈话对象：参加。", ["巡察组", "谈话对象"] * 2),
    ("易组长：你们村沙场是什么时候搞的？\n袁支书：二〇一七年。\n易组长：老板是谁？\n袁支书：姓付。", ["易组长", "袁支书"] * 2),
    ("Q1：你吃低保吗？\nA1：吃了。\nQ2：每月多少？\nA2：五百多。", ["Q", "A"] * 2),
    ("【问】你叫什么？\n【答】王某某。\n【问】什么职务？\n【答】会计。", ["问", "答"] * 2),
    ("问：合同谁签的？答：书记一个人签的。问：开会了吗？答：冇开。", ["问", "答"] * 2),
    ("谈话人：合同谁签的？\n被谈话人（村主任谢某）：支书一个人签的。\n谈话人：交了多少？\n被谈话人（村主任谢某）：七千五。",
     ["谈话人", "被谈话人"] * 2),
])
def test_speaker_marks_in_their_variety(text, speakers):
    turns = split_turns(text)
    _check_cover(text, turns)
    assert [t.speaker for t in turns] == speakers


def test_headings_seen_once_do_not_split_but_end_a_dialogue():
    text = "问：钱去哪了？\n答：经查：存在会计屋里。\n谈话人意见：线索具体，建议核实。"
    turns = split_turns(text)
    assert [t.speaker for t in turns] == ["问", "答", None]
    assert turns[1].text == "答：经查：存在会计屋里。"
    assert turns[2].text == "谈话人意见：线索具体，建议核实。"


def test_prose_is_split_into_sentences_with_offsets():
    text = "与村会计刘某谈话情况。\n据其介绍，村里账目每季度公开；去年修路花了八万元！是否超支？“不清楚。”"
    turns = split_turns(text)
    assert turns == split_sentences(text)
    _check_cover(text, turns)
    assert [t.text for t in turns] == ["与村会计刘某谈话情况。", "据其介绍，村里账目每季度公开；", "去年修路花了八万元！",
                                       "是否超支？", "“不清楚。”"]
    assert all(t.speaker is None for t in turns)


UNSEEN = ("谈话时间：2024年3月5日\n谈话地点：镇纪委谈话室\n"
          "问：今天主要了解村里的一些情况，你在村里干了几年？\n"
          "答：我当村民小组长六年了，一直在三组。\n"
          "问：你们组去年修水渠的钱是怎么用的？\n"
          "答：镇上拨了八万块，说是修三组那条灌溉渠。村主任黄某某把活包给了他自己的侄子，没有招标。渠只修了一半，"
          "剩下的三万多块钱到现在没有下文，账上也看不到。\n"
          "问：你平时还管些什么事？\n"
          "答：就是收收医保，通知开会这些。\n"
          "问：好的，还有别的情况吗？\n"
          "答：没有了。我电话13812345678，有事打给我。\n")


def test_the_turn_with_the_allegation_comes_first(model):
    result = analyse_transcript(UNSEEN, model, id="t-1")
    assert result["id"] == "t-1"
    assert result["mode"] == "dialogue"
    assert set(result) >= {"labels", "scores", "clue", "clue_score", "evidence", "turns", "clue_turns", "model"}
    allegation = next(t["index"] for t in result["turns"] if "黄某某" in t["text"])
    assert allegation in result["clue_turns"][:3]
    assert result["clue_turns"][0] == allegation
    turn = result["turns"][allegation]
    assert turn["speaker"] == "答"
    assert UNSEEN[turn["start"]:turn["end"]] == turn["text"]
    assert {e["text"] for e in turn["evidence"]["persons"]} >= {"村主任黄某某"}
    for e in turn["evidence"]["persons"]:
        assert UNSEEN[e["start"]:e["end"]] == e["text"]
    assert 0 not in result["clue_turns"]  # the header is never offered as a clue turn
    last = result["turns"][-1]
    assert "138****5678" in last["text"] and "13812345678" not in json.dumps(result, ensure_ascii=False)
    assert len(last["text"]) == last["end"] - last["start"]


def test_unmasked_on_request(model):
    result = analyse_transcript(UNSEEN, model, mask=False)
    assert "13812345678" in result["turns"][-1]["text"]


def test_a_harmless_transcript_offers_no_clue_turns(model):
    text = "问：阿姨身体好吗？\n答：好咧，低保每个月按时到。\n问：村里干部来看过你吗？\n答：来过，过年还送了米和油。"
    result = analyse_transcript(text, model)
    assert result["clue"] is False
    assert result["clue_turns"] == []


def test_files_and_folders(tmp_path):
    with pytest.raises(FileFormatError, match="does not exist"):
        transcript_files(tmp_path / "nope.docx")
    (tmp_path / "old.doc").write_bytes(b"x")
    with pytest.raises(FileFormatError, match="save the transcript from Word as .docx"):
        transcript_files(tmp_path / "old.doc")
    with pytest.raises(FileFormatError, match="has no .txt or .docx files"):
        transcript_files(tmp_path)
    (tmp_path / "b.txt").write_text("问：好\n答：好", encoding="utf-8")
    (tmp_path / "a.docx").write_bytes(b"")
    (tmp_path / "~$a.docx").write_bytes(b"")
    assert [p.name for p in transcript_files(tmp_path)] == ["a.docx", "b.txt"]


def _docx(path, text):
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.save(str(path))


def test_cli_docx_to_json(tmp_path, capsys):
    _docx(tmp_path / "谈话.docx", UNSEEN)
    out = tmp_path / "r.json"
    assert main(["transcript", str(tmp_path / "谈话.docx"), "--output", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["id"] == "谈话"
    # The paragraphs come back joined by line breaks, i.e. as UNSEEN; masking keeps offsets.
    for t in result["turns"]:
        assert t["text"] == mask_text(UNSEEN)[t["start"]:t["end"]]
    printed = capsys.readouterr().out
    assert "最可能含线索的段落" in printed and "黄某某" in printed


def test_cli_folder_gives_json_list_and_xlsx(tmp_path, capsys):
    import openpyxl

    folder = tmp_path / "talks"
    folder.mkdir()
    _docx(folder / "a.docx", UNSEEN)
    (folder / "b.txt").write_text("问：阿姨身体好吗？\n答：好咧。", encoding="gbk")
    (folder / "c.txt").write_text("   \n", encoding="utf-8")
    out = tmp_path / "all.json"
    assert main(["transcript", str(folder), "--output", str(out), "--quiet"]) == 1  # c.txt is empty
    results = json.loads(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in results] == ["a", "b"]
    ws = openpyxl.load_workbook(tmp_path / "all.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("file", "id", "turns", "labels") and "top_turns" in header and "error" in header
    assert [r[0] for r in rows[1:]] == ["a.docx", "b.txt", "c.txt"]
    assert "has no text" in rows[3][header.index("error")]
    assert "c.txt" in capsys.readouterr().err

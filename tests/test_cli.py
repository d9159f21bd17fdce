"""The command line as a user meets it: results, bad input, partial files, exit codes."""

import json


from textmine.cli import main


def test_classify_one_note_prints_a_result(capsys):
    assert main(["classify", "村主任王某把村里的机动地低价租给自己亲戚，一年只收500元"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["id"] == 1
    assert "three_assets" in result["labels"]


def test_classify_explain_marks_the_highlights(capsys):
    assert main(["classify", "--explain", "--no-colour", "村会计王某虚开发票报销招待费三千元"]) == 0
    out = capsys.readouterr().out
    assert "[[" in out and "clue" in out and "amounts: 三千元" in out


def test_empty_note_is_a_plain_error(capsys):
    assert main(["classify", "   "]) == 2
    assert "the note is empty" in capsys.readouterr().err


def test_file_with_some_bad_rows_classifies_the_good_ones(tmp_path, capsys):
    src = tmp_path / "notes.csv"
    src.write_text("编号,反映内容\nA1,低保户名单没有公示\nA2,\nA3,村会计挪用公款两万元\n", encoding="gbk")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--input", str(src), "--output", str(out)]) == 1
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["A1", "A3"]
    assert "row 2: the text column (反映内容) is empty" in capsys.readouterr().err


def test_jsonl_input_keeps_ids_and_order_and_reports_non_text(tmp_path, capsys):
    src = tmp_path / "notes.jsonl"
    src.write_text('{"id": "x", "text": "村里修路的钱去哪了"}\n{"id": "y", "text": 5}\n{"text": "低保不公"}\n',
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--input", str(src), "--output", str(out)]) == 1
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["x", 3]
    assert "row 2: 'text' is not text (int)" in capsys.readouterr().err


def test_unknown_text_column_lists_columns(tmp_path, capsys):
    src = tmp_path / "notes.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["classify", "--input", str(src), "--output", str(tmp_path / "o.jsonl"), "--text-column", "正文"]) == 2
    assert "column '正文' not found; the columns are: 'a', 'b'" in capsys.readouterr().err


def test_corrupt_model_path(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    assert main(["classify", "--model", str(tmp_path), "低保"]) == 2
    assert "is missing; copy the whole model folder again or retrain" in capsys.readouterr().err


def test_missing_input_file(tmp_path, capsys):
    assert main(["classify", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_train_on_a_user_table_and_classify_with_it(tmp_path, capsys):
    rows = ["text,label"] + [f"第{i}条 修路 占地 补偿,城建" for i in range(6)] + [f"第{i}条 学校 老师 食堂,教育" for i in range(6)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["train", "--corpus", str(tmp_path / "t.csv"), "--out", str(tmp_path / "m"), "--folds", "3"]) == 0
    assert main(["classify", "--model", str(tmp_path / "m"), "学校食堂的饭菜"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["labels"] == ["教育"] and result["clue"] is None

from textmine.explain import render_terminal


def test_highlights_point_at_terms_of_the_assigned_categories(model):
    text = "村主任把村集体的鱼塘低价发包给他小舅子，没开村民代表大会"
    r = model.classify(text)
    assert r["highlights"]
    for h in r["highlights"]:
        assert h["label"] in r["labels"] and h["weight"] > 0
        assert 0 <= h["start"] < h["end"] <= len(text)
    marked = {text[h["start"]:h["end"]] for h in r["highlights"]}
    assert any("发包" in m or "鱼塘" in m for m in marked)


def test_highlights_map_back_through_traditional_and_full_width(model):
    text = "村幹部把徵地補償款２０萬元私分了"
    r = model.classify(text)
    assert all(0 <= h["start"] < h["end"] <= len(text) for h in r["highlights"])


def test_no_highlights_when_nothing_is_assigned_or_asked(model):
    r = model.classify("邻居家的狗天天晚上叫，吵得人睡不着")
    assert r["labels"] == [] and r["highlights"] == []
    assert model.classify("村会计挪用公款两万元", explain=False)["highlights"] == []


def test_terminal_rendering_marks_terms_without_colour(model):
    text = "村会计王某虚开发票报销招待费三千元"
    out = render_terminal(text, model.classify(text), colour=False)
    assert "[[" in out and "]]" in out
    assert "amounts: 三千元" in out and "clue" in out

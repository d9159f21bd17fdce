from textmine.normalize import normalize, normalize_text


def test_full_width_digits_and_letters_become_half_width():
    assert normalize_text("２０２１年ＡＢＣ") == "2021年abc"


def test_traditional_characters_become_simplified_one_for_one():
    text = "村幹部貪污補貼"
    assert normalize_text(text) == "村干部贪污补贴"
    assert len(normalize_text(text)) == len(text)


def test_odd_whitespace_and_control_characters_become_spaces():
    assert normalize_text("a\u3000b\u00a0c\td\x07e") == "a b c d e"


def test_identity_offsets_when_nothing_is_removed():
    n = normalize("征地補償款３万元")
    assert n.source_index is None
    assert n.to_original(5, 8) == (5, 8)


def test_offsets_map_back_after_zero_width_characters_are_removed():
    original = "王\u200b某\ufeff挪用３万元"
    n = normalize(original)
    assert n.text == "王某挪用3万元"
    start = n.text.index("3万元")
    s, e = n.to_original(start, start + 3)
    assert original[s:e] == "３万元"
    s, e = n.to_original(0, 2)
    assert original[s:e] == "王\u200b某"

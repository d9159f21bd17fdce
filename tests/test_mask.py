"""Masking of phone and ID-card numbers (textmine/mask.py)."""

from __future__ import annotations

import pytest

from textmine.mask import mask_text, mask_value


@pytest.mark.parametrize("text, expected", [
    ("联系电话13812345678", "联系电话138****5678"),
    ("手机：１３８１２３４５６７８。", "手机：１３８****５６７８。"),
    ("电话 138 1234 5678 请回电", "电话 138 **** 5678 请回电"),
    ("138-1234-5678", "138-****-5678"),
    ("+86 13912345678", "+86 139****5678"),
    ("8615912345678", "86159****5678"),
])
def test_mobiles_keep_first_three_and_last_four(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("身份证号320102199003071234", "身份证号320102********1234"),
    ("身份证32010219900307123X。", "身份证320102********123X。"),
    ("证件号３２０１０２１９９００３０７１２３ｘ", "证件号３２０１０２********１２３ｘ"),
    ("旧证320102900307123", "旧证320102******123"),
])
def test_id_numbers_keep_region_and_last_digits(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("座机0571-88776655", "座机0571-******55"),
    ("（0571）88776655", "（0571）******55"),
    ("0371 6543210", "0371 *****10"),
])
def test_landlines_keep_area_code(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "村支书王某2021年挪用低保金3000元",
    "拨打12345热线，12388举报",
    "工单号202305120001234567890",
    "订单13812345678901",  # glued to more digits: not a phone number
    "日期2023-05-17 09:42，金额1.2万元",
    "",
])
def test_other_numbers_are_left_alone(text):
    assert mask_text(text) == text


def test_masking_keeps_length_so_offsets_hold():
    text = "我叫张某，电话１３８-１２３４-５６７８，身份证32010219900307123X，村会计王某挪用3000元"
    masked = mask_text(text)
    assert masked == "我叫张某，电话１３８-****-５６７８，身份证320102********123X，村会计王某挪用3000元"
    assert len(masked) == len(text)
    start = text.index("王某挪用")
    assert masked[start:start + 4] == "王某挪用"


def test_mask_value_handles_numbers_stored_as_numbers():
    assert mask_value(13812345678) == "138****5678"
    assert mask_value(3000) == 3000
    assert mask_value(None) is None
    assert mask_value(True) is True
    assert mask_value("13812345678") == "138****5678"

"""Stage 5: extract the evidence that makes a note checkable — who, how much, when, where, what.

Each item is ``{"text", "start", "end"}`` with offsets into the text *as received*
(``text == original[start:end]``); amounts also carry ``yuan``, a normalised value
(两千多元 → 2000, 3.5万元 → 35000, 贰仟元 → 2000; "多/余/来" count as the stated figure).

How each type is found:
- persons: posts from ``corpora/lexicon/posts.txt``; masked names (张某, 王××, 李**, 赵某某);
  person names tagged ``nr`` by jieba's part-of-speech tagger (with HMM, which is what finds
  unseen names); a post directly followed by a name becomes one item (村会计王某);
- amounts: Arabic or Chinese numerals with a money unit (元, 块, 万元 …), or a figure in 万
  standing alone; areas and weights (亩, 斤) are never money;
- dates: absolute dates and periods (2019年3月, 2021年至2023年) and relative ones
  (去年腊月, 前年, 近三年, 春节前);
- places: administrative names ending in 省/市/县/区/镇/乡/村/社区/组 and jieba ``ns`` tags;
- acts: the violation lexicon ``corpora/lexicon/acts.txt``, longest match first.

Matching runs on the normalised text (full-width digits and Traditional characters folded), and
spans are mapped back to the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .normalize import Normalized, normalize
from .segment import Segmenter
from .settings import LEXICON_DIR

__all__ = ["EvidenceExtractor", "EVIDENCE_TYPES", "parse_yuan"]

EVIDENCE_TYPES = ("persons", "amounts", "dates", "places", "acts")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴"
    "盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那"
    "宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_SUR = f"[{SURNAMES}]"
_MASK = r"(?:某某|某|[×xX\*○〇]{1,3}|ｘ{1,3})"
_DIGIT = r"[0-9]"
_CNUM = "零〇一二两三四五六七八九十百千万亿壹贰贰叁肆伍陆柒捌玖拾佰仟"
_APPROX = "多余来几"

# Money: a figure, an optional 万/千 multiplier, an optional approximation mark, and a unit.
_AMOUNT_RE = re.compile(
    rf"(?:{_DIGIT}[0-9,.，]*{_DIGIT}|{_DIGIT})\s*[{_APPROX}]?\s*(?:[万千百亿]|仟|佰)?[{_APPROX}]?\s*(?:元|块钱|块|圆)"
    rf"|(?:{_DIGIT}[0-9,.]*{_DIGIT}|{_DIGIT})\s*[{_APPROX}]?万[{_APPROX}]?(?![亩斤人户个平方米公里吨头只株棵辆台间套年元块])"
    rf"|[{_CNUM}]*[一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾][{_CNUM}{_APPROX}]*(?:元|块钱|块|圆)"
    rf"|[{_CNUM}]*[一二两三四五六七八九十][{_CNUM}{_APPROX}]*万[{_CNUM}{_APPROX}]*(?![亩斤人户个平方米公里吨头只株棵辆台间套年元块])"
)
_CN_YEAR = "〇零一二三四五六七八九"
_DATE_RE = re.compile(
    r"(?:(?:19|20)[0-9]{2}|[0-9]{2}|[" + _CN_YEAR + r"]{4})年(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})?月?份?"
    r"(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})?[日号]?(?:(?:至|到|—|-|－|~|～)(?:(?:19|20)[0-9]{2}年)?(?:[0-9]{1,2}月)?(?:[0-9]{1,2}[日号])?)?"
    r"(?:上半年|下半年|年初|年底|年末|底|初|前后|以来|期间|春节|秋天|夏天|冬天|春天)?"
    r"|(?:19|20)[0-9]{2}(?:—|-|－|~|～|至|到)(?:19|20)?[0-9]{2}年"
    r"|[0-9]{1,2}月(?:[0-9]{1,2}[日号])?(?:份)?"
    r"|[一二三四五六七八九十]{1,3}月份?(?:[一二三四五六七八九十]{1,3}[日号])?"
    r"|(?:大前年|前年|去年|今年|明年|上年|当年|那年|头年)(?:的)?(?:腊月|正月|冬月|[一二三四五六七八九十]{1,2}月份?|[0-9]{1,2}月份?|年初|年底|年末|春节前?后?|上半年|下半年|春天|夏天|秋天|冬天|秋收|夏收|麦收|底|初)?"
    r"|(?:近|最近|这|前|过去|头)[一二三四五两五六七八九十几0-9]{1,2}(?:年|个月)"
    r"|上个?月|本月|这个月|月初|月底|年初|年底|春节(?:前|后|期间)|腊月|正月|中秋节?前?后?|国庆节?前?后?"
    r"|[0-9]{4}年度"
)
_PLACE_RE = re.compile(
    r"[\u4e00-\u9fa5]{1,6}?(?:省|自治区|市|县|区|镇|乡|街道)[\u4e00-\u9fa5]{0,6}?(?:村|社区|居委会)"
    r"|[\u4e00-\u9fa5]{1,5}?(?:村|社区|屯|嘎查)(?![委民干务两里部组长支主会计集])"
    r"|(?:第?[一二三四五六七八九十0-9]{1,3}|[\u4e00-\u9fa5]{1,3})(?:村民小组|村民组|组|社)(?![长织员委])"
    r"|[\u4e00-\u9fa5]{2,5}?(?:镇|乡|街道)(?![长党政干里上])"
    r"|村部|村委会|村委大院|党群服务中心|村办公室"
)
_NON_MONEY_AFTER = re.compile(r"^\s*(?:亩|斤|公斤|吨|平方|米|户|人|个|头|只|株|棵|辆|台|间|套|年|天|次|岁|名)")


def _read_lexicon(path: Path) -> list[str]:
    if not path.exists():
        return []
    words = {w.strip() for w in path.read_text(encoding="utf-8").splitlines()}
    return sorted((w for w in words if w and not w.startswith("#")), key=len, reverse=True)


def _alternation(words: list[str]) -> re.Pattern | None:
    return re.compile("|".join(map(re.escape, words))) if words else None


def parse_yuan(text: str) -> float | None:
    """Normalised value in yuan of a money expression, or None when it cannot be read.

    >>> parse_yuan("3.5万元"), parse_yuan("两千多元"), parse_yuan("贰仟元"), parse_yuan("9,860元")
    (35000.0, 2000.0, 2000.0, 9860.0)
    """
    import cn2an

    s = normalize(text).text
    s = re.sub(r"\s+|块钱|块|元|圆|[,，]", "", s)
    s = re.sub(r"(?<=[0-9])[多余来几]|[多余来几](?=[万千百仟佰亿]|$)", "", s)
    s = s.replace("几", "")
    if not s:
        return None
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([万千百亿仟佰]?)", s)
    if m:
        mult = {"": 1, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000, "亿": 100_000_000}[m.group(2)]
        return float(m.group(1)) * mult
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@dataclass
class _Span:
    type: str
    start: int
    end: int


class EvidenceExtractor:
    """Find persons, amounts, dates, places and acts in a note.

    Parameters
    ----------
    segmenter : Segmenter or None
        Used for jieba's part-of-speech tags (person and place names); ``None`` skips them.
    posts, acts : path
        Lexicons of posts and of violation acts, one per line.
    """

    def __init__(self, segmenter: Segmenter | None = None, posts: Path = LEXICON_DIR / "posts.txt",
                 acts: Path = LEXICON_DIR / "acts.txt"):
        self.segmenter = segmenter
        self.posts = Path(posts)
        self.acts = Path(acts)

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("_post_re", "_act_re", "_pos"):
            state.pop(key, None)
        return state

    @cached_property
    def _post_re(self):
        posts = _read_lexicon(self.posts)
        if not posts:
            return None
        name = rf"(?:{_SUR}{_MASK}|{_SUR}[\u4e00-\u9fa5]{{1,2}}(?=[，,。、；;：:）)\s的在把将和与跟等从是说让叫]))"
        return re.compile(rf"(?:{'|'.join(map(re.escape, posts))})(?:{name})?")

    @cached_property
    def _act_re(self):
        return _alternation(_read_lexicon(self.acts))

    @cached_property
    def _masked_re(self):
        return re.compile(rf"{_SUR}{_MASK}|[老小]{_SUR}(?=[，,。、；;：:\s家说的])")

    @cached_property
    def _pos(self):
        if self.segmenter is None:
            return None
        import jieba.posseg

        tok = self.segmenter.tokenizer
        if self.segmenter.backend == "jieba":
            return jieba.posseg.POSTokenizer(tok)
        return tok

    def _pos_tags(self, text: str):
        pos = self._pos
        if pos is None:
            return []
        if isinstance(pos, __import__("jieba").posseg.POSTokenizer):
            pairs = ((p.word, p.flag) for p in pos.cut(text, HMM=True))
        else:
            pairs = pos.tag(text, True)
        out, i = [], 0
        for word, flag in pairs:
            out.append((word, flag, i, i + len(word)))
            i += len(word)
        return out

    def extract(self, text: str, normalized: Normalized | None = None) -> dict[str, list[dict]]:
        """Evidence of ``text`` (pass ``normalized`` when it is already computed)."""
        norm = normalized or normalize(text)
        t = norm.text
        spans: dict[str, list[tuple[int, int]]] = {k: [] for k in EVIDENCE_TYPES}

        if self._post_re is not None:
            spans["persons"] += [m.span() for m in self._post_re.finditer(t)]
        spans["persons"] += [m.span() for m in self._masked_re.finditer(t)]
        tags = self._pos_tags(t) if self.segmenter is not None else []
        for word, flag, s, e in tags:
            if flag == "nr" and 2 <= len(word) <= 3 and word[0] in SURNAMES and "某" not in word:
                spans["persons"].append((s, e))
            elif flag == "ns" and len(word) >= 2:
                spans["places"].append((s, e))

        for m in _AMOUNT_RE.finditer(t):
            if _NON_MONEY_AFTER.match(t, m.end()) and not m.group().endswith(("元", "块", "块钱", "圆")):
                continue
            spans["amounts"].append(m.span())
        spans["dates"] += [m.span() for m in _DATE_RE.finditer(t)]
        spans["places"] += [m.span() for m in _PLACE_RE.finditer(t)]
        if self._act_re is not None:
            spans["acts"] += [m.span() for m in self._act_re.finditer(t)]

        result = {}
        for kind in EVIDENCE_TYPES:
            merged = _merge_adjacent_persons(spans[kind], t) if kind == "persons" else spans[kind]
            items = []
            for s, e in _drop_contained(merged):
                if kind == "places" and _overlaps_any(s, e, spans["persons"]):
                    continue
                os_, oe = norm.to_original(s, e)
                item = {"text": text[os_:oe], "start": os_, "end": oe}
                if kind == "amounts":
                    item["yuan"] = parse_yuan(item["text"])
                items.append(item)
            result[kind] = items
        return result


def _drop_contained(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with those inside a longer one (and exact repeats) removed."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(set(spans), key=lambda p: (p[0], -p[1])):
        if out and s < out[-1][1]:
            if e > out[-1][1] and s == out[-1][0]:
                out[-1] = (s, e)
            continue
        out.append((s, e))
    return out


def _merge_adjacent_persons(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """A post followed directly by a name is one person (村会计 + 王某 → 村会计王某)."""
    ordered = _drop_contained(spans)
    out: list[tuple[int, int]] = []
    for s, e in ordered:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _overlaps_any(s: int, e: int, others: list[tuple[int, int]]) -> bool:
    return any(s < oe and os_ < e for os_, oe in others)

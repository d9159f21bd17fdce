"""Stage 5: extract the evidence that makes a note checkable — who, how much, when, where, what.

Each item is ``{"text", "start", "end"}`` with offsets into the text *as received*
(``text == original[start:end]``); amounts also carry ``yuan``, a normalised value
(两千多元 → 2000, 3.5万元 → 35000, 贰仟元 → 2000; "多/余/来" count as the stated figure).

How each type is found:
- persons: posts and roles from ``corpora/lexicon/posts.txt`` (a status such as 党员 alone is a
  class of people, not a person; 村民, 党员, 村民代表 stay apart from a name after them, as the
  annotations have it); masked names (张某, 王××, 李**, 赵某某) and their given
  name (沈某平, 张某伟 — a common given-name character that starts no dictionary word with what
  follows); honorifics and familiar names (王书记, 老王, 小杨, 老常家, 阿水, 马奶奶); households (汪家);
  nicknames (外号“刘大喇叭”, 大伙叫他高干部, 李瘸子, 二狗子); role words told by their last morpheme
  (鱼贩子, 木材商, 护工); names after 叫, 来电人：, 老伴; Tibetan, Mongolian and Uyghur names by
  their stock of name elements (次仁多吉, 巴特尔, 阿不都热合曼); person names tagged ``nr``/``nrfg``
  by the jieba-rs part-of-speech tagger (its HMM is what finds unseen names), and full names it
  cuts in two (王/nr 桂兰/ns) where names stand (after punctuation or 村民, before punctuation).
  A post followed by a name is one item (村会计王某, 会计 王某, 村会计老杜, 村支书兼主任杨某某);
  relatives named through a person or a pronoun are part of it (村主任的儿媳妇, 王书记的一个外甥,
  徐某某之子, 她男人, 他堂客, 伊表弟, 他二舅, 其妻弟, 你侄子, 他自己的亲哥哥, 他本家侄子, 他屋头婆娘,
  他碎爸); a role named by its business takes it in (饭店老板); a familiar name after 的/和/跟 …
  whatever follows it (我和小韦两人); a name with its last character masked (张晓某); the person an
  interviewer addresses at the start of a turn (问：大娘，, Q：老表，).
  A bare post before a meeting or a head count (村民代表大会, 村民代表12人) and anything inside an
  amount (壹万叁仟陆佰元) are not persons;
- amounts: Arabic or Chinese numerals with a money unit (元, 块, 万元 …), a figure in 万 standing
  alone, and a bare figure that is money by its context (一户五十, 每亩扣五十, 七百一亩); areas,
  weights and counts (亩, 斤, 户) are never money; hedges such as 约/大概 and 以上 stay outside;
- dates: absolute dates and periods (2019年3月, 2023-05-17 09:42, 2021年至2023年间, 2016年至今),
  with festivals, seasons and parts of the day (今年端午节前, 2024年4月9日下午), relative ones
  (去年腊月, 前年, 近三年, 三个多月); a list or range of dates is one item (2021年、2022年, 3月到5月);
- places: administrative names ending in 省/市/县/区/镇/乡/村/社区/组 and jieba ``ns`` tags;
- acts: the violation lexicon ``corpora/lexicon/acts.txt``, longest match first.

Matching runs on the normalised text (full-width digits and Traditional characters folded), and
spans are mapped back to the original.

Everything here is hand-written: nothing is learned from the corpus annotations, so the clue
scorer, which is trained on these features, sees the same extraction on its training notes as on
new ones. How well the rules carry over to a new writer is measured file by file
(:func:`textmine.evaluate.evidence_by_file`, ``textmine evaluate --evidence-only --by-file``): each
corpus file is one writer's. A learned character tagger (BIO, hashed window features, trained on
the other files' annotations, with the rules as hints) was tried that way and did not carry over:
alone it found fewer persons (recall 0.61 exact, 0.87 overlap, against the rules' 0.80 and 0.96);
used to move the rules' boundaries it lost 9 points of exact recall, and used only to extend them
it gained 0.2 — too little for a stored artifact and a per-character pass (the experiment is in
the git history: ``git log -- experiments/person_tagger_lofo.py``).
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .normalize import Normalized, normalize
from .regexguard import guarded
from .segment import DEFAULT_DICTIONARY, Segmenter
from .settings import LEXICON_DIR

__all__ = ["EvidenceExtractor", "EVIDENCE_TYPES", "EVIDENCE_FEATURES", "evidence_features", "parse_yuan"]

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
    "萧赖钮阎贝綦"
)
_SUR = f"(?:欧阳|司马|上官|诸葛|东方|皇甫|慕容|司徒|夏侯|令狐|公孙|长孙|宇文|尉迟|[{SURNAMES}])"
# Atomic: a mask is taken whole, so that the check after it (not 镇, 村 …) cannot be dodged by giving
# back a character (湟中区××镇 is a place, not the name 区×).
_MASK = r"(?>某某|某|[×xX\*○〇]{1,3}|ｘ{1,3})"
# A masked name's first character may also be the first syllable of a Uyghur, Mongolian, Tibetan
# or Dai name (吐某, 热某, 萨某, 次某; 刀某, 岩某, 召某): with 某 or × after it, it can only be a name.
_MASKED_FIRST = f"(?:{_SUR}|[吐热肉吾买萨特巴依帕努库托迪米尼克达扎次格旦索洛卓刀岩召]){_MASK}"
_DIGIT = r"[0-9]"
# One or two Latin initials standing for a name (normalisation folds them to lower case): the initials
# of a pinyin name (村主任ZJ, L某某); not part of a longer Latin word (app, wifi).
_LATIN_MASKED = r"(?<![a-z])[a-z]{1,2}(?![a-z0-9])"

# A given-name character after a masked surname (沈某平, 张某伟说), but not a word that merely
# follows 张某: the character must not be a function word or a common verb of speech, and what
# comes after it must be a boundary (punctuation, 说, 的, 等 …).
# (nor a unit of a place: 涵江区某镇, 某师某团)
_NOT_GIVEN = "是的了着过在和与及跟同把被让对给从向说讲称也都就又还已将要去来到做拿收签等家一不没这那个们之镇乡村县市区街社组团"
_GIVEN = (rf"(?<=[{SURNAMES}]某)[^\W{_NOT_GIVEN}0-9a-zA-Z_]"
          rf"(?=[是的，,。、；;：:）)（(\s说讲称等]|$)")
# Relatives and households named through a person: 村主任的儿媳妇, 书记他表姐夫, 支书的表弟.
# Characters common in given names: after a masked surname (张某 + 伟) they are the rest of the name,
# unless they start a word with what follows (张某 + 生病, 王某 + 平时) — checked in the dictionary.
_GIVEN_CHARS = set("军华平强明林生芳英贵山东民福涛亮江义德伟峰勇辉刚杰斌波海红霞丽娟梅兰秀珍凤玲燕萍云莲桂芝琴花"
                   "春国荣祥富清永胜文学良喜顺兴宝忠志庆友坤松柏武彬鹏飞龙虎泉水金银玉洪宏鑫超磊敏静"
                   "婷雪娥香菊翠堂青柱田根旺财树甲乙丙丁")  # not 成 有 才 来 全 连: 王某成了, 王某有
# A given name's first character, when the last is masked (张晓某, 杨小某, 雷红某).
_MASKED_GIVEN = "".join(sorted(_GIVEN_CHARS | set("晓小")))
_RELATION_WORDS = "|".join(sorted(set(
    "儿媳妇 儿媳 儿子 女儿 女婿 媳妇 老婆 爱人 妻子 丈夫 弟弟 弟媳妇 弟媳 哥哥 嫂子 姐姐 妹妹 妹子 姐夫 妹夫 老弟 老丈人 "
    "老岳父 爹 妈 爸 爸爸 妈妈 老爸 老妈 侄子 侄女 外甥女 外甥 表弟 表哥 表姐夫 表姐 表妹 表叔 小舅子 大舅子 舅子 舅舅 连襟 老表 亲戚 岳父 丈人 "
    "亲家 丈母娘 堂弟 堂哥 堂兄 堂叔 堂侄 堂兄弟 兄弟 叔叔 弟家 哥家 侄儿 侄媳妇 孙子 孙女 远房亲戚 叔 婶婶 公公 "
    "婆婆 闺女 儿女 父亲 母亲 老爹 老娘 朋友 同学 战友 发小 干儿子 干女儿 亲属 家属 "
    # spouses and elders as villagers of many regions say them: 她男人, 我老公, 他堂客 (湖南), 他屋里人
    # (湖北), 我阿妈, 他岳老子, 村主任的大舅哥
    "男人 老公 堂客 屋里人 婆娘 奶奶 爷爷 阿妈 阿爸 阿爹 父母 大姨 二姨 小姨 姑姑 姑妈 岳母 岳老子 大舅哥 小姨子 "
    "外孙 外孙女 外孙子 孙媳妇 表侄 堂姐 堂妹 "
    # kin by birth order, as families call them: 他二舅, 我三叔, 村主任他大舅哥, 我大孙子
    "大舅 二舅 三舅 舅妈 二叔 三叔 四叔 小叔 大伯 二伯 三伯 大伯子 大姑 二姑 小姑 三姨 二婶 三婶 姨夫 姑父 姑夫 "
    "表舅 表姑 大孙子 小孙子 重孙子 大哥 二哥 三哥 大姐 二姐 大嫂 二嫂 "
    # great-grandchildren and a father's elder brothers as the north says them: 叫我重外孙子写的,
    # 我本家大爷, 他二大爷
    "重孙 重孙女 重外孙 重外孙子 重外孙女 大爷 二大爷 三大爷 二舅哥 "
    "大儿子 二儿子 三儿子 小儿子 大女儿 二女儿 三女儿 小女儿 大闺女 二闺女 小闺女 大小子 二小子 三小子 "
    # sons' wives by the son's birth order: 会计家二儿子、二媳妇, 他大儿媳
    "大媳妇 二媳妇 三媳妇 大儿媳 二儿媳 三儿媳 小儿媳 "
    # 粤, 客家 and 四川 words for kin: 佢细佬 (his younger brother), 家姐, 外父/外母 (in-laws), 老豆,
    # 阿嫲, 阿姆 (mother), 我老汉儿 (my father)
    "细佬 家姐 外父 外母 老豆 阿嫲 阿爷 阿姆 老汉儿 老妹 "
    # a wife's siblings and children by seniority, as records write them: 其妻弟, 郭某平之长子
    "妻弟 妻兄 妻妹 妻姐 长子 次子 长女 次女".split()),
    key=len, reverse=True))
# After a pronoun, one character is enough for kin (他哥, 我娘, 他崽 — 湖南 for son), but not in
# 他哥们, 她姐妹, 俺弟兄, 他爷俩 or 我娘家 (a married woman's family, not a person).
# 陕甘 and 晋 say 大大 for father and 碎爸/碎妈 for the youngest uncle and aunt (他大大, 他碎爸), and a
# household's 老人 is its old parent (她家老人) — but not 他大大方方, 他老人家 (polite "he").
_PRONOUN_KIN = (rf"(?:{_RELATION_WORDS}|[哥姐弟妹](?![们妹弟兄俩])|娘(?![家们])|[奶爷崽伢](?![们俩子])"
                rf"|大大(?![方咧小的])|碎[爸妈爹叔姨]|老人(?!家))")
# 的/之/他 + (一个/两个 …) + (亲) + kin: 村主任的儿媳妇, 书记他表姐夫, 徐某某之子, 王书记的一个外甥, 覃某亲弟
# 会计家二儿子, 会计家的二小子, 支书家老三: a household's children by birth order (老三 only after 家:
# 王某老大不高兴); but 支书家的几个亲戚 is a group, and stays apart
_RELATION = re.compile(rf"(?:的|之|他|她|他家|她家|家)?(?:[一两二三几]个)?(?:远房)?亲?(?:{_RELATION_WORDS})"
                       rf"|之[子女弟兄妻夫侄孙]|亲[弟哥兄姐妹]|家的?(?:老[大二三四五六七八九幺]|[大二三小](?:小子|儿子|女儿|闺女))")
_RELATION_FULL = re.compile(f"(?:{_RELATION_WORDS})")
# Kin said with 自己/自家/本家 (own, of the same clan) or 娘家/婆家 (a wife's parents', her husband's):
# 自己表姐, 自家亲戚, 本家的几个侄子, 娘家兄弟.
_OWN_KIN = rf"(?:自己|自家|本家|娘家|婆家)的?(?:[一两几]个|那几个)?亲?(?:{_PRONOUN_KIN}|本家)"
# Relatives listed after a relative: 其弟媳、侄子两户, 村主任的儿子、女婿和外甥 — each next kin word is a
# person of the same family (tried only at the end of a person that ends with a kin word).
_KIN_LISTED = re.compile(rf"[、和及](?:{_RELATION_WORDS})")
_KIN_END = re.compile(rf"(?:{_RELATION_WORDS})$")
_KIN_LAST_CHARS = frozenset(w[-1] for w in _RELATION_WORDS.split("|"))
# Nouns that a full name follows directly in records and letters: 村民刘长海, 户主王某 …
_NAME_LEADERS = {"村民", "群众", "党员", "户主", "老伴", "农户", "居民", "社员", "代表", "村民代表", "老党员",
                 "低保户", "五保户", "脱贫户", "贫困户", "困难户", "实名", "楼主"}
# Nouns for people by what they do, told by their last morpheme (木材商, 鱼贩子, 石匠, 护工,
# 项目经理): new writers name people with role words no lexicon lists.
# (户 is left out: 低保户, 脱贫户 are mostly named as a class, not as a person.)
_ROLE_NOUN = re.compile(r"(?:[^协工经]商|贩子|[^工]匠|[护小帮杂]工|司机|医生|经理|主人|老板|厂长|院长|包工头|师傅)$")
_ROLE_ENDINGS = set("商子匠工机生理人板长头傅")
_NOT_ROLES = {"厂商", "电商", "招商", "男主人", "女主人"}
_SURNAME_SET = frozenset(SURNAMES)  # `w in _SURNAME_SET`: w is one character and a surname
_HONORIFIC_SURNAMES = "".join(c for c in SURNAMES if c not in "和与向于时都那但由信来把被让对给从在及同跟为以平国公成文常安")
_MASKS = set("×xX*○〇某")
_PLACE_ENDINGS = set("村庄屯镇乡寨湾沟营圩")
_DOT_NAME_RE = re.compile(r"[\u4e00-\u9fa5]{2,4}·[\u4e00-\u9fa5]{2,5}")
# Tibetan, Mongolian and Uyghur names have no Han surname, and jieba's HMM seldom proposes them
# (村会计洛绒, 与会群众：多吉、央金, 职工代表阿不都热合曼); but a name is one or two elements from a
# small stock (次仁 + 多吉, 阿不都 + 热合曼), so the stock finds them wherever they stand. Elements
# that are also Han words or word pieces are left out (乌兰, 乌云, 那顺, 苏和, 加措, 拉巴); 才让 is
# a name only when it does not read "only then let …" (才让他签, 才让人进), and 格桑花 is a flower.
_MINORITY_NAME_PARTS = (
    # Tibetan
    "扎西 次仁 多吉 多杰 卓玛 卓嘎 卓尕 格桑 央金 拉姆 拉毛 平措 彭措 达娃 达瓦 尼玛 巴桑 旺堆 次旺 洛桑 罗布 "
    "旦增 丹增 强巴 顿珠 边巴 普布 白玛 德吉 曲珍 益西 泽仁 泽让 泽旺 降措 降央 洛绒 索南 索朗 嘎玛 噶玛 四郎 "
    "阿旺 措姆 桑吉 贡布 仁增 米玛 次珍 旺姆 普琼 才旦 青措 仁青 仁钦 多布杰 斯朗 斯郎 旺秀 更登 根登 久美 晋美 "
    "洛松 欧珠 朗杰 南杰 坚参 坚赞 嘉措 江措 嘉央 土登 图登 巴珠 央宗 曲措 卓措 才仁 昂旺 桑珠 次措 边珍 拉珍 "
    "白珍 桑姆 次旦 巴珍 尼珍 央拉 周措 贡保 完玛 旦巴 洛珠 仁措 措毛 卓么 "
    # Mongolian
    "巴特尔 斯琴 其其格 额尔敦 宝音 那仁 敖登 图雅 朝鲁 格日勒 阿拉坦 毕力格 巴雅尔 满都拉 乌力吉 特木尔 "
    "吉日嘎拉 萨仁 高娃 斯日古楞 额尔德尼 哈斯 巴图 朝格图 苏日娜 乌日娜 "
    # Uyghur
    "阿不都 阿布都 阿卜杜 热合曼 买买提 艾买提 麦麦提 吐尔逊 阿依古丽 古丽 努尔 艾力 肉孜 依明 亚森 吾买尔 "
    "托合提 玉素甫 阿迪力 艾尼瓦尔 艾山 阿里木 卡德尔 热依拉"
).split()
_MINORITY_PART = "|".join(sorted(set(_MINORITY_NAME_PARTS), key=len, reverse=True) + ["才让(?![他她它我你俺咱们人大家村组])"])
_MINORITY_NAME_RE = guarded(rf"(?:{_MINORITY_PART}){{1,2}}(?!花)")
# What may follow a familiar name (老王说, 小周也, 老宋（, 小马！): punctuation or a word that cannot
# continue the two characters into another word (老师, 小金库, 大方).
_FAMILIAR_END = r"(?=[，,。、；;：:\s说的讲他她也都就又还在跟和把给去来找让被是那这因呢啊吧嘛）)”\"」（(！!？?]|$)"
# (not 麦, 米: 小麦, 大米, 小米 are grain)
_FAMILIAR_SURNAMES = "".join(c for c in SURNAMES if c not in "区车农干党时乡麦米")
# A familiar name where a person is named — after 的, 和, 跟, 找, 是 … (看山的老汪, 我和小韦两人, 同连退的
# 老陈少了一百) — whatever follows it; unless the surname starts a word with the next character
# (小金库, 老毛病, 小项目, 小杨树: checked in the dictionary, see _spans).
# (老/小 first, then the look-behind: most positions fail on the first test)
_FAMILIAR_AFTER_RE = re.compile(rf"[老小](?<=[的和跟与同找叫给让被把是][老小])[{_FAMILIAR_SURNAMES}](?![们家庄村子头师])")
# How an interviewer addresses the person interviewed, at the start of a turn (问：大娘，…, Q：老表，…,
# 谈话人：婶子，…): that person. (老人家, a polite "you", is left out: seldom annotated.)
_ADDRESS_RE = re.compile(r"[：:](?P<address>大娘|大爷|大妈|大哥|大姐|大嫂|大叔|大婶|大伯|阿婆|阿公|阿姨|阿伯|阿叔|阿姐|阿哥"
                         r"|老哥|老表|老叔|老伯|婶子|婆婆|爷爷|奶奶|叔叔|嬢嬢|孃孃)(?=[，,])")
# More ways of naming a relative or a neighbour, in a pattern of their own: they start with common
# characters (其, 自, 本, 远, 后, 东 …), and each position that passes _masked_re's guard runs all of
# its branches, so here they cost a few branches instead of some forty.
# - 其 + relative is how records name a relative of the person just named (将其弟媳纳入低保, 借给其女婿,
#   系其远房堂叔, 其母): the guide counts relatives named through a person, and the inspection writers
#   annotate it (15 times in 16; the corpus's writers seldom did); formal letters say 本人 for "I"
#   (系本人堂兄, 本人的女婿), and records 反映人/举报人 for the writer, and a relative of theirs is
#   named through these as through 我 (郝××（反映人堂兄）) — but not 来电人 (来电人母亲): the hotline
#   writers leave a caller's relatives out (6 times in 6 in the corpus);
# - kin with 自己/自家/本家/娘家/婆家 and no pronoun (把自己表姐报上去, 他媳妇的娘家兄弟);
# - a distant relative is still one (我远房表哥; 村会计的一个远房表叔 through _RELATION);
# - neighbours by where they live (隔壁阿公, 后院刘家, 隔壁那个老汉儿).
_KIN_WAYS_RE = guarded((
    rf"其(?:远房)?亲?(?:{_RELATION_WORDS}|[长次][子女]|[子女妻夫父母兄姐妹])"
    rf"|(?:本人|反映人|举报人)的?(?:{_RELATION_WORDS})"
    rf"|{_OWN_KIN}"
    rf"|远房(?:{_RELATION_WORDS})"
    rf"|(?:隔壁|对门|后院|前院|东院|西院)(?:那个)?(?:阿公|阿婆|老汉儿?|老头|老太太?|大爷|大娘|大妈|婶子"
    rf"|[{_HONORIFIC_SURNAMES}]家(?![庄村湾屯寨沟坪营店院]))"))
_GENERIC_POSTS = {"村干", "村干部", "干部", "两委干部", "村两委", "村民", "群众", "两委成员", "村组干部"}
# Statuses that name a class of people far more often than one person ("党员都不爱来", "贫困户有
# 三十户"): not a person on their own.
_CLASS_WORDS = {"党员", "预备党员", "流动党员", "贫困户", "特困户"}
# A bare post or status before the name of a meeting or a head count names the body, not a person:
# 村民代表大会, 没开村民代表会, 党员会上, 老党员座谈会, 参加：村民代表9人, 老党员十二名. (会 alone
# only where it cannot be "will": 村主任会来; and a count of three or more: 会计一人值班 is one
# person, and in 书记何某和村文书两人 the two are the people just named.)
_GATHERING = re.compile(r"(?:座谈|评议|代表)?(?:会议|大会)|(?:座谈|评议|代表)?会(?=[上里前后，,。、；;\s）)决记纪通开召]|$)"
                        r"|(?:[0-9]{2,3}|[3-9]|[三四五六七八九十几][一二三四五六七八九十几]?)(?:人|名|户|位)")
# Statuses that stay apart from the name after them: 村民代表张某 is annotated 张某 (as 村民李某 is).
_STATUS_WORDS = {"党员", "预备党员", "流动党员", "村民代表", "邻居", "脱贫户", "户主"}
# A post that is the start of another word with what follows: 确保安全 holds 保安 (a guard), 保安全 is
# never one. Tried at the post's last two characters.
_POST_MISREAD = re.compile(r"保安全")
# Money. A figure is Arabic (3.5, 9,860, 1万) or Chinese (一万三千余, 七八千, 十几万, 贰仟); it is
# money when a money unit follows (元, 块, 块钱 …), or when it is at least a hundred (百/千/万)
# and no measure word follows (亩, 斤, 户, 人 …). Possessive quantifiers (Python 3.11) stop the
# engine from backing off "三百多户" to "三百" to dodge the measure-word check.
# Around the figure: hedges (将近, 不到, 差不多), ranges (八百到一千二, 八十元到一百五十元),
# jiao after 块 (三块五), and 左右/出头/多一点 are part of the amount as written; 约, 大概 and 以上
# are not (the annotations leave them out in most cases, across writers).
_CN_DIGIT = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_MEASURE_CHARS = "亩斤公吨户人口个名位家间套栋层辆台头只株棵条张件项次天年月岁平米分期批瓶包盒袋"
_CN_UNIT = "十百千万亿拾佰仟萬"
_AR_NUM = r"[0-9](?:[0-9]|[,，.](?=[0-9]))*+\s?+[多余来]?+(?:[十百千万亿]|千万|百万)?+[多余来]?+"
_CN_NUM = rf"(?:好|近)?+[{_CN_DIGIT}十拾几](?:(?!多?一点)[{_CN_DIGIT}{_CN_UNIT}几多余来])*+"
_CN_MAG = (rf"(?:好|近)?+[{_CN_DIGIT}十拾几](?:[{_CN_DIGIT}{_CN_UNIT}几多余来])*?[百千万佰仟萬亿]"
           rf"(?:(?!多?一点)[{_CN_DIGIT}{_CN_UNIT}几多余来])*+")
_AR_WAN = r"[0-9](?:[0-9]|[,.](?=[0-9]))*+\s?+[多余来]?+万(?:[多余来]|[0-9](?![0-9]))?+"  # 3万, 1万2
_YUAN = r"(?:元钱|元|块钱|块(?![地田砖石板牌肉布头匾碑木玻表手儿])|圆)"
_JIAO = rf"(?:(?<=块)[{_CN_DIGIT}0-9](?:毛|角)?(?![{_CN_UNIT}0-9{_MEASURE_CHARS}])|[{_CN_DIGIT}0-9]{{1,2}}(?:毛钱?|角))"
_HEDGE = r"(?:将近|不到|差不多|足足)?+"
_TAIL = r"(?:整|左右|上下|出头|多一点|来块|(?<=[块元])多(?![少钱]))?+"
_RANGE = r"(?:到|至|—|－|-|~|～)"
_MEASURE = _MEASURE_CHARS
_NUM = rf"(?:{_AR_NUM}|{_CN_NUM})"
_AMOUNT_RE = guarded((
    # with a money unit: 3.5万元, 两千多元, 八十元到一百五十元, 三块五, 不到二十块
    rf"(?<![第0-9]){_HEDGE}{_NUM}(?:\s?+{_YUAN})?{_RANGE}{_NUM}\s?+{_YUAN}{_JIAO}?{_TAIL}"
    rf"|(?<![第0-9]){_HEDGE}{_NUM}\s?+{_YUAN}{_JIAO}?{_TAIL}"
    # jiao alone (五毛, 三角); the form right after 块 (三块五) is only part of the amount before it:
    # alone it took 一 in 一小块一小块 (small plots) for money
    rf"|(?<![0-9{_CN_DIGIT}])[{_CN_DIGIT}0-9]{{1,2}}(?:毛钱?|角)"
    # a figure of at least a hundred without a unit: 十几万, 八千到一万, 三万以上 — not 三百多户
    rf"|(?<![第0-9{_CN_DIGIT}]){_HEDGE}(?:{_AR_WAN}|{_CN_MAG})(?:{_RANGE}(?:{_AR_WAN}|{_CN_MAG}))?"
    rf"{_TAIL}(?![{_MEASURE}0-9{_CN_DIGIT}{_CN_UNIT}])"
    # "more than a thousand/ten thousand", "nearly ten thousand", "not a cent"
    rf"|上[千万](?:块钱?|元)?(?![{_MEASURE}])|万把块钱?|一分钱"
))
# A bare figure that is money by its context: a rate (一户五十, 每亩扣五十, 一口人三十), a payment verb
# (交了五十, 卖二十六), or a price per unit after it (七百一亩, 三百一天). At least ten, and not
# followed by a measure word or a date unit.
_BARE = rf"(?:(?:[{_CN_DIGIT}]?[十百千万]|[{_CN_DIGIT}][拾佰仟])[{_CN_DIGIT}{_CN_UNIT}几多来]*+|[0-9]{{2,}}+(?:\.[0-9]+)?)"
_RATE_AMOUNT_RE = guarded((
    rf"(?:"
    rf"(?:[一每](?:户|亩|人|口人|个人|车|份|间|平方?)(?:一年|每年|一个?月|一天)?(?:扣|交|摊|收|要|多交)?"
    rf"|(?:扣|交|摊|罚|赔|退|补|卖|多交|收)了?)(?P<rate>{_BARE})(?![{_MEASURE}{_CN_UNIT}0-9年月日号点%％.元块])"
    rf"|(?<![0-9{_CN_DIGIT}{_CN_UNIT}])(?P<price>[{_CN_DIGIT}]{{1,2}}[千万][二两三四五六七八九]|[{_CN_DIGIT}]{{0,2}}[百千万]|[0-9]{{2,}})"
    rf"(?=一(?:亩|年|天|户|个月|份|斤|平)))"
))
_CN_YEAR = "〇零一二三四五六七八九"
_N = "[一二两三四五六七八九十几]{1,3}|[0-9]{1,2}"  # a small count, Chinese or Arabic
_LUNAR_DAY = r"(?:初[一二三四五六七八九十]|十[一二三四五六七八九]|二十[一二三四五六七八九几]?|三十)[日号]?"
# Part of a day, with a clock time in words or digits: 下午, 晚上十点多, 上午9时10分至11时40分.
_CLOCK = r"[0-9一二三四五六七八九十两]{1,3}(?:点|时)(?:[0-9一二三四五六七八九十]{1,2}分|半|多|左右)?"
_DAYPART = rf"(?:凌晨|早上|上午|中午|下午|傍晚|晚上|夜里|半夜)(?:{_CLOCK}(?:(?:至|到|—|-){_CLOCK})?)?"
_FESTIVAL = r"(?:春节|过年|元旦|元宵节?|清明节?|端午节?|中秋节?|国庆节?|重阳节?|冬至|开春|秋收|夏收|麦收|雨季|汛期)"
# A part of a year; longer forms first, since the regex engine takes the first alternative that fits.
_SEASON = (rf"(?:上半年|下半年|年初|年底|年末|年中|全年|整年|第[一二三四1-4]季度|[上下]学期|[春秋]季学期"
           rf"|{_FESTIVAL}(?:前后|前|后|期间|的时候)?|[春夏秋冬](?:天|季|里|上)?|底|初)")
_DAY = rf"(?:[0-9]{{1,2}}[日号]|[一二三四五六七八九十]{{1,3}}[日号]|{_LUNAR_DAY})(?:{_DAYPART})?"
_MONTH_PART = (rf"(?:[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}}|正|腊|冬)月份?"
               rf"(?:{_DAY}|[上中下]旬|底|初)?")
_TIME = (r"(?:\s?[0-9]{1,2}[:：][0-9]{2}(?:\s?[—\-~～至到]\s?[0-9]{1,2}[:：][0-9]{2})?"
         r"|[0-9]{1,2}时(?:[0-9]{1,2}分)?(?:至[0-9]{1,2}时(?:[0-9]{1,2}分)?)?)?")
_YEAR = rf"(?:(?:19|20)[0-9]{{2}}|[0-9]{{2}}|[{_CN_YEAR}]{{4}}|[一二九〇零][{_CN_YEAR}])年度?"
_FULL_YEAR = rf"(?:(?:19|20)[0-9]{{2}}|[{_CN_YEAR}]{{4}})年"
_TO = r"(?:至|到|一直到|—|-|－|~|～)"
# The big patterns are guarded (textmine/regexguard.py): a lookahead for the characters a match can
# start with, computed from the pattern itself, rejects most positions of a text with one test.
_DATE_RE = guarded((
    rf"(?:"
    # 2019年3月5日 14:00, 二〇二一年十月, 21年, 2022年的七月份, 2021年至2023年间, 2016年至今, 2022年冬天到2023年春天
    rf"{_YEAR}(?:的?{_MONTH_PART})?{_TIME}(?:{_SEASON})?"
    rf"(?:{_TO}(?:{_FULL_YEAR}(?:{_MONTH_PART})?(?:{_SEASON})?|{_MONTH_PART})|至今|到现在|到今天)?"
    rf"(?:前后|以来|期间|间|之前|以后)?"
    rf"|(?:19|20)[0-9]{{2}}(?:—|-|－|~|～|至|到)(?:19|20)?[0-9]{{2}}年"
    # numeric dates of forms and call records: 2023-05-17 09:42, 2023.10.26, 2024/6/3
    rf"|(?:19|20)[0-9]{{2}}-[0-9]{{1,2}}-[0-9]{{1,2}}{_TIME}|(?:19|20)[0-9]{{2}}\.[0-9]{{1,2}}\.[0-9]{{1,2}}"
    rf"|(?:19|20)[0-9]{{2}}/[0-9]{{1,2}}/[0-9]{{1,2}}"
    rf"|(?:上世纪)?[一二三四五六七八九]十年代|(?:19|20)?[0-9]0年代|[五六七八九]几年"
    rf"|[0-9]{{1,2}}月份?(?:[0-9]{{1,2}}[日号](?:{_DAYPART})?|[上中下]旬|底|初)?{_TIME}"
    rf"|(?:正月|腊月|冬月|[一二三四五六七八九十]{{1,3}}月份?)(?:{_DAY}|[上中下]旬|底|初)?(?:那天)?"
    rf"|{_LUNAR_DAY}(?=那天|[，,。、\s]|晚上|上午|下午)(?:那天)?"
    rf"|(?:大前年|前年|去年|今年|明年|上年|当年|同年|次年|那年|头年|前几年|这几年|那几年)"
    rf"(?:的?(?:(?:农历|阴历)?{_MONTH_PART}(?:{_SEASON})?|{_SEASON}))?(?:以来|期间|前后)?"
    rf"|(?:近|最近|这|前|过去|头|这些)(?:{_N})(?:个)?(?:年|个月|月|天)(?:多|来)?"
    rf"|(?:{_N})(?:个)?多?(?:年|个月|天)(?:多|半)?(?:前|以前|以来|之前)"
    rf"|(?:快|将近|不到|整整|连续|足足)?(?:{_N})(?:个)?(?:年|个月)(?:多|半)(?:来)?"
    rf"|(?:快|将近|不到|整整|连续|足足)?(?:{_N}|半|大半|好几|十来|二十来|三十来)(?:个)?多?"
    rf"(?:年|个月|个礼拜|礼拜|个星期|星期|周|天)(?:多|半)?(?:前|以前|以来|之前|后|以后|内)?"
    rf"|(?:这)?半个多月|[仨俩](?:个月|月|礼拜|星期|年)|(?:每个?)?(?:礼拜|星期|周)[一二三四五六日天](?:{_DAYPART})?"
    rf"|明天(?:{_DAYPART})?|今日|全年|年中|第[一二三四]季度|[春秋]季学期"
    rf"|(?:清明|端午|五一|元旦|小年)节?(?:前后|前|后|期间|那天)?"
    rf"|(?:{_N})个多月|好多年|多年|常年|天天|日日|每天(?:早上|晚上)?|周末|当晚|[寒暑]假|一[上下]午|半个钟头"
    rf"|(?:{_N})分钟|[上下]个?(?:礼拜|星期|周)(?:[一二三四五六日天](?:{_DAYPART})?)?|本季度|[这上下本]学期|每周|逢年过节"
    rf"|(?:凌晨|早上|上午|中午|下午|傍晚|晚上|夜里|半夜){_CLOCK}(?:以后|左右)?"
    rf"|这些年|这半年|年年|前几天|前阵子|前些年|早些年|早几年|早年间?|往年|最近|至今|到现在|到今天"
    rf"|(?:今天|昨天|前天|当天|那天)(?:{_DAYPART})?"
    rf"|第二年(?:{_SEASON})?|第二天|年底前?|年初|年前|年后|过年(?:那几天|前|后)?|秋后|春节|夏天|冬天|秋天|春天"
    rf"|好几年|多年前|每年(?:的?(?:{_MONTH_PART}|{_SEASON}))?|每个?月(?:月底|月初|{_DAY})?|每个?季度|每学期"
    rf"|(?:上个?月|本月|这个月)(?:{_DAY})?|月初|月底|春节(?:前|后|期间)|中秋节?前?后?|国庆节?(?:假期)?(?:期间|前|后)?)"
))
# Dates written as a list or a range are one period: 2021年、2022年, 3月、4月、5月, 去年和今年,
# 3月到5月, 二一年到二二年.
_DATE_LIST_GAPS = ("、", "和", "与", "及", "到", "至", "—", "-", "~", "～")
_PLACE_RE = re.compile(
    r"[\u4e00-\u9fa5]{1,6}?(?:省|自治区|市|县|区|镇|乡|街道)[\u4e00-\u9fa5]{0,6}?(?:村|社区|居委会)"
    r"|[\u4e00-\u9fa5]{1,5}?(?:村|社区|屯|嘎查)(?![委民干务两里部组长支主会计集])"
    r"|(?:第?[一二三四五六七八九十0-9]{1,3}|[\u4e00-\u9fa5]{1,3})(?:村民小组|村民组|组|社)(?![长织员委])"
    r"|[\u4e00-\u9fa5]{2,5}?(?:镇|乡|街道)(?![长党政干里上])"
    r"|村部|村委会|村委大院|党群服务中心|村办公室"
)


def _read_lexicon(path: Path) -> list[str]:
    if not path.exists():
        return []
    words = {w.strip() for w in path.read_text(encoding="utf-8").splitlines()}
    return sorted((w for w in words if w and not w.startswith("#")), key=len, reverse=True)


def _trie(words: list[str]) -> str:
    """A regex matching any of ``words``, longest first, written as a prefix tree (村主任|村会计 →
    村(?:主任|会计)): Python's engine tries alternatives one by one, and a tree lets it drop a whole
    branch on the first character that differs — several times faster for hundreds of terms."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:  # a word ends here, and longer words continue: prefer the longer (greedy ?)
            return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return pattern(tree)


def _alternation(words: list[str]) -> re.Pattern | None:
    return re.compile(_trie(words)) if words else None


@lru_cache(maxsize=8192)  # the same few sums (500元, 两千多元) recur across a file
def parse_yuan(text: str) -> float | None:
    """Normalised value in yuan of a money expression, or None when it cannot be read.

    >>> parse_yuan("3.5万元"), parse_yuan("两千多元"), parse_yuan("贰仟元"), parse_yuan("9,860元")
    (35000.0, 2000.0, 2000.0, 9860.0)
    """
    s = normalize(text).text.replace("萬", "万").replace("万把", "万")  # 万把块钱: about ten thousand
    if s == "一分钱":
        return 0.01
    s = re.sub(r"^(?:将近|不到|差不多|大约|大概|约|足足|上|好|近)", "", s)
    s = re.split(_RANGE, s)[0]  # a range counts as its lower figure
    jiao = re.search(rf"(?:块)([{_CN_DIGIT}0-9])(?:毛|角)?$|([{_CN_DIGIT}0-9]{{1,2}})(?:毛钱?|角)$", s)
    s = s[:jiao.start()] + ("块" if jiao.group(1) else "") if jiao else s
    s = re.sub(r"\s+|块钱|块|元钱|元|圆|整|左右|上下|出头|以上|以下|多一点|来|[,，]", "", s)
    s = re.sub(r"(?<=[0-9])[多余来几]|[多余来几](?=[万千百仟佰亿]|$)", "", s)
    s = s.replace("几", "")
    # A range such as 七八千 or 一两百 counts as its lower figure.
    s = re.sub(rf"([{_CN_DIGIT}])[{_CN_DIGIT}](?=[{_CN_UNIT}])", r"\1", s)
    if s[:1] in ("百", "千", "万", "佰", "仟"):
        s = "一" + s
    if not s and not jiao:
        return None
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([万千百亿仟佰]?)", s)
    if m:
        mult = {"": 1, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000, "亿": 100_000_000}[m.group(2)]
        return float(m.group(1)) * mult
    import cn2an  # ~80 ms of import: only once a Chinese numeral needs reading

    try:
        value = float(cn2an.cn2an(s, "smart")) if s else 0.0
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if jiao:
        digit = jiao.group(1) or jiao.group(2)
        tenths = float(digit) if digit.isdigit() else float(cn2an.cn2an(digit, "smart"))
        value += tenths / 10
    return value


class EvidenceExtractor:
    """Find persons, amounts, dates, places and acts in a note.

    Parameters
    ----------
    dictionary : path or None
        jieba user dictionary for the part-of-speech tagger that proposes person and place names
        (jieba-rs through ``rjieba``: the same dictionary and HMM as jieba, fast enough to run on
        every note); ``None`` skips name tagging.
    posts, acts : path
        Lexicons of posts and of violation acts, one per line.
    """

    def __init__(self, dictionary: Path | None = DEFAULT_DICTIONARY, posts: Path = LEXICON_DIR / "posts.txt",
                 acts: Path = LEXICON_DIR / "acts.txt"):
        self.dictionary = Path(dictionary) if dictionary is not None else None
        self.posts = Path(posts)
        self.acts = Path(acts)

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("_post_re", "_post_words", "_act_re", "_masked_re", "_intro_re", "_tagger"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        # A model moved to another checkout: use the lexicons shipped with this one.
        for attr, default in (("posts", LEXICON_DIR / "posts.txt"), ("acts", LEXICON_DIR / "acts.txt"),
                              ("dictionary", DEFAULT_DICTIONARY)):
            if getattr(self, attr) is not None and not Path(getattr(self, attr)).exists():
                setattr(self, attr, default)

    @cached_property
    def _post_re(self):
        posts = [p for p in _read_lexicon(self.posts) if p not in _GENERIC_POSTS]
        if not posts:
            return None
        # A post, optionally followed by a masked name (村会计王某); real names after a post are
        # joined later from the tagger's name tags, which is safer than guessing name length here.
        post = _trie([p for p in posts if p not in _STATUS_WORDS])
        # 三组组长, 第三村民小组组长; chained posts of one person: 村支书兼主任, 村委委员兼会计
        prefix = r"(?:原|前任|时任|老|新|第?[一二三四五六七八九十0-9]{1,3}(?:村民小组|村民组|组|队|社))?"
        name = rf"(?:[ \u3000]?{_MASKED_FIRST}(?:{_GIVEN})?|[老小]{_SUR}|{_LATIN_MASKED})"  # 村会计王某, 会计 王某, 会计老杜
        status = _trie([p for p in posts if p in _STATUS_WORDS])
        return guarded((rf"{prefix}{post}(?:[兼暨](?:原|现任)?{post})*(?:{name})?"
                                  + (f"|{status}" if status else "")))

    @cached_property
    def _post_words(self) -> frozenset[str]:
        return frozenset(_read_lexicon(self.posts))

    @cached_property
    def _act_re(self):
        return _alternation(_read_lexicon(self.acts))

    @cached_property
    def _masked_re(self):
        return guarded((
            # 张某, 王××, 沈某平 — but not a masked place such as 某区某村 (nor ××区××镇, see _spans)
            rf"{_MASKED_FIRST}(?:{_GIVEN})?(?![镇乡村县市区街社组团])"
            # the given name's last character masked: 张晓某, 孔小某 (not 吴江某镇, 龙江某县)
            rf"|[{SURNAMES}][{_MASKED_GIVEN}]某(?![某镇乡村县市区街社组团])"
            rf"|(?<![和与向于时都那但由把被让对给从在及同跟为以])[{_HONORIFIC_SURNAMES}](?:书记|支书|主任|会计|组长|村长|队长|镇长|乡长|所长|站长|老板|总"
            rf"|老师|医生|大夫|经理|校长|院长|厂长|局长|科长|主席)(?![助员任委])"  # 王书记, 刘老师, 周经理
            # kin titles used as names: 王姐, 李哥, 张婶 (but not 王姐夫, 李哥们)
            rf"|(?<![和与向于时都那但由把被让对给从在及同跟为以])[{_HONORIFIC_SURNAMES}](?:姐|哥|婶|叔|伯|嫂|姨)(?![夫们子妹弟])"
            rf"|[{_HONORIFIC_SURNAMES}]家(?:老[大二三四五六七八九幺]|大儿子|二儿子|小儿子|儿子|闺女|女儿|媳妇|儿媳妇?"  # 王家老二
            rf"|奶奶|爷爷|公公|婆婆|阿公|阿婆|两兄弟|兄弟俩|两口子)"  # 罗家奶奶, 黄家两兄弟
            # 老王, 小周, 老杨头, 老常家: a familiar name, told from words such as 小区, 老党员 by what follows it
            # (and from 养老金 by what precedes it)
            rf"|(?<!养)[老小大][{_FAMILIAR_SURNAMES}](?:头|家(?![庄村湾屯寨沟坪营店院])|{_FAMILIAR_END})"
            # 阿 + a given-name character is how 粤, 闽 and 客家 villages call people (阿水, 阿梅, 阿强),
            # told from 阿根廷, 阿富汗 by the same boundary as 老王
            rf"|阿[{''.join(sorted(_GIVEN_CHARS))}]{_FAMILIAR_END}"
            # a household by its surname: 何家, 汪家两兄弟 (not 何家庄)
            rf"|[{_HONORIFIC_SURNAMES}]家(?:(?<![\u4e00-\u9fa5]..)|(?<=[的是给把和跟找让]..))(?=[的，,。、；;\s两兄那也都和没不就还把])"
            rf"|(?:老伴|老头子|老婆子|大儿子|二儿子|小儿子|大女儿|小女儿|闺女|儿媳妇|老大|老二|老三|老四|老幺|摊主|技术员"
            rf"|开发商|承包商|收购商|老板娘|外村人|施工方)"
            rf"|{_SUR}(?:先生|女士|老太太|老太|老汉|大爷|大娘|大妈|师傅|老[大二三四五六七八九]|[二三四五六七幺]爷(?![们爷])|大哥|大嫂|嫂子|二婶|婶子?"
            rf"|孃孃|阿婆|阿公|阿姨|寡妇|大姐)"  # 符先生, 赵老四, 韩大哥, 王寡妇
            # old people by surname, as neighbours call them: 马奶奶, 刘爷爷, 耿太太, 黄婆婆
            rf"|(?<![和与向于时都那但由把被让对给从在及同跟为以])[{_HONORIFIC_SURNAMES}](?:奶奶|爷爷|太太|婆婆)"
            # nicknames by a trait (李瘸子, 刘癞子, 王麻子, 赵大炮) and by the stems of village nicknames
            # (二狗子, 小六子, 三娃子, 二柱子)
            rf"|(?<![和与向于时都那但由把被让对给从在及同跟为以])[{_HONORIFIC_SURNAMES}](?:瘸子|癞子|麻子|瞎子|聋子|拐子"
            rf"|胖子|秃子|哑巴|疯子|憨子|大炮|大喇叭|大嘴|大头|大个子|大胡子)"
            rf"|[二三四小](?:狗|柱|娃|愣|蛋|胖|虎|憨|锁|栓|拴|六|黑|毛)子"
            # names masked by Latin initials, as online writers mask them (L某某, 小W, 村主任ZJ — folded
            # to lower case by normalisation)
            rf"|(?<![a-z0-9]){_LATIN_MASKED}某某?|[小老][a-z](?![a-z0-9])"
            # the same stems as a given name, with a surname or without 子 (丁二柱, 村霸二狗, 王三娃说):
            # a birth order before them (not 小: 小狗, 小虎 are animals), and a boundary after
            rf"|{_SUR}?[二三四](?:狗|柱|娃|愣|蛋|胖|虎|憨|锁|栓|拴|黑|毛){_FAMILIAR_END}"
            rf"|姓{_SUR}(?:的(?:老板|包工头|师傅|男的|女的)?)?(?=[的，,。、；;\s说讲])"  # 姓卢的, 姓吴的老板
            # a full name followed by what records put after one: 王德福（78岁）, 刘桂芝，女，, 孙秀兰同志
            rf"|{_SUR}[\u4e00-\u9fa5]{{1,2}}(?=[（(][0-9０-９]|[，,][男女][，,]|[（(][男女]|同志)"
            # a relative through a pronoun: 他老婆, 俺侄子; after 我 the annotations keep the relative
            # alone (我叔叔 → 叔叔, 13 times in 20)
            # 伊 and 佢 are "he/she" in 闽 and 客家 notes (伊表弟, 佢老弟), 𠊎 and 阮 "I/my" (𠊎阿爸);
            # 他家/我家 + kin is said as much as 他 + kin (他家老爹, 我家男人); 家父, 先母, 亡夫 name the
            # writer's own parents or husband
            rf"|(?:[他她俺伊佢你您]|他家|她家|俺家|我家|你家|您家){_PRONOUN_KIN}|(?<=[我𠊎阮]){_PRONOUN_KIN}|小舅子|老丈人|连襟"
            rf"|家父|家母|先父|先母|亡夫"
            # kin said with 自己/自家/本家 (own, of the same clan), 娘家/婆家 (of a wife's parents, of her
            # husband's) or 屋头/屋里/那几个 (of the household, 川/湖 words) after a pronoun: 他自家亲戚,
            # 我本家大伯, 他屋头婆娘, 他那几个本家 (one branch for all: each branch is tried at every 他, 我 …;
            # without a pronoun, and 其 + kin, see _KIN_WAYS_RE)
            rf"|[他她俺我伊佢](?:们|家)?(?:{_OWN_KIN}|(?:屋头|屋里|那几个|那些)的?(?:几个)?亲?(?:{_PRONOUN_KIN}|本家|老人))"
            # some roles directly before a masked name are part of the person (茶农余某, 低保户陈某,
            # 群众李某, 表弟符某); not 村民, 党员, 邻居 or 弟弟: 村民吴某 is annotated 吴某 (59 times in 60)
            rf"|(?:渔民|牧民|茶农|种植户|养殖户|危改户|低保户|五保户|贫困户|负责人|船老大"
            rf"|表弟|表哥|堂弟|堂哥|群众|老党员)[ \u3000]?(?={_SUR}{_MASK})"))

    @cached_property
    def _intro_re(self):
        # A name after the words that introduce one: 我叫何淑华，来电人：莫先生, 反映人：次仁央宗等 —
        # not what a record says of the caller there (来电人反映，举报人：匿名, 来访人讲述, 本人现居香港,
        # 本人年事已高, 反映人情绪稳定)
        return re.compile(rf"(?:我叫|本人|我是|姓名[：:]|(?:来电|反映|联系|举报|来访|申请|当事)人[：:]?)"
                          rf"(?!反映|匿名|要求|要得|诉称|表示|问|都|还|说|讲|解释|觉得|自述|自称|称|的|特别|某|是"
                          rf"|现居|现住|年事|年纪|情绪|口述|身体|家住|系|因|在|已|曾经|曾于|曾在|曾向|曾多次|多次|特此|郑重"
                          rf"|自愿|愿意)"  # (曾 alone is a surname: 来电人曾国华)
                          rf"(?P<name>{_SUR}[\u4e00-\u9fa5]{{1,3}}?|[\u4e00-\u9fa5]{{2,4}})(?=[，,。、；;（(\s等]|$)"
                          # a full name after more such words, 叫 or a kin word: 投诉人孙建华反映, 当事人杨光明称,
                          # 有个年轻人叫谢志强，老伴王德福（
                          rf"|(?:(?:投诉|信访|诉求|来信|受访|当事)人[：:]?|(?:走访|访谈)对象[：:]|名叫|叫做|叫"
                          rf"|老伴|丈夫|妻子|爱人|儿子|女儿|父亲|母亲|户主)"
                          rf"(?P<full>{_SUR}[\u4e00-\u9fa5]{{1,2}})(?=[，,。、；;（(\s称说]|反映|$)"
                          # a nickname after the words that give one: 外号“刘大喇叭”, 绰号黑子, 大伙叫他高干部,
                          # 都喊他“二孬”, 包工头叫“大老黑”; unquoted after 叫他 it must look like a name (a surname,
                          # or 老/小/大/二 …, not a verb such as 来), since 叫他 also means "tell him to" (叫他来对质)
                          rf"|(?:外号|绰号|诨名|诨号|小名|人称)[：:]?(?:[“\"「](?P<nick>[^”\"」\s]{{2,5}})[”\"」]"
                          rf"|(?P<nick_bare>[\u4e00-\u9fa5]{{2,4}}?)(?=[，,。、；;：:\s）)]|$))"
                          rf"|[叫喊管][他她](?:叫|做)?(?:[“\"「](?P<called>[^”\"」\s]{{2,5}})[”\"」]"
                          rf"|(?P<called_bare>(?:[{_HONORIFIC_SURNAMES}]|[老小大二三四五六七八九])[\u4e00-\u9fa5]{{1,2}})"
                          rf"(?=[，,。、；;：:\s）)]|$))"
                          rf"|叫[“\"「](?P<quoted>(?:{_SUR}|[老小大二三四五六七八九])[\u4e00-\u9fa5]{{1,3}})[”\"」]")

    @cached_property
    def _tagger(self):
        if self.dictionary is None:
            return None
        return Segmenter(self.dictionary, None, backend="rjieba")

    def _known_word(self, word: str) -> bool:
        # The tagger marks many ordinary dictionary words as names (孙子, 明白); a real person's
        # name is almost never a dictionary word, and it is the HMM that proposes it.
        return self._tagger.tokenizer.has_word(word)

    def _pos_tags(self, text: str):
        if self._tagger is None:
            return []
        out, i = [], 0
        for word, flag in self._tagger.tokenizer.tag(text, True):
            out.append((word, flag, i, i + len(word)))
            i += len(word)
        return out

    def extract_with_features(self, texts: list[str], normalized: list[Normalized] | None = None
                              ) -> tuple[list[dict], np.ndarray]:
        """Evidence of each note and the clue score's evidence features (n_notes × len(EVIDENCE_FEATURES))."""
        norms = normalized if normalized is not None else [normalize(t) for t in texts]
        evidence = self._extract_many(texts, norms)
        rows = [evidence_features(ev, n.text) for ev, n in zip(evidence, norms)]
        return evidence, np.vstack(rows) if rows else np.zeros((0, len(EVIDENCE_FEATURES)))

    def extract(self, text: str, normalized: Normalized | None = None) -> dict[str, list[dict]]:
        """Evidence of ``text`` (pass ``normalized`` when it is already computed)."""
        return self._extract_many([text], [normalized or normalize(text)])[0]

    def _extract_many(self, texts: list[str], norms: list[Normalized]) -> list[dict[str, list[dict]]]:
        return [self._items(text, norm, self._spans(_with_line_breaks(norm))) for text, norm in zip(texts, norms)]

    def _spans(self, t: str) -> dict[str, list[tuple[int, int]]]:
        """Spans of every type in the normalised text ``t``."""
        spans: dict[str, list[tuple[int, int]]] = {k: [] for k in EVIDENCE_TYPES}
        if self._post_re is not None:
            spans["persons"] += [m.span() for m in self._post_re.finditer(t)
                                 if not _POST_MISREAD.match(t, m.end() - 2)]
        post_ends = {e for _, e in spans["persons"]}
        # a "masked name" right after a mask is part of a masked place name (××区××镇)
        spans["persons"] += [m.span() for m in self._masked_re.finditer(t)
                             if not (m.start() and t[m.start() - 1] in _MASKS and _MASKS & set(m.group()))]
        if "·" in t:  # 阿不力孜·买买提
            spans["persons"] += [m.span() for m in _DOT_NAME_RE.finditer(t)]
        spans["persons"] += [m.span() for m in _MINORITY_NAME_RE.finditer(t)]
        spans["persons"] += [m.span("address") for m in _ADDRESS_RE.finditer(t)]
        spans["persons"] += [m.span() for m in _KIN_WAYS_RE.finditer(t)]
        if self._tagger is not None:
            spans["persons"] += [m.span() for m in _FAMILIAR_AFTER_RE.finditer(t)
                                 if not self._known_word(t[m.start() + 1:m.end() + 1])]
        spans["persons"] += [m.span(m.lastgroup) for m in self._intro_re.finditer(t)]
        tags = _join_split_names(self._pos_tags(t), post_ends)
        leader_ends = None  # where 村民, 社员 … end: computed only when a name needs it
        for word, flag, s, e in tags:
            if (flag == "n" and word[-1] in _ROLE_ENDINGS and 2 <= len(word) <= 5 and _ROLE_NOUN.search(word)
                    and word not in _NOT_ROLES):
                spans["persons"].append((s, e))
            # nrfg: a full name jieba has seen (王淑琴); a clan by its surname (李姓占大半) is no person
            if (flag in ("nr", "nrfg") and 2 <= len(word) <= 3 and word[0] in SURNAMES and "某" not in word
                    and "一" not in word and word[-1] != "姓"
                    and word[-1] not in _PLACE_ENDINGS):  # 郑庄村, 杨庄, 孙圩: villages jieba takes for names
                if not self._known_word(word):
                    spans["persons"].append((s, e))
                elif len(word) == 3:
                    # 村委会主任张建国, 社员于长江: a name jieba also knows as a word, where a name stands
                    if leader_ends is None:
                        leader_ends = {le for w, _, _, le in tags if w in _NAME_LEADERS}
                    if s in post_ends or s in leader_ends:
                        spans["persons"].append((s, e))
            elif flag == "ns" and len(word) >= 2:
                spans["places"].append((s, e))

        # "一块" on its own is far more often "together" (一块去) than one yuan.
        spans["amounts"] += [m.span() for m in _AMOUNT_RE.finditer(t) if m.group() != "一块"]
        spans["amounts"] += [m.span(m.lastgroup) for m in _RATE_AMOUNT_RE.finditer(t)]
        spans["dates"] += _join_listed(t, [m.span() for m in _DATE_RE.finditer(t)])
        spans["places"] += [m.span() for m in _PLACE_RE.finditer(t)]
        if self._act_re is not None:
            spans["acts"] += [m.span() for m in self._act_re.finditer(t)]

        spans["persons"] = [self._with_given_name(t, s, e) for s, e in spans["persons"]]
        spans["persons"] = _with_business(t, spans["persons"], tags)
        spans["persons"] = _merge_adjacent_persons(
            [(s, _RELATION.match(t, e).end() if _RELATION.match(t, e) else e) for s, e in spans["persons"]], t)
        spans["persons"] += _listed_kin(t, spans["persons"])
        if "(" in t:
            spans["persons"] += self._bracketed_names(t, spans["persons"])
        if "、" in t:
            spans["persons"] += self._listed_names(t, spans["persons"])
        # 陆, 伍 and 元 are surnames too: the tagger's 陆佰元, 元整 inside 壹万叁仟陆佰元, 肆万伍仟元整 are money
        spans["persons"] = [(s, e) for s, e in spans["persons"] if t[s:e] not in _CLASS_WORDS
                            and not (t[s:e] in self._post_words and _GATHERING.match(t, e))
                            and not _overlaps_any(s, e, spans["amounts"])]
        return spans

    def _bracketed_names(self, t: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """A full name in brackets right after a person is that person's name (村主任ZJ（赵建军）,
        李瘸子（李德贵，村里的老保管）): online writers mask or nickname someone and then name them.
        A two-character dictionary word there is a remark, not a name (书记（时任）); three-character
        names jieba knows as words (赵建军) still count, as in ``_spans``."""
        out = []
        for _, e in persons:
            m = _BRACKETED_NAME.match(t, e)
            if m and not (len(m.group("name")) == 2 and self._tagger is not None and self._known_word(m.group("name"))):
                out.append(m.span("name"))
        return out

    def _listed_names(self, t: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Full names listed after a full name (signatures, lists of households: 罗德清、王秀兰、罗明亮):
        the tagger misses names it knows as words or cuts oddly, but in a list of names each item is
        one. Only after a person that is itself a full name (surname + one or two characters), so that
        lists of posts or things stay apart; a two-character dictionary word is no name (王某、何况)."""
        out = []
        for s, e in persons:
            if not (2 <= e - s <= 3 and t[s] in _SURNAME_SET and t[e:e + 1] == "、"):
                continue
            m = _LISTED_NAME.match(t, e)
            while m:
                name = m.group("name")
                if len(name) == 2 and self._tagger is not None and self._known_word(name):
                    break
                out.append(m.span("name"))
                m = _LISTED_NAME.match(t, m.end())
        return out

    def _with_given_name(self, t: str, s: int, e: int) -> tuple[int, int]:
        """Extend 张某 to 张某伟 when a given-name character follows that starts no word with the next one."""
        if (e < len(t) and e - s >= 2 and t[e - 1] == "某" and t[e - 2] in SURNAMES and t[e] in _GIVEN_CHARS
                and not (self._tagger is not None and self._known_word(t[e:e + 2]))):
            return s, e + 1
        return s, e

    def _items(self, text: str, norm: Normalized, spans: dict[str, list[tuple[int, int]]]) -> dict[str, list[dict]]:
        """Evidence items with offsets mapped back to the text as received."""
        result = {}
        for kind in EVIDENCE_TYPES:
            items = []
            for s, e in _drop_contained(spans[kind]):
                if kind == "places" and _overlaps_any(s, e, spans["persons"]):
                    continue
                os_, oe = norm.to_original(s, e)
                item = {"text": text[os_:oe], "start": os_, "end": oe}
                if kind == "amounts":
                    item["yuan"] = parse_yuan(item["text"])
                items.append(item)
            result[kind] = items
        return result


# A full name in brackets (normalisation folds （ to "("), ended by the bracket or a comma; not a
# nationality, which records put there too (卢某（哈尼族）).
_BRACKETED_NAME = re.compile(rf"\((?P<name>{_SUR}[\u4e00-\u9fa5]{{1,2}})(?<!族)(?=[)，,、])")

# The next full name of a list of names: 、 + surname + one or two characters, then the list goes on or ends.
_LISTED_NAME = re.compile(rf"、(?P<name>{_SUR}[\u4e00-\u9fa5]{{1,2}})(?=[、，,。；;\s]|$)")

# Roles named by the business they belong to: 超市老板, 砖瓦厂的会计, 快递驿站老板, 敬老院院长.
_BUSINESS_ROLES = {"老板", "老板娘", "会计", "司机", "经理", "院长", "厂长", "负责人", "老总", "店主"}
_NOUN_FLAGS = {"n", "nz", "nt", "ns", "nl", "ng"}


def _with_business(t: str, persons: list[tuple[int, int]], tags) -> list[tuple[int, int]]:
    """A bare role whose word before it is a noun (optionally with 的) takes that noun in."""
    if not any(t[s:e] in _BUSINESS_ROLES for s, e in persons):
        return persons
    ends = {e: (s, flag) for _, flag, s, e in tags}
    out = []
    for s, e in persons:
        if t[s:e] in _BUSINESS_ROLES:
            link = s - 1 if s and t[s - 1] == "的" else s
            before = ends.get(link)
            if before and before[1] in _NOUN_FLAGS and link - before[0] >= 1:
                s = before[0]
        out.append((s, e))
    return out


# A surname character jieba tags as a verb, preposition … after a post is that word (委员来列席).
_NOT_SURNAME_FLAGS = {"v", "vn", "p", "d", "c", "u", "uj", "ul", "r", "m", "q", "f"}
_NAME_PARTS = {"nr", "nrfg", "nrt", "ns", "n", "nz", "ng"}
_BEFORE_NAME = set("，,。、；;：:（(“\"　 \n\t叫是")
_AFTER_NAME = set("，,。、；;：:（()）“”\"　 \n\t家说")


def _join_split_names(tags, post_ends=frozenset()):
    """jieba often cuts a full name it does not know into surname + given name, and tags the parts
    as anything (王/nr 桂兰/ns, 周/nr 海峰/n, 刘/zg 长海/ns): join them into one name tag when the
    pair stands where names stand — after punctuation, 叫, a word such as 村民 or 侄子 or a post
    (村委会主任刘长海: ``post_ends``, where posts end), and before punctuation, 家 or 说. A given name that is an adjective (杜/nr 勤快/a, 陈/nr 火旺/a) counts only
    when jieba took the surname for one."""
    # Only single-character surname tokens can start a split name: find them first (most notes have
    # few), rather than walking every token in Python.
    starts = [i for i, tag in enumerate(tags[:-1]) if tag[0] in _SURNAME_SET]
    if not starts:
        return tags
    out, done = [], 0
    for i in starts:
        if i < done:  # this surname was the given name of the pair before it
            continue
        prev, tag = tags[i], tags[i + 1]
        if (1 <= len(tag[0]) <= 2
                and (tag[1] == "nr" and prev[1] == "nr"  # 沈/nr 明德/nr
                     or ((tag[1] in _NAME_PARTS or tag[1] == "a" and prev[1] == "nr") and len(tag[0]) == 2
                         and "\u4e00" <= tag[0][0] <= "\u9fa5"
                         and (prev[2] in post_ends and prev[1] not in _NOT_SURNAME_FLAGS
                              or _name_context(tags[i - 1] if i else None, None))
                         and _name_context(None, tags[i + 2] if i + 2 < len(tags) else None)))):
            out += tags[done:i]
            out.append((prev[0] + tag[0], "nr", prev[2], tag[3]))
            done = i + 2
    return out + tags[done:] if out else tags


def _name_context(left, right) -> bool:
    left_ok = left is None or left[0][-1] in _BEFORE_NAME or left[1] == "n" and (
        left[0] in _NAME_LEADERS or _RELATION_FULL.fullmatch(left[0]) is not None)
    right_ok = right is None or right[0][0] in _AFTER_NAME
    return left_ok and right_ok


def _listed_kin(t: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Kin words listed after a person who is kin (其弟媳、侄子, 儿子、女婿和外甥): each is a person."""
    out = []
    for s, e in persons:
        if t[e - 1] not in _KIN_LAST_CHARS or not _KIN_END.search(t, s, e):
            continue
        m = _KIN_LISTED.match(t, e)
        while m:
            out.append((m.start() + 1, m.end()))
            m = _KIN_LISTED.match(t, m.end())
    return out


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
    """A post followed directly (or after one space) by a name is one person (村会计 + 王某 →
    村会计王某, 妇女主任 冯某) — unless the right one starts with 村: then the left one is the
    name of a village (区某 + 村主任李某). Two names with a space between are two (陈×× 周××)."""
    ordered = _drop_contained(spans)
    out: list[tuple[int, int]] = []
    for s, e in ordered:
        gap = text[out[-1][1]:s] if out else None
        left = text[out[-1][0]:out[-1][1]] if out else ""
        if (gap is not None and (gap == "" or gap in (" ", "\u3000") and not _is_named(left)) and text[s] != "村"
                and left not in _STATUS_WORDS):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _with_line_breaks(norm: Normalized) -> str:
    """The normalised text with the original's line breaks put back (normalisation makes them
    spaces): a line break ends a person, where a space may join a post to its name."""
    if "\n" not in norm.original and "\r" not in norm.original:
        return norm.text
    chars = list(norm.text)
    index = norm.source_index
    for i, ch in enumerate(chars):
        if ch == " " and norm.original[index[i] if index else i] in "\r\n":
            chars[i] = "\n"
    return "".join(chars)


_LENGTH_OF_PERIOD = re.compile(r"[一两二三四五六七八九十]年间?")


def _join_listed(t: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Dates separated only by 、, 和, 到 … (a list or a range) become one item."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        gap = t[out[-1][1]:s] if out else None
        # …and a period directly followed by its length: 2019年到2022年四年, 2022年一年
        if gap in _DATE_LIST_GAPS or gap == "" and _LENGTH_OF_PERIOD.fullmatch(t, s, e):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _overlaps_any(s: int, e: int, others: list[tuple[int, int]]) -> bool:
    return any(s < oe and os_ < e for os_, oe in others)


# ------------------------------------------------------------------------------ features for the clue score
EVIDENCE_FEATURES = (
    "named_person", "post", "act", "n_acts", "amount", "date", "place",
    "who_and_what", "who_what_detail", "n_details", "question_only",
)


def evidence_features(evidence: dict, text: str) -> np.ndarray:
    """Numeric features of one note's evidence (see EVIDENCE_FEATURES for the order)."""
    persons = evidence["persons"]
    named = any(_is_named(p["text"]) for p in persons)
    post = any(not _is_named(p["text"]) or len(p["text"]) > 3 for p in persons)
    act = bool(evidence["acts"])
    details = [bool(evidence["amounts"]), bool(evidence["dates"]), bool(evidence["places"])]
    who = named or post
    question_only = text.rstrip().endswith(("？", "?", "吗")) and not act
    return np.array([
        named, post, act, np.log1p(len(evidence["acts"])), details[0], details[1], details[2],
        who and act, who and act and any(details), sum(details), question_only,
    ], dtype=np.float64)


_MASK_CHARS = set("某×*xX○")


def _is_named(person: str) -> bool:
    # A masked or real name (张某, 王德福, 村会计王某) as opposed to a bare post such as 村会计.
    return bool(_MASK_CHARS & set(person)) or (len(person) <= 3 and person[:1] in SURNAMES
                                                and person not in ("支书", "党委"))

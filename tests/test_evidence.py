import pytest

from textmine.evidence import EvidenceExtractor, parse_yuan


@pytest.fixture(scope="module")
def ex():
    return EvidenceExtractor()


def texts(items):
    return [i["text"] for i in items]


@pytest.mark.parametrize("expr, yuan", [
    ("3.5万元", 35000), ("两千多元", 2000), ("贰仟元", 2000), ("9,860元", 9860), ("一万三千余元", 13000),
    ("１２００元", 1200), ("十几万", 100000), ("三万二", 32000), ("500块钱", 500),
    ("三块五", 3.5), ("两毛钱", 0.2), ("八百到一千二", 800), ("不到二十块", 20), ("将近十万块", 100000),
    ("八十元到一百五十元", 80),
])
def test_parse_yuan(expr, yuan):
    assert parse_yuan(expr) == yuan


def test_amounts_with_full_width_digits_and_chinese_numerals(ex):
    text = "村会计王某２０２１年截留补助款一万三千余元，另有9,860元去向不明"
    ev = ex.extract(text)
    assert texts(ev["amounts"]) == ["一万三千余元", "9,860元"]
    assert [a["yuan"] for a in ev["amounts"]] == [13000, 9860]


def test_ranges_hedges_and_jiao_are_one_amount(ex):
    ev = ex.extract("一个月八千到一万，卖三块五一斤，不到二十块钱的东西，三百多户每户两千多元")
    assert texts(ev["amounts"]) == ["八千到一万", "三块五", "不到二十块钱", "两千多元"]


def test_areas_and_weights_are_not_money(ex):
    ev = ex.extract("他家承包了20亩地，收了500斤玉米，每亩补贴120元")
    assert texts(ev["amounts"]) == ["120元"]


def test_a_piece_of_land_after_a_piece_is_not_jiao(ex):
    # 块 also counts plots: the 一 after 一小块 is not 一毛
    ev = ex.extract("滩涂被他分成一小块一小块转租出去，一块地一年收八百，另交五毛钱的管理费")
    assert texts(ev["amounts"]) == ["八百", "五毛钱"]


def test_post_joined_to_masked_name(ex):
    ev = ex.extract("村会计王某和支书李某某把钱分了")
    assert texts(ev["persons"]) == ["村会计王某", "支书李某某"]


def test_masked_name_variants(ex):
    ev = ex.extract("王××、李**和赵某某都收了钱")
    assert set(texts(ev["persons"])) >= {"王××", "李**", "赵某某"}


def test_dates_absolute_and_relative(ex):
    ev = ex.extract("2019年3月开始，去年腊月又收了一次，近三年都没公开")
    assert texts(ev["dates"]) == ["2019年3月", "去年腊月", "近三年"]


def test_acts_from_the_lexicon(ex):
    ev = ex.extract("村主任低价发包鱼塘，还优亲厚友")
    assert {"低价发包", "优亲厚友"} <= set(texts(ev["acts"]))


def test_every_span_points_into_the_original_after_traditional_conversion(ex):
    text = "村幹部張某２０２０年貪污補貼款叁萬元，在東關村"
    ev = ex.extract(text)
    for items in ev.values():
        for item in items:
            assert text[item["start"]:item["end"]] == item["text"]
    assert texts(ev["amounts"]) == ["叁萬元"]
    assert ev["amounts"][0]["yuan"] == 30000
    assert "２０２０年" in texts(ev["dates"])


@pytest.mark.parametrize("text, person", [
    ("来电人：符先生（不愿留全名）反映", "符先生"),
    ("我叫何淑华，是二道沟村卫生室的", "何淑华"),
    ("我们八组的赵老四腿有残疾", "赵老四"),
    ("我叫阿不力孜·买买提，是莎车县人", "阿不力孜·买买提"),
    ("合同给了他的朋友萧某，萧某现在改成了", "萧某"),
])
def test_people_named_in_everyday_ways(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_verb_after_a_masked_name_is_not_part_of_it(ex):
    assert texts(ex.extract("萧某现在改成了饭店，王某说不知道")["persons"]) == ["萧某", "王某"]


@pytest.mark.parametrize("text, person", [
    ("韩大哥：谁家看见一只黑狗", "韩大哥"),
    ("搞工程的那个姓卢，村里前年修沟渠", "姓卢"),
    ("跟镇上开饭店的老周他们一桌", "老周"),
    ("一个是常年吃药的王寡妇，这俩都该吃", "王寡妇"),
    ("走访了老党员王德福（78岁，1970年入党）", "老党员王德福"),
    ("谈话对象：刘桂芝，女，56岁", "刘桂芝"),
    ("他老婆在村里当保洁员", "他老婆"),
    ("三组组长王某某说没这回事", "三组组长王某某"),
    ("村民吴某反映", "吴某"),  # 村民 is not a post: the corpus annotates 吴某 (59 times in 60)
    ("村主任欧阳某某在会上说", "村主任欧阳某某"),
])
def test_people_named_by_kinship_and_nickname(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_prefix_tree_pattern_matches_like_a_longest_first_alternation():
    import re

    from textmine.evidence import _trie

    words = sorted(["村主任", "村会计", "村", "主任", "会计", "村支书", "支书", "老板", "老板娘"], key=len, reverse=True)
    tree, plain = re.compile(_trie(words)), re.compile("|".join(words))
    for text in ["村主任王某和老板娘", "村里的支书说", "会计老板村支书李"]:
        assert [m.span() for m in tree.finditer(text)] == [m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("text, person", [
    ("张某伟搞大棚占了集体的地", "张某伟"),                 # given name after a masked surname
    ("沙场合同签给了鲁某亮，期限三年", "鲁某亮"),
    ("去年冬天村会计老杜私下把割苇子的权卖了", "村会计老杜"),   # post + 老X
    ("曹某某说网格员小田隔三岔五就来", "网格员小田"),          # post + 小X
    ("被谈话人：天门市××镇××村原村主任 汪某）", "原村主任 汪某"),  # post, a space, the name
    ("村支书兼主任杨某某说这笔钱要留着", "村支书兼主任杨某某"),  # one person with two posts
    ("第三村民小组组长蔡某某没开会就签了", "第三村民小组组长蔡某某"),
    ("低保给了王书记的一个外甥", "王书记的一个外甥"),           # kin through a person
    ("那间门面租给了徐某某之子", "徐某某之子"),
    ("沿江沙地交由覃某亲弟经营沙场", "覃某亲弟"),
    ("一户是支书阳某某的弟媳妇，一户是五保", "支书阳某某的弟媳妇"),
    ("听饭店老板讲的，一桌两千多", "饭店老板"),                # a role named by its business
    ("砖瓦厂的会计说没这笔账", "砖瓦厂的会计"),
    ("我们村里有个年轻人叫谢志强，退伍军人", "谢志强"),          # a full name after 叫
    ("反映人：刘桂芝，称村里没给她报销", "刘桂芝"),
    ("群众李某：我反映一个具体的事", "群众李某"),              # a role directly before a masked name
    ("石门村村委会主任张建国将鱼塘包给了妻弟", "村委会主任张建国"),  # a name jieba knows as a word, after a post
    ("刘老师说学校的营养餐钱被扣了", "刘老师"),                # surname + title
    ("李哥跟我讲，支书收了人家两万", "李哥"),                  # surname + kin title
    ("王家老二在村里当保安，每月拿两千", "王家老二"),
    ("群众代表老杨头说，补贴款少了一半", "老杨头"),
    ("当事人杨光明称其未收到补偿款", "杨光明"),
    ("支书他爹是原来的老支书", "支书他爹"),
    ("投诉人孙建华反映，村里修路占了他家的地", "孙建华"),
    ("庄村三组村民刘长海，今年六十八岁", "刘长海"),            # a full name jieba cuts in two (刘/zg 长海/ns)
    ("特困人员名单：王桂兰（丈夫去世）", "王桂兰"),
    ("有人亲眼看到鱼贩子开车来拉鱼", "鱼贩子"),                # a role word no lexicon lists
    ("你们组的汪家没有纳入防返贫监测", "汪家"),                # a household by its surname
    ("在三队路口把老常家的院墙撞塌了", "老常家"),
])
def test_persons_introduced_in_unusual_ways(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_masked_name_followed_by_a_word_keeps_its_end(ex):
    persons = texts(ex.extract("王某平时不管事，张某生病住院了，李某说不知道")["persons"])
    assert persons == ["王某", "张某", "李某"]


def test_village_name_before_a_post_is_not_joined_to_it(ex):
    persons = texts(ex.extract("举报区某村主任李某截留补贴")["persons"])
    assert "村主任李某" in persons and not any(p.startswith("区某村") for p in persons)


def test_person_offsets_after_traditional_and_full_width_folding(ex):
    text = "村支書張某偉於２０２１年把補貼款３０００元給了他小舅子"
    ev = ex.extract(text)
    assert texts(ev["persons"]) == ["村支書張某偉", "他小舅子"]
    assert all(text[p["start"]:p["end"]] == p["text"] for kind in ev for p in ev[kind])
    assert texts(ev["amounts"]) == ["３０００元"]


def test_village_and_place_names_are_not_households_or_names(ex):
    persons = texts(ex.extract("何家庄的路修好了，国家的补贴到了，大家都满意")["persons"])
    assert persons == []


@pytest.mark.parametrize("text, date", [
    ("来电时间：2023-05-17 09:42\n来电人反映", "2023-05-17 09:42"),   # numeric date of a call record
    ("落款日期2023.10.26", "2023.10.26"),
    ("2021年、2022年两次收了钱", "2021年、2022年"),                 # a list of years is one period
    ("从3月到5月一直没发", "3月到5月"),                              # a range
    ("二一年到二二年他当会计", "二一年到二二年"),
    ("2016年至今没公开过", "2016年至今"),
    ("2019年至2022年间共收取", "2019年至2022年间"),
    ("今年端午节前发的", "今年端午节前"),                           # year + festival
    ("2023年5月中旬开的会", "2023年5月中旬"),
    ("2024年4月9日下午在村部", "2024年4月9日下午"),                 # day + part of the day
    ("去年腊月二十六晚上来的", "去年腊月二十六晚上"),
    ("2022年的七月份开始", "2022年的七月份"),
    ("八十年代分的地", "八十年代"),
    ("已经三个多月没发了", "三个多月"),
    ("晚上十点多还在打牌", "晚上十点多"),
    ("去年农历八月十五前后，支书拿了两条烟", "去年农历八月十五前后"),
    ("上个月28号，组长又来收卫生费", "上个月28号"),
    ("上周三下午，网格员来家里登记", "上周三下午"),
    ("2019年到2022年四年，一直是他管账", "2019年到2022年四年"),   # a period and its length
    ("每个礼拜三晚上在村部打牌", "每个礼拜三晚上"),
    ("这半个多月没人管", "这半个多月"),
])
def test_dates_as_petitions_write_them(ex, text, date):
    assert date in texts(ex.extract(text)["dates"])


def test_a_year_with_a_following_word_keeps_its_end(ex):
    dates = texts(ex.extract("2021年起每年收一次，2022年的工资没发，每年的补贴都少")["dates"])
    assert dates == ["2021年", "每年", "2022年", "每年"]


@pytest.mark.parametrize("text, amount", [
    ("卫生费一户一年五十，收的时候不开票", "五十"),        # a bare figure at a rate
    ("会计说每亩扣五十是服务费", "五十"),
    ("周围流转地都是七八百一亩", "七八百"),                # a price per unit after the figure
    ("别个外村的人出过三千五一年", "三千五"),
    ("每人1万2的绩效补助", "1万2"),
    ("少的二百块，多的上千块", "上千块"),
    ("一年少说也能卖个万把块钱", "万把块钱"),
    ("拿了一万多一点，卖两块多一斤", "一万多一点"),
    ("拿了一万多一点，卖两块多一斤", "两块多"),
    ("账上大概三千多块钱，约4.8万元去向不明", "三千多块钱"),  # 大概/约 are not part of the amount
    ("账上大概三千多块钱，约4.8万元去向不明", "4.8万元"),
])
def test_amounts_as_petitions_write_them(ex, text, amount):
    assert amount in texts(ex.extract(text)["amounts"])


def test_counts_of_households_years_and_areas_are_not_money(ex):
    ev = ex.extract("低保四十一户，入党四十一年了，二百一十一亩地，把房子收拾了一下，五十块一斤")
    assert texts(ev["amounts"]) == ["五十块"]
    assert parse_yuan("万把块钱") == 10000 and parse_yuan("一分钱") == 0.01


def test_statuses_are_a_class_and_stay_apart_from_a_name(ex):
    persons = texts(ex.extract("党员都不爱来开会，党员李某说没接到通知，村民吴某和村民代表张某也说没有")["persons"])
    assert persons == ["李某", "吴某", "村民代表", "张某"]


def test_masked_places_are_not_masked_names(ex):
    persons = texts(ex.extract("××市××区××镇××村村民反映，区某村主任李某占地")["persons"])
    assert persons == ["村主任李某"]


@pytest.mark.parametrize("text, person", [("老谢去年就走了", "老谢"), ("这个老汪啊，从来不开会", "老汪"),
                                          ("小杨也知道这事", "小杨")])
def test_familiar_names(ex, text, person):
    assert texts(ex.extract(text)["persons"]) == [person]


def test_a_line_break_ends_a_person(ex):
    persons = texts(ex.extract("谈话对象：村监委会主任韩某\n韩某：我说两句，现任村主任范某甲也知道")["persons"])
    assert persons == ["村监委会主任韩某", "韩某", "村主任范某甲"]


def test_names_listed_with_spaces_and_masked_minority_names(ex):
    assert texts(ex.extract("签名：陈×× 周××")["persons"]) == ["陈××", "周××"]
    assert texts(ex.extract("村会计吐某和嘎查达特某都在场")["persons"]) == ["村会计吐某", "嘎查达特某"]
    assert "郑庄村" not in texts(ex.extract("淮阳区新站镇小郑庄村 郑书亭")["persons"])


@pytest.mark.parametrize("text, person", [
    ("村文书扎西顿珠说账本放在乡里", "村文书扎西顿珠"),        # a post and a Tibetan name are one person
    ("那年的草场补助是嘎查会计巴特尔发的", "嘎查会计巴特尔"),   # Mongolian
    ("陪同走访的有村民阿不都热合曼、王某", "阿不都热合曼"),     # Uyghur, two elements
    ("问：你认识央金吗？答：认识，她家就在河边", "央金"),
])
def test_minority_names_without_a_han_surname(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_minority_name_elements_that_are_also_words_are_not_names(ex):
    assert texts(ex.extract("村口种满了格桑花，后来才让他签了字")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("她男人前年在砖厂干活摔断了腿", "她男人"),                # spouses as villagers say them
    ("低保名额给了他堂客的娘家", "他堂客"),
    ("那块宅基地后来批给了伊表弟", "伊表弟"),                  # 闽南 伊 = he
    ("我家男人在外地打工，地是我一个人种", "我家男人"),
    ("合同是跟他哥签的，钱也打给了他哥", "他哥"),               # one character of kin after a pronoun
    ("家父生前在村里有两亩口粮田", "家父"),
])
def test_kin_after_a_pronoun(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_pronoun_and_a_character_that_starts_another_word_is_not_kin(ex):
    persons = texts(ex.extract("他哥们几个在镇上开店，她姐妹俩都嫁到外村，我娘家在河对岸")["persons"])
    assert not any(p in persons for p in ("他哥", "她姐", "娘"))


@pytest.mark.parametrize("text, person", [
    ("管账的是他表舅，外号“钱串子”，谁也查不了", "钱串子"),      # a nickname after 外号
    ("村里人都叫他王大头，他也不恼", "王大头"),
    ("工程包给了一个叫“马三”的外地人", "马三"),
    ("他一瘸一拐的，屯里都喊他张瘸子", "张瘸子"),               # a nickname by a trait
    ("修渠的钱是二愣子去镇上领的", "二愣子"),                   # a village nickname stem
    ("施工队的（村民称“老焦”）没给工钱", "老焦"),               # a familiar name before a closing quote
])
def test_nicknames(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_tell_him_to_is_not_a_nickname(ex):
    persons = texts(ex.extract("你叫他明天再来，叫他来对质，他不敢")["persons"])
    assert persons == []


def test_a_mask_in_a_place_name_is_not_cut_short_to_a_name(ex):
    # 区 and 师 are surnames too: 区× (giving back one ×) or 区某 + 镇 as a given name must not be found
    persons = texts(ex.extract("来电人：湟中区××镇下营村村民；涵江区某镇；第七师某团某连连长张××")["persons"])
    assert not any(p.startswith(("区", "师")) for p in persons)
    assert texts(ex.extract("区××说他没收钱")["persons"]) == ["区××"]


@pytest.mark.parametrize("text", ["来电人反映，村里的路灯坏了", "举报人：匿名（男）", "来电人表示理解，挂断电话",
                                  "来访人讲述，去年的补贴没发"])
def test_what_a_record_says_of_the_caller_is_not_a_name(ex, text):
    assert texts(ex.extract(text)["persons"]) == []


def test_a_name_after_the_caller_label_is_still_found(ex):
    assert "龚秀英" in texts(ex.extract("来电人：龚秀英，反映村里的路灯坏了")["persons"])


def test_a_post_before_a_meeting_or_a_head_count_names_the_body(ex):
    persons = texts(ex.extract("没开村民代表大会，党员会上也没讲；到会：村民代表12人、老党员五名；老党员座谈会")["persons"])
    assert persons == []


def test_a_post_before_will_or_a_small_count_is_still_a_person(ex):
    assert "村主任" in texts(ex.extract("村主任会来解释的，他答应了")["persons"])
    assert "会计" in texts(ex.extract("村部平时只有会计一人值班")["persons"])


@pytest.mark.parametrize("text, person", [
    ("连队的指导员说这笔钱是团里扣的", "指导员"),               # 兵团连队 posts
    ("副连长王某把承包地转给了外人", "副连长王某"),
    ("仓库钥匙一直在村保管员手里", "村保管员"),
])
def test_posts_of_bingtuan_companies_and_storekeepers(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_connected_is_not_a_company_commander(ex):
    assert texts(ex.extract("连续三年没公开，接连出了几次事")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("承包鱼塘的是他二舅，一年才交八百", "他二舅"),             # kin by birth order
    ("低保名单里有组长的三婶", "组长的三婶"),
    ("村主任他大舅哥开的砖厂", "村主任他大舅哥"),
])
def test_kin_by_birth_order(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_woman_called_big_sister_is_not_kin_of_nobody(ex):
    assert texts(ex.extract("食堂做饭的大姐说菜钱不够")["persons"]) == []


def test_full_names_jieba_knows_and_clans_by_surname(ex):
    assert "王淑琴" in texts(ex.extract("我们村那个会计叫王淑琴，她去年把钱扣了")["persons"])
    assert not any(p.endswith("姓") for p in texts(ex.extract("我们村龚姓占大半，龚姓各户都投了票")["persons"]))


def test_a_given_name_jieba_tags_as_an_adjective(ex):
    assert "杜勤快" in texts(ex.extract("我们组的村民杜勤快，今年七十")["persons"])
    assert texts(ex.extract("他说得很认真，真的")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("隔壁刘爷爷家也没领到", "刘爷爷"),                         # old people by surname
    ("签字的是村民岩某和玉某", "岩某"),                          # masked Dai names
])
def test_old_neighbours_and_masked_dai_names(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_and_grandma_is_not_a_surname(ex):
    assert "和奶奶" not in texts(ex.extract("我和奶奶一起去的村部")["persons"])


def test_capital_numerals_in_an_amount_are_not_surnames(ex):
    ev = ex.extract("招待费合计壹万叁仟陆佰元，门面租金肆万伍仟元整，陆某说不知道")
    assert texts(ev["persons"]) == ["陆某"]


@pytest.mark.parametrize("text", ["本人现居深圳，老家在某村", "本人年事已高，行动不便", "备注：来电人情绪激动"])
def test_what_a_writer_says_of_themself_is_not_a_name(ex, text):
    assert texts(ex.extract(text)["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("地包给了谁？给了小郑！一亩才一百", "小郑"),                 # a familiar name before ！, （ or the end
    ("村民代表老葛（支书的本家）说", "老葛"),
    ("签字：看仓库的老汪", "老汪"),
    ("村民贝某反映路灯不亮", "贝某"),                           # 贝, 綦: surnames too
])
def test_familiar_names_before_any_punctuation_and_rarer_surnames(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_slush_fund_is_not_a_familiar_name(ex):
    assert texts(ex.extract("设立小金库（账外）！种的小麦？救灾大米，养老金。")["persons"]) == []


def test_a_prefix_familiar_names_of_the_south(ex):
    assert "阿强" in texts(ex.extract("鱼塘后来是阿强在管，一年交两千")["persons"])
    assert texts(ex.extract("他去阿根廷打工了，阿富汗那边也去过")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("低保给了会计家二儿子，他在城里有房", "会计家二儿子"),        # a household's children by birth order
    ("砂场是支书家老三开的", "支书家老三"),
    ("刘会计的小女儿也吃着低保", "刘会计的小女儿"),
])
def test_children_by_birth_order(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_group_of_relatives_stays_apart(ex):
    persons = texts(ex.extract("救灾的米面油，村支书韩某家的亲戚都领了")["persons"])
    assert "村支书韩某" in persons


@pytest.mark.parametrize("text, person", [
    ("选上以后，村里大小事都系佢同佢细佬话事", "佢细佬"),       # 粤/客家 kin after 佢
    ("𠊎阿妈今年八十了，高龄津贴一直没领到", "阿妈"),            # after 𠊎 (I), the kin alone, as after 我
])
def test_southern_kin_words_and_pronouns(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_southern_kin_words_without_a_pronoun_are_not_persons(ex):
    assert texts(ex.extract("佢细心得很，家姐妹们都来了")["persons"]) == []


def test_a_caller_surnamed_zeng_is_still_a_name(ex):
    assert "曾国华" in texts(ex.extract("来电人曾国华，反映路灯坏了；本人曾多次反映")["persons"])


@pytest.mark.parametrize("text, person", [
    ("停车费是村里请的保安老刘在收，一天三四百", "保安老刘"),     # posts new writers name: guards, tradesmen,
    ("队上的水暖工说暖气管子早该换了", "水暖工"),                 # sugar-cane field officers, civil-affairs cadres
    ("甘蔗面积是糖厂蔗区员来量的", "蔗区员"),
    ("镇上的民政干部小郭来核过两回", "民政干部小郭"),
    ("我原来是村小的民办教师，教了二十年", "民办教师"),
])
def test_posts_of_guards_tradesmen_and_cadres(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_safety_is_not_a_guard(ex):
    assert texts(ex.extract("要注意保安全，水电费按月交")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("支书赵某某把集体鱼塘包给其妻弟，一年只收八百", "其妻弟"),   # 其 + kin: a relative of the person just named
    ("经查，组长钱某将其长子报为低保对象", "其长子"),
    ("会计孟某（系其远房表叔）经手了这笔钱", "其远房表叔"),
])
def test_kin_through_qi(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_qi_without_kin_is_no_person(ex):
    assert texts(ex.extract("其中三户其实不符合条件，其余的以后再说")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("鱼塘最后包给了他自己的亲哥哥，一年才两千", "他自己的亲哥哥"),   # kin with 自己/自家/本家
    ("主任把自己小舅子报成了贫困户", "自己小舅子"),
    ("选举前他叫他本家几个侄子挨家送烟", "他本家几个侄子"),
    ("钱都交给他屋头婆娘管着，没有票据", "他屋头婆娘"),               # 屋头 (川): of the household
])
def test_kin_of_ones_own_clan_and_household(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_own_and_household_without_kin_are_no_persons(ex):
    assert texts(ex.extract("自己的事自己办，本家族谱在屋头柜子里，屋里头冷")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("我和小甘两人去核的，账对不上", "小甘"),                   # a familiar name after 和/的/跟 …,
    ("一起退休的老贺少拿了两百", "老贺"),                       # whatever follows it
    ("钥匙交给老郑管，没人查过", "老郑"),
])
def test_familiar_names_where_a_person_is_named(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_small_project_or_an_old_ailment_is_no_familiar_name(ex):
    assert texts(ex.extract("这是个小项目，村里的小金库，她的老毛病，路边的小杨树")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("补助领款人是郑晓某，他一年没上过山", "郑晓某"),            # the given name's last character masked
    ("去年我和社员于长江一块去要账", "于长江"),                  # a name jieba knows as a word, after 社员
])
def test_masked_last_character_and_known_names_after_members(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_masked_county_is_no_masked_name(ex):
    assert texts(ex.extract("走访记录：黑龙江某县新发村，吴江某镇北厍村")["persons"]) == []


def test_a_member_coming_to_sit_in_is_no_name(ex):
    assert "委员来列席" not in texts(ex.extract("镇党委派了一个委员来列席。")["persons"])


@pytest.mark.parametrize("text, person", [
    ("问：你侄子的车队是什么时候进场的？", "你侄子"),              # 你/您 + kin in interviews
    ("救灾面他大大、他碎妈家都领了", "他碎妈"),                     # 陕甘 kin words
    ("那天夜里她家老人突然犯了病", "她家老人"),
    ("五保老人吕三爷的房子漏雨", "吕三爷"),                         # old men by surname and birth order
])
def test_kin_of_you_and_northwestern_kin_words(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_generous_or_polite_he_is_no_kin(ex):
    assert texts(ex.extract("他大大方方地说，他老人家身体好着呢")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("组长把其儿媳、外甥两户都报了危改", "外甥"),                 # kin listed after a relative
    ("主任的侄子、侄女和女婿都在合作社领工资", "女婿"),
    ("低保给了会计老婆的娘家兄弟", "娘家兄弟"),          # 娘家/婆家 + kin
])
def test_listed_kin_and_kin_of_a_wifes_family(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_kin_words_listed_after_no_relative_are_no_persons(ex):
    assert texts(ex.extract("路灯、儿童乐园和老年活动室都修好了，娘家在外省")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("问：大婶，你家的低保卡现在谁拿着？", "大婶"),               # the person an interviewer addresses
    ("Q：老表，你反映的鱼塘是哪一年包出去的？", "老表"),
])
def test_the_person_an_interviewer_addresses(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_an_address_term_inside_a_turn_or_a_polite_you_is_no_person(ex):
    assert texts(ex.extract("答：我们这里大姐大哥都去打工了。问：老人家，您身体还好吧？")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("有一户是我远房表哥，按规定备了案", "远房表哥"),               # distant relatives
    ("报账员是村主任的一个远房侄子", "村主任的一个远房侄子"),
])
def test_distant_relatives(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_far_away_is_no_relative(ex):
    assert texts(ex.extract("远房子那边的地远得很，远方来的车")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("我去问村里的专干，她说表交晚了", "专干"),                    # village specialists, water meter readers,
    ("水费是管水员上门收的现金", "管水员"),                        # the person in charge of an enterprise
    ("合作社的负责人年底没分红", "负责人"),
])
def test_specialists_water_keepers_and_persons_in_charge(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_specialised_work_is_no_specialist(ex):
    assert texts(ex.extract("这事要专门干，负责任地办")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("走访时蒋家奶奶说高龄补贴停了", "蒋家奶奶"),                 # elders and brothers of a household
    ("四组孔家两兄弟为宅基地吵了一年", "孔家两兄弟"),
    ("我跟后院郝家为排水沟的事闹过", "后院郝家"),                  # neighbours by where they live
    ("隔壁那个老汉儿一个人住，评了几年没评上", "隔壁那个老汉儿"),
])
def test_household_elders_and_neighbours(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_courtyard_or_a_village_named_after_a_family_is_no_neighbour(ex):
    assert texts(ex.extract("后院的墙塌了，东院刘家庄那边也塌了")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("经查，其母户口仍在本村，不符合五保条件", "其母"),             # 其 + one-character kin
    ("被反映人系本人表舅，本人不便出面", "本人表舅"),               # kin of the writer through 本人
])
def test_kin_through_qi_and_benren(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_qi_and_benren_without_kin_are_no_relative(ex):
    assert texts(ex.extract("其实本人身体不好，其他的事以后再说")["persons"]) == []


def test_sons_wives_by_birth_order_listed_after_a_son(ex):
    assert "二儿媳" in texts(ex.extract("名单上有组长家大儿子、二儿媳，都在城里上班")["persons"])


@pytest.mark.parametrize("text, person", [
    ("后来跟邻居周三娃因为水渠吵起来", "周三娃"),                 # village given names: surname + stem
    ("那个包工头二愣，说话就动手", "包工头二愣"),                  # or the stem alone, after a role
])
def test_village_given_names(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_puppy_or_two_dimes_is_no_village_name(ex):
    assert texts(ex.extract("家里养了条小狗，糖二毛钱一颗")["persons"]) == []


@pytest.mark.parametrize("text, person", [
    ("实名举报：村会计HM（胡明）挪用了修路款", "胡明"),              # a full name in brackets after a person
    ("听说是W某某家的亲戚拿走了", "W某某"),                         # Latin initials as a mask
    ("楼主小K说的都是真的", "小K"),
])
def test_latin_masks_and_bracketed_names(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_nationality_or_a_remark_in_brackets_is_no_name(ex):
    found = texts(ex.extract("来信人吴某（苗族）反映，村书记（时任）没开会，装了APP也查不到")["persons"])
    assert not {"苗族", "时任", "AP", "APP"} & set(found)


def test_deputies_and_legal_representatives_are_posts(ex):
    assert "人大代表罗某" in texts(ex.extract("镇人大代表罗某反映了这个情况")["persons"])
    assert texts(ex.extract("县人大代表大会召开期间")["persons"]) == []


def test_full_names_listed_after_a_full_name(ex):
    found = texts(ex.extract("联名人：邓国强、林秀英、邓建华、周红梅")["persons"])
    assert {"邓国强", "林秀英", "邓建华", "周红梅"} <= set(found)


def test_a_list_of_posts_or_words_after_a_name_is_no_name_list(ex):
    found = texts(ex.extract("经手人王某某、何况村会计、出纳都不在")["persons"])
    assert "何况" not in found


@pytest.mark.parametrize("text, person", [
    ("这封信是我重孙女帮着写的", "重孙女"),                        # great-grandchildren, a father's brothers
    ("组长是我本家二大爷，我也不好说", "我本家二大爷"),
    ("被举报人许某某（举报人表叔）长期把持", "举报人表叔"),          # kin of the writer through 举报人
])
def test_great_grandchildren_uncles_and_kin_of_the_writer(ex, text, person):
    assert person in texts(ex.extract(text)["persons"])


def test_a_caller_or_writer_without_kin_is_no_relative(ex):
    assert texts(ex.extract("举报人要求保密，反映人情绪稳定")["persons"]) == []

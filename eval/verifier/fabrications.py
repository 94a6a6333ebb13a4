"""Fabrication rules: a report sentence -> an answer sentence that its passage does not support.

Same contract as the faithful rules in rules.py; a rule may also name its variant as a third
element ("number_chinese", "polarity_negation", …). Every rule checks that what it introduces is
absent from the cited chunk, so that a "fabricated" label is true by construction.
"""

from __future__ import annotations

import re

from rules import _S2T, _T2S, numbers, written

# Claims a model might add to a true sentence; none of them is in any report of corpus/.
INVENTED = [
    "并设立了全省首个委员之家", "相关经验在全国政协会议上作交流发言", "获评全省政协系统先进集体",
    "参与委员人数创历史新高", "全部纳入县委县政府年度重点工作", "形成的调研报告被省政府采纳",
    "实现了镇街全覆盖", "还邀请人大代表共同参与", "经验做法被新华社专题报道", "在全省率先建成数字政协平台",
    "有关建议已写入政府工作报告", "受到全国政协领导肯定", "组织委员赴浙江学习考察", "年度考核位列全市第一",
    "首次实现线上线下同步协商", "相关做法入选全国基层协商典型案例", "并与南京大学签订战略合作协议",
    "委员履职积极性显著增强", "群众获得感明显提升", "有效缓解了停车难问题", "带动村集体经济增收",
    "并建立了专家评审制度", "得到省领导批示肯定", "还开通了委员热线电话", "相关成果汇编成册出版",
]
# Proper names of the reports and a plausible wrong one (committee places are the committee rule's).
NAME_SWAPS = {
    "江苏大学": "南京大学", "江蘇大學": "南京大學", "清华大学": "北京大学", "西柏坡": "井冈山", "北京": "上海",
    "南京": "苏州", "新华社": "人民网", "中石油": "中石化", "中铁五局": "中铁三局", "长三角": "珠三角",
    "溱湖": "骆马湖", "茅以升": "钱学森", "孙桂松": "孙松林", "张甸镇": "白米镇", "三彭村": "三河村",
    "无锡": "常州", "杭州": "嘉兴", "西安": "兰州", "宁波": "温州", "金南镇": "金北镇", "安徽": "河南",
    "江苏": "浙江", "南通": "扬州", "淮安": "盐城", "泰州": "宿迁", "黄浦区": "徐汇区", "黃浦區": "徐匯區",
    "丹阳": "句容", "丹陽": "句容", "纪东": "王东", "王沪宁": "王东宁", "张义珍": "张文珍", "杨伟": "杨伟明",
    "江海平原": "里下河平原", "苏州南通商会": "苏州泰州商会", "三水街道": "三山街道", "俞垛镇": "溱潼镇",
}
_CLAUSE = re.compile(r"[,，]")
_TITLE = re.compile(r"《([^》]+)》")
_QUOTE = re.compile(r"“([^”]+)”")
_OWN_SUBJECT = re.compile(r"^(?:县政协|区政协|市政协|區政協|市政協)")
NEG_VERBS = ["开展", "组织", "召开", "举办", "举行", "成立", "建立", "设立", "出台", "制定", "完成", "推进", "参与",
             "提交", "报送", "走访", "聘请", "征集", "收集", "实施", "打造", "编辑出版", "开设", "刊登", "刊载",
             "荣获", "获评", "開展", "舉辦", "推進", "成立", "建立", "首次"]


def _script(source, text: str) -> str:
    """`text` in the script of the source sentence."""
    return text if _T2S.convert(source.text) == source.text else _S2T.convert(text)


def _bigrams(text: str) -> set[str]:
    folded = _T2S.convert(text)
    return {folded[i : i + 2] for i in range(len(folded) - 1) if all("\u4e00" <= ch <= "\u9fff" for ch in folded[i : i + 2])}


def _overlap(added: str, chunk_text: str) -> float:
    grams = _bigrams(added)
    return len(grams & _bigrams(chunk_text)) / len(grams) if grams else 1.0


def number(source, rng, _):
    found = numbers(source.text)
    if not found:
        return None
    m = rng.choice(found)
    value, unit, approx, scale = float(m["num"]), m["unit"], m["approx"] or "", m["scale"] or ""
    if approx and rng.random() < 0.35:
        # "30多次" -> "30次": the approximation dropped (see the README: an exact claim needs an exact source)
        return source.text[: m.start()] + written(value, unit, "", scale, "arabic") + source.text[m.end():], (), "number_approx"
    present = {float(x) for x in re.findall(r"\d+(?:\.\d+)?", source.chunk.text)}
    steps = (-2.5, -1.5, -10, -5) if unit == "%" else (1, 2, 3, 5, 9, 10, -1, -2, -3)
    options = [value + d for d in steps if value + d > 1 and value + d not in present and (unit != "%" or value + d <= 100)]
    if not options:
        return None
    notation = rng.choice(["arabic", "chinese", "fullwidth"])
    new = written(rng.choice(options), unit, approx, scale, notation)
    return source.text[: m.start()] + _script(source, new) + source.text[m.end():], (), f"number_{notation}"


def clause(source, rng, candidates):
    if rng.random() < 0.5:
        added, variant = rng.choice(INVENTED), "clause_invented"
    else:
        other = rng.choice([c for c in candidates if c.chunk.report_id != source.chunk.report_id])
        pieces = [p for p in _CLAUSE.split(_T2S.convert(other.text))
                  if 6 <= len(p) <= 20 and "政协" not in p and not re.search(r"\d|其中|等形式$", p)]
        if not pieces:
            return None
        added, variant = rng.choice(pieces), "clause_other_report"
    if _overlap(added, source.chunk.text) > 0.4:
        return None
    return source.text + _script(source, "，" + added), (), variant


def _stem(short_name: str) -> str:
    return re.sub(r"[市县区]政协$", "", short_name)


def committee(source, rng, candidates):
    own = source.chunk
    stem = _stem(own.short_name)
    if stem in _T2S.convert(source.text)[4:]:
        return None  # the sentence names its own place further on: swapping only the subject would mix two
    others = sorted({(c.chunk.short_name, c.chunk.committee) for c in candidates} - {(own.short_name, own.committee)})
    short, full = rng.choice(others)
    form = rng.choice(["short", "full", "place"])
    name = _script(source, {"short": short, "full": full, "place": _stem(short)}[form])
    text = _T2S.convert(source.text)
    if text.startswith(own.short_name):
        text = source.text[len(own.short_name):]
    elif _OWN_SUBJECT.match(source.text):
        text = _OWN_SUBJECT.sub("", source.text)
    elif "政协" in text[:8]:
        return None
    else:
        text = source.text
    theirs = [c.chunk for c in candidates if c.chunk.short_name == short]
    extra = (rng.choice(theirs),) if theirs and rng.random() < 0.5 else ()
    return name + text, extra, f"committee_{form}"


def polarity(source, rng, _):
    text, options = source.text, []
    quoted = [m.span() for m in re.finditer(r"“[^”]*”|《[^》]*》", text)]
    free = lambda at: not any(a <= at < b for a, b in quoted)  # noqa: E731
    for word, flipped in (("均为", "均未达到"), ("已成功", "未能"), ("均已", "均未"), ("提高", "降低"), ("增强", "减弱")):
        if word in text and free(text.index(word)):
            variant = "polarity_negation" if "未" in flipped else "polarity_comparison"
            options.append((text.replace(word, _script(source, flipped), 1), variant))
    verbs = [(text.index(v), v) for v in NEG_VERBS if v in text and free(text.index(v))]
    if verbs:
        at, _verb = min(verbs)
        options.append((text[:at] + _script(source, rng.choice(["未", "没有", "尚未"])) + text[at:], "polarity_negation"))
    exact = [m for m in numbers(text) if not m["approx"] and free(m.start())]
    if exact:
        m = rng.choice(exact)
        options.append((text[: m.start()] + _script(source, rng.choice(["超过", "不到", "低于"])) + text[m.start():], "polarity_comparison"))
        options.append((text + _script(source, rng.choice(["，较上年有所下降", "，比上年减少", "，同比增长"])), "polarity_comparison"))
    if not options:
        return None
    flipped, variant = rng.choice(options)
    return flipped, (), variant


def entity(source, rng, candidates):
    text, chunk_text, options = source.text, source.chunk.text, []
    others = [c for c in candidates if c.chunk.report_id != source.chunk.report_id]
    for pattern, variant in ((_TITLE, "entity_title"), (_QUOTE, "entity_quoted")):
        theirs = sorted(t for t in {m[1] for c in others for m in pattern.finditer(c.text)} if t not in chunk_text)
        for m in pattern.finditer(text):
            new = rng.choice(theirs)
            options.append((text[: m.start(1)] + _script(source, new) + text[m.end(1):], variant))
    for name, wrong in NAME_SWAPS.items():
        if name in text and wrong not in chunk_text:
            options.append((text.replace(name, wrong, 1), "entity_name"))
    if not options:
        return None
    changed, variant = rng.choice(options)
    return changed, (), variant


def citation(source, rng, _):
    if rng.random() < 0.5:
        return source.text + "。", (), "citation_none"
    return source.text + "[9]。", (), "citation_missing"


FABRICATIONS = {"number": number, "clause": clause, "committee": committee, "polarity": polarity,
                "entity": entity, "citation": citation}

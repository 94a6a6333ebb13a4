#!/usr/bin/env python3
"""Verify eval/questions.jsonl against corpus/.

Checks: keys and ids; per-type minimum counts; every gold string is 10-40
characters and an exact substring of a single line of one of the question's
docs files; cross-doc golds cover >= 2 reports; questions on 姜堰 (000) that
name 2024 or 2025 take their gold from that year's part of the report; typo
questions misspell one committee name by one character; unanswerable questions
have empty docs/gold and their key facts are absent from the corpus (regex
checks, one per question).
Run from the repository root:  python3 eval/verify_gold.py
"""
import json, re, sys, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
QFILE = ROOT / "eval" / "questions.jsonl"
KEYS = ["id", "question", "type", "docs", "gold", "answer", "note"]
MIN = {"fact-number": 24, "fact-entity": 20, "paraphrase": 10, "trad-doc": 6,
       "trad-query": 7, "english": 12, "cross-doc": 6, "colloquial": 13,
       "speech-prep": 5, "plan-2025": 16, "typo": 10, "partner": 10,
       "unanswerable": 25}
MIN_TOTAL = 160
# Committee names as the reports spell them; a typo question must use none of them.
COMMITTEE_NAMES = ["姜堰", "金湖", "洪泽", "洪澤", "海安", "杜集", "镇江", "鎮江"]
TRAD_FILE = "004_96ed0689c85e4c9d.txt"

texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
ALL = "\n".join(texts.values())
REPORTS_TOML = (CORPUS / "reports.toml").read_text(encoding="utf-8")   # committee names and aliases

def report_of(fname, line_no):
    """Report label for a line (001 holds 金湖 then 洪泽 from the line '洪泽区政协')."""
    if fname.startswith("001_"):
        split = texts[fname].split("\n").index("洪泽区政协")
        return fname + ("#洪泽" if line_no >= split else "#金湖")
    return fname

# grep checks that the answer to each unanswerable question is really absent
def absent(pattern, where=None):
    """No match in the whole corpus, in one file (by name) or in a given text."""
    src = ALL if where is None else texts.get(where, where)
    return re.search(pattern, src) is None

# Page furniture as rag/ingest.py reads it (photo captions, bylines, breadcrumbs):
# never cited, so a fact that stands only there cannot be answered from the reports.
CAPTION = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日[,，]")
BYLINE = re.compile(r"^(■|◆|●|编辑|編輯|责任编辑|責任編輯|来源|來源|通讯员|通訊員|记者|記者|作者|摄影|攝影)")
BREADCRUMB = re.compile(r"^(首页|首頁|当前位置|當前位置)")
def is_furniture(line):
    return bool(BYLINE.match(line) or BREADCRUMB.match(line)
                or (CAPTION.match(line) and len(line) <= 80 and line.rstrip("。").count("。") == 0))
def only_in_furniture(pattern):
    """The pattern occurs, but only on furniture lines."""
    lines = [l for t in texts.values() for l in t.split("\n") if re.search(pattern, l)]
    return bool(lines) and all(is_furniture(l) for l in lines)

J_FILE, D_FILE, A_FILE = "000_2433891f3505c585.txt", "003_7e3b9d5873070fdf.txt", "002_c520e02cae42d976.txt"
JINHU, HONGZE = texts["001_7afb2be384d67ebd.txt"].split("洪泽区政协\n")
JY2024, JY2025 = texts[J_FILE].split("2025年工作安排\n")   # 姜堰: 2024 review, then 2025 plan
HONGZE_BODY = "\n".join(l for l in HONGZE.split("\n") if not is_furniture(l))
UNANSWERABLE_CHECKS = {
    "盱眙县政协": lambda: absent("盱眙"),
    "淮安市政协九届二次会议": lambda: absent(r"九届二次[^。]*\d+件"),
    "泰州市政协": lambda: absent("泰州市政协"),
    "海安市政协的提案办结率": lambda: absent("办结", "002_c520e02cae42d976.txt") and absent("立案", "002_c520e02cae42d976.txt"),
    "杜集区政协2024年提案": lambda: absent("立案", "003_7e3b9d5873070fdf.txt") and absent("2024", "003_7e3b9d5873070fdf.txt"),
    "镇江市政协2024年共立案": lambda: absent("立案", TRAD_FILE) and absent(r"\d+件", TRAD_FILE),
    "姜堰区政协2024年收到并立案": lambda: absent("立案", "000_2433891f3505c585.txt") and absent(r"提案\d", "000_2433891f3505c585.txt"),
    "金湖县政协主席叫什么": lambda: re.search(r"政协主席(?!会议)", JINHU) is None,
    "南通市政协2023年社情民意": lambda: absent("采用", "002_c520e02cae42d976.txt") and absent(r"南通市政协[^。]*\d+篇"),
    # --- other years: the report covers another year
    "洪泽区政协2022年": lambda: absent(r"2022|二〇二二"),
    "镇江市政协2023年": lambda: absent(r"2023|二〇二三", TRAD_FILE),
    "金湖县政协2022年": lambda: absent(r"2022|二〇二二"),
    "姜堰区政协2023年": lambda: absent(r"2023|二〇二三", J_FILE),
    # --- other committees as the subject (no report of theirs)
    "南京市政协": lambda: absent(r"南京[^。\n,，、]{0,4}政[协協]"),
    "扬州市政协": lambda: absent(r"扬州|揚州"),
    "淮北市政协2025年": lambda: absent(r"淮北市政[协協]"),
    "丹阳市政协2024年提案立案": lambda: absent(r"丹[阳陽][^。]*\d+件") and absent("立案", TRAD_FILE),
    "黄浦区政协2024年": lambda: absent("黄浦") and absent(r"黃浦[^。]*\d"),
    # --- figures the report describes only in words
    "《我托委员捎句话》电视专栏一共播出": lambda: absent(r"捎句话[^。]*([\d一二三四五六七八九十]+)期"),
    "环境资源界别有多少名委员": lambda: absent(r"環境資源界別[^。]*\d", TRAD_FILE),
    "新教育实验室有几条信息": lambda: absent(r"新教育实验室[^。]*\d", J_FILE) and absent(r"全国政协采用[^。]*\d", J_FILE),
    "新时代书画苑有多少名会员": lambda: absent(r"书画苑[^。]*\d", D_FILE) and absent("会员", D_FILE),
    "海安市有多少名政协委员参加了": lambda: absent(r"[\d一二三四五六七八九十]+多?名(政协)?委员", A_FILE),
    "协商议事平台2024年收到了多少件提案": lambda: absent(r"提案\d|\d+件[^。,，]{0,6}提案", J_FILE),
    # --- facts that stand only in page furniture (captions, bylines)
    "洪泽区政协主席叫什么": lambda: only_in_furniture("孙晓燕") and absent(r"主席(?!会议)", HONGZE_BODY),
    "十一届七次常委会议视察了哪家企业": lambda: only_in_furniture("台华") and only_in_furniture("十一届七次"),
    "金湖县哪个街道组织了": lambda: only_in_furniture("黎城"),
    "综述这篇稿子的编辑是谁": lambda: only_in_furniture("薛海春"),
    "专版是谁策划的": lambda: only_in_furniture("王成虎") and only_in_furniture("策划"),
    # --- a 2025 result asked where there is only a 2025 plan (or none)
    "“有事‘相’商”平台开展了多少场": lambda: absent(r"[\d一二三四五六七八九十百千万]+多?[场次]", D_FILE),
    "姜堰区政协2025年组织了多少场": lambda: absent(r"\d+多?场", JY2025),
    "2025年向几个部门委派": lambda: "委派民主监督小组" in JY2025 and absent(r"\d+个部门", JY2025),
    "镇江市政协2025年推进了多少个创新项目": lambda: all(BREADCRUMB.match(l) for l in texts[TRAD_FILE].split("\n") if "2025" in l),
    "“大调研”行动形成了多少篇": lambda: absent(r"[\d一二三四五六七八九十]+多?篇", D_FILE) and absent("调研报告", D_FILE),
    # --- added later (e212-e217), same kinds
    "金湖县政协2024年": lambda: absent(r"2024|二〇二四", JINHU),
    "杜集区政协2023年": lambda: absent(r"2023|二〇二三", D_FILE) and absent(r"\d+多?场", D_FILE),
    "清江浦区政协": lambda: absent("清江浦"),
    "读书活动有多少名委员参加": lambda: absent(r"品书香[^。]*\d", J_FILE) and absent(r"\d+[名位]委员[^。]*读书", J_FILE),
    "协商议事月”一共开展了多少场": lambda: absent(r"协商议事月[^。]*\d", JINHU) and absent(r"\d+多?场", JINHU),
    "“走近委员”活动帮委员解决了多少": lambda: "走近委员" in JY2025 and absent(r"\d+个", JY2025),
    # --- added later (e235-e237), same kinds
    "洪泽区政协2024年": lambda: absent(r"2024|二〇二四", HONGZE),
    "如皋市政协": lambda: absent("如皋"),
    "“学雷锋 送温暖”活动有多少名": lambda: absent(r"学雷锋[^。]*\d", A_FILE) and absent(r"\d+多?[名位][^。]*学雷锋", A_FILE),
    # --- added later (e263-e267), same kinds
    "姜堰区政协2022年": lambda: absent(r"2022|二〇二二", J_FILE),
    "句容市政协": lambda: absent(r"句容"),
    "基层社情民意联系点": lambda: absent(r"聯系點[^。]*\d", TRAD_FILE) and absent(r"\d+個?[^。,，]{0,8}聯系點", TRAD_FILE),
    "“金秋助学”活动去了哪些": lambda: only_in_furniture("金秋助学") and only_in_furniture("朱坝|东双沟"),
    "“委员请你来读书”活动办了多少期": lambda: "委员请你来读书" in texts[D_FILE] and absent(r"[\d一二三四五六七八九十]+期", D_FILE),
    # --- added later (e293-e297), same kinds
    "海安市政协委员工委2024年": lambda: absent(r"2024|二〇二四", A_FILE),
    "靖江市政协": lambda: absent("靖江"),
    "民生专题协商议事月”活动推动解决了多少": lambda: absent(r"议事月[^。]*\d", HONGZE) and "推动解决一批" in HONGZE,
    "8月18日金湖县政协主席会议视察": lambda: only_in_furniture("专精特新") and only_in_furniture("8月18日"),
    "“委员看发展”活动组织了多少名委员": lambda: "委员看发展" in JY2025 and absent(r"\d+多?[名位人]", JY2025),
    # --- added later (e324-e327), same kinds
    "镇江市政协2022年": lambda: absent(r"2022|二〇二二", TRAD_FILE),
    "相山区政协": lambda: absent("相山"),
    "设立了多少个乡镇(街道)政协工作委员会": lambda: absent(r"[\d一二三四五六七八九十]+个[^。,，]{0,8}(镇|街道|政协工作委员会)", JINHU) and absent(r"政协工作委员会[^。]*\d", JINHU),
    "出版了几本讲“三水文化”的书": lambda: "三水文化" in JY2025 and absent(r"[\d一二三四五六七八九十两]+[本部册]", JY2025),
    # --- added later (e354-e357), same kinds
    "洪泽区政协2021年": lambda: absent(r"2021|二〇二一", HONGZE),
    "涟水县政协": lambda: absent("涟水"),
    "社情民意研究院有多少名研究人员": lambda: absent(r"研究院[^。]*\d", TRAD_FILE) and absent(r"\d+[名位人][^。]*研究院", TRAD_FILE),
    "十一届七次常委会议是哪一天开的": lambda: only_in_furniture("十一届七次") and only_in_furniture("9月27日"),
    # --- added later (e384-e387), same kinds
    "濉溪县政协": lambda: absent("濉溪"),
    "一共赠送了多少册": lambda: absent(r"赠送[^。]*\d", JINHU) and absent(r"[\d一二三四五六七八九十]+[册本]", JINHU),
    "是哪位通讯员写的": lambda: only_in_furniture("闵海燕") and only_in_furniture("通讯员"),
    "形成了多少项研究成果": lambda: "形成一批兼具理论深度与实践价值的研究成果" in JY2025 and absent(r"[\d一二三四五六七八九十两]+[项篇]", JY2025),
    # --- added later (e413-e417), same kinds
    "金湖县政协2021年": lambda: absent(r"2021|二〇二一", JINHU),
    "泰兴市政协": lambda: absent(r"泰兴|泰興"),
    "同心书房一共有多少个": lambda: absent(r"同心書房[^。]*\d", TRAD_FILE) and absent(r"[\d一二三四五六七八九十]+個[^。,，]{0,8}同心書房", TRAD_FILE),
    "署名的通讯员叫什么": lambda: only_in_furniture("晁如波") and only_in_furniture("通讯员"),
    "2025年新建了几个主题委员工作室": lambda: "建强用好主题委员工作室" in JY2025 and absent(r"[\d一二三四五六七八九十两]+个[^。]{0,10}工作室", JY2025),
}

errors = []
counts = {}
ids = []
used_checks = set()
rows = [json.loads(l) for l in QFILE.read_text(encoding="utf-8").splitlines() if l.strip()]
for i, q in enumerate(rows, 1):
    qid = q.get("id")
    ids.append(qid)
    if list(q.keys()) != KEYS:
        errors.append(f"{qid}: keys {list(q.keys())}")
    if qid != f"e{i:03d}":
        errors.append(f"{qid}: expected id e{i:03d}")
    t = q["type"]
    counts[t] = counts.get(t, 0) + 1
    if t not in MIN:
        errors.append(f"{qid}: unknown type {t}")
    if t == "unanswerable":
        if q["docs"] or q["gold"]:
            errors.append(f"{qid}: unanswerable must have empty docs and gold")
        keys = [k for k in UNANSWERABLE_CHECKS if k in q["question"]]
        if len(keys) != 1:
            errors.append(f"{qid}: {len(keys)} absence checks match (need exactly 1): {keys}")
        else:
            used_checks.add(keys[0])
            if not UNANSWERABLE_CHECKS[keys[0]]():
                errors.append(f"{qid}: absence check FAILED (answer may be in corpus)")
        continue
    if t == "typo":
        # note starts "错名→正名；": wrong name in the question, absent from the corpus,
        # one character off from a real committee name, and no real name in the question
        m = re.match(r"(\S+?)→(\S+?)；", q["note"])
        if not m:
            errors.append(f"{qid}: typo note must start with 错名→正名；")
        else:
            wrong, right = m.groups()
            if wrong not in q["question"] or wrong in ALL or wrong in REPORTS_TOML or right not in ALL + REPORTS_TOML:
                errors.append(f"{qid}: typo {wrong}→{right} not in question / present in corpus")
            if len(wrong) != len(right) or sum(a != b for a, b in zip(wrong, right)) != 1:
                errors.append(f"{qid}: typo {wrong}→{right} is not one character off")
        if any(name in q["question"] for name in COMMITTEE_NAMES):
            errors.append(f"{qid}: typo question also names a committee correctly")
    if not q["docs"] or not q["gold"]:
        errors.append(f"{qid}: empty docs/gold")
    reports = set()
    for d in q["docs"]:
        if d not in texts:
            errors.append(f"{qid}: doc {d} not in corpus")
    for g in q["gold"]:
        if not (10 <= len(g) <= 40):
            errors.append(f"{qid}: gold length {len(g)}: {g}")
        hits = [(d, n) for d in q["docs"] if d in texts
                for n, line in enumerate(texts[d].split("\n")) if g in line]
        if not hits:
            errors.append(f"{qid}: gold not found verbatim in docs: {g}")
        for d, n in hits:
            reports.add(report_of(d, n))
        if t == "trad-doc" and not all(d == TRAD_FILE for d, _ in hits):
            errors.append(f"{qid}: trad-doc gold must come from {TRAD_FILE}")
        # 姜堰 (000) holds a 2024 review and a 2025 plan: a question naming one year
        # (or of type plan-2025) takes its gold from that year's part
        if J_FILE in [d for d, _ in hits]:
            year = "2025" if (t == "plan-2025" or "2025" in q["question"]) else ("2024" if "2024" in q["question"] else None)
            if year and g not in (JY2025 if year == "2025" else JY2024):
                errors.append(f"{qid}: gold not in the {year} part of {J_FILE}: {g}")
    if t == "cross-doc" and len(reports) < 2:
        errors.append(f"{qid}: cross-doc gold covers only {reports}")
    # every listed doc should actually hold some gold
    for d in q["docs"]:
        if d in texts and not any(g in texts[d] for g in q["gold"]):
            errors.append(f"{qid}: doc {d} holds no gold string")

if len(set(ids)) != len(ids):
    errors.append("duplicate ids")
if len({q['question'] for q in rows}) != len(rows):
    errors.append("duplicate questions")
for t, m in MIN.items():
    if counts.get(t, 0) < m:
        errors.append(f"type {t}: {counts.get(t, 0)} < {m}")
for k in UNANSWERABLE_CHECKS:
    if k not in used_checks:
        errors.append(f"absence check {k!r} is used by no unanswerable question")
if len(rows) < MIN_TOTAL:
    errors.append(f"only {len(rows)} questions (min {MIN_TOTAL})")

print(f"{len(rows)} questions")
for t in MIN:
    print(f"  {t:13s} {counts.get(t, 0):3d} (min {MIN[t]})")
if errors:
    print("FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("OK: all gold strings verified verbatim; unanswerable absence checks passed")

#!/usr/bin/env python3
"""Verify eval/questions.jsonl against corpus/.

Checks: keys and ids; per-type minimum counts; every gold string is 10-40
characters and an exact substring of a single line of one of the question's
docs files; cross-doc golds cover >= 2 reports; unanswerable questions have
empty docs/gold and their key facts are absent from the corpus (grep checks).
Run from the repository root:  python3 eval/verify_gold.py
"""
import json, re, sys, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
QFILE = ROOT / "eval" / "questions.jsonl"
KEYS = ["id", "question", "type", "docs", "gold", "answer", "note"]
MIN = {"fact-number": 8, "fact-entity": 6, "paraphrase": 6, "trad-doc": 4,
       "trad-query": 4, "english": 5, "cross-doc": 3, "colloquial": 4,
       "speech-prep": 3, "plan-2025": 3, "unanswerable": 8}
TRAD_FILE = "004_96ed0689c85e4c9d.txt"

texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
ALL = "\n".join(texts.values())

def report_of(fname, line_no):
    """Report label for a line (001 holds 金湖 then 洪泽 from the line '洪泽区政协')."""
    if fname.startswith("001_"):
        split = texts[fname].split("\n").index("洪泽区政协")
        return fname + ("#洪泽" if line_no >= split else "#金湖")
    return fname

# grep checks that the answer to each unanswerable question is really absent
def absent(pattern, where=None):
    src = texts[where] if where else ALL
    return re.search(pattern, src) is None
JINHU = texts["001_7afb2be384d67ebd.txt"].split("洪泽区政协\n")[0]
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
}

errors = []
counts = {}
ids = []
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
        checks = [f for k, f in UNANSWERABLE_CHECKS.items() if k in q["question"]]
        if len(checks) != 1:
            errors.append(f"{qid}: no absence check registered")
        elif not checks[0]():
            errors.append(f"{qid}: absence check FAILED (answer may be in corpus)")
        continue
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
if len(rows) < 48:
    errors.append(f"only {len(rows)} questions")

print(f"{len(rows)} questions")
for t in MIN:
    print(f"  {t:13s} {counts.get(t, 0):3d} (min {MIN[t]})")
if errors:
    print("FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("OK: all gold strings verified verbatim; unanswerable absence checks passed")

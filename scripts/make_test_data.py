"""Cut the test corpus in tests/data/ out of the shipped reports in corpus/.

Unit tests read these few paragraphs instead of corpus/, so that editing a shipped report
breaks only the end-to-end tests. Every paragraph is copied byte for byte from its report
(a line of the report file, found by how it begins); only the separators between them and
the wrapping of the HTML file are written here. The files cover what ingest must handle:
plain text, Markdown and HTML (the .docx is built from the HTML's paragraphs by a test
fixture), two reports in one file, a report in Traditional script, and page furniture
(breadcrumb, 编辑:, byline, photo captions).

    .venv/bin/python scripts/make_test_data.py           # rewrite tests/data/
    .venv/bin/python scripts/make_test_data.py --check   # exit 1 if tests/data/ differs
"""

from __future__ import annotations

import argparse
import html
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = REPO / "tests" / "data"

# test file -> (shipped file, line separator, beginnings of the lines to copy, in order)
CUTS = {
    "jiangyan.txt": ("000_2433891f3505c585.txt", "\n\n", [
        "政协泰州市姜堰区委员会常务委员会工作报告",
        "2024年工作回顾",
        "一、把牢履职方向",
        "理论武装强信念。",
        "党建赋能增动力。",
        "二、突出履职主线",
        "解忧纾困暖民心。",
        "三、增强履职合力",
        "优化宣传引导。",
        "2025年工作安排",
        "四、苦练内功",
        "锤炼品格,砥砺前行。",
    ]),
    "jinhu_hongze.txt": ("001_7afb2be384d67ebd.txt", "\n\n", [
        "金湖县政协",
        "踔厉奋发担使命",
        "勇毅前行谱新篇",
        "2023年8月18日,金湖县政协主席会议视察",
        "■通讯员 闵海燕",
        "服务中心大局 在助力高质量发展上勇担当、建真言",
        "围绕重点工作建言献策。",
        "秉持为民情怀",
        "倾听民意畅民情。",
        "洪泽区政协",
        "勇担新使命",
        "攀登新高峰",
        "■通讯员 晁如波",
        "聚焦主责主业",
        "建言资政助推决策部署。",
        "注重增进共识",
        "广泛联谊交往。",
        "坚持为民宗旨",
        "一线助治理。",
        "■本版策划",
        "2023年9月27日,洪泽区政协召开",
    ]),
    "zhenjiang.txt": ("004_96ed0689c85e4c9d.txt", "\n", [
        "首頁>專題>",
        "奮力實干擔當 書寫精彩答卷 鎮江",
        "——鎮江市政協2024年履職工作綜述",
        "同心奮進 堅持圍繞中心大局履職盡責",
        "為做好協商“后半篇文章”",
        "凝聚共識 堅持大團結大聯合",
        "一年來,鎮江市政協不斷加強界別工作",
        "提質增效 堅持加強自身建設",
        "這一年,鎮江市政協堅持守正創新",
        "編輯:",
    ]),
    "haian.md": ("002_c520e02cae42d976.txt", "\n\n", [
        "三、加强委员管理,激发履职活力",
        "一是加强考核管理。",
    ]),
    "duji.html": ("003_7e3b9d5873070fdf.txt", "\n", [
        "为深入学习贯彻习近平总书记",
        "围绕坚持党的领导,持续在把牢方向",
        "突出党的全面领导。",
        "围绕积极参政议政,持续在服务大局",
        "聚焦产业发展凝聚共识。",
        "聚焦营商环境献计出力。",
    ]),
}

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
{body}
</body></html>
"""


def cut(shipped: str, beginnings: list[str]) -> list[str]:
    """The lines of `shipped` that start with each of `beginnings`, stripped, in that order."""
    lines = [line.strip() for line in (CORPUS / shipped).read_text(encoding="utf-8").splitlines()]
    picked = []
    for beginning in beginnings:
        found = [line for line in lines if line.startswith(beginning)]
        if len(found) != 1:
            sys.exit(f"{shipped}: {len(found)} lines begin with {beginning!r}; expected exactly one")
        picked.append(found[0])
    return picked


def as_html(lines: list[str], title: str) -> str:
    """Headings (short lines without a full stop) as <h2>, the rest as <p>."""
    body = "\n".join(
        f"<h2>{html.escape(line)}</h2>" if len(line) <= 40 and not line.endswith("。") else f"<p>{html.escape(line)}</p>"
        for line in lines
    )
    return HTML_PAGE.format(title=html.escape(title), body=body)


def reports_toml(renamed: dict[str, str]) -> str:
    """The shipped reports.toml entries of the cut files, under the test files' names."""
    entries = tomllib.loads((CORPUS / "reports.toml").read_text(encoding="utf-8"))["report"]
    out = ["# Made by scripts/make_test_data.py from corpus/reports.toml; do not edit by hand.\n"]
    for entry in entries:
        if entry["file"] not in renamed:
            continue
        out.append("\n[[report]]\n")
        for key, value in {**entry, "file": renamed[entry["file"]]}.items():
            if isinstance(value, list):
                out.append(f"{key} = [{', '.join(_quoted(v) for v in value)}]\n")
            elif isinstance(value, int):
                out.append(f"{key} = {value}\n")
            else:
                out.append(f"{key} = {_quoted(value)}\n")
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expected_files() -> dict[str, str]:
    files = {}
    titles = {e["file"]: e["title"] for e in tomllib.loads((CORPUS / "reports.toml").read_text(encoding="utf-8"))["report"]}
    for name, (shipped, separator, beginnings) in CUTS.items():
        lines = cut(shipped, beginnings)
        files[name] = as_html(lines, titles[shipped]) if name.endswith(".html") else separator.join(lines) + "\n"
    files["reports.toml"] = reports_toml({shipped: name for name, (shipped, _, _) in CUTS.items()})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with tests/data/ instead of writing")
    args = parser.parse_args(argv)
    files = expected_files()
    if args.check:
        stale = [name for name, text in files.items() if not (DATA / name).exists() or (DATA / name).read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"tests/data/{name} differs from what corpus/ gives", file=sys.stderr)
        return 1 if stale else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (DATA / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {DATA.relative_to(REPO)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

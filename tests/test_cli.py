import io
import json
import shutil
from pathlib import Path

import pytest

from rag.cli import main
from rag.index import resolve_build_dir

REPO = Path(__file__).resolve().parent.parent


def run(capsys, *args, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_has_citations_and_exact_offsets(capsys, built_index):
    code, out, _ = run(capsys, "search", "金湖县政协提案立案多少件？", "--index", str(built_index), "--json")
    assert code == 0
    result = json.loads(out)
    hit = result["hits"][0]
    assert {"doc", "committee", "title", "year", "heading", "text", "start", "end", "score"} <= set(hit)
    source = (REPO / "corpus" / hit["doc"]).read_text(encoding="utf-8")
    assert source[hit["start"] : hit["end"]] == hit["text"] and "159" in hit["text"]
    assert hit["committee"] == "政协淮安市金湖县委员会" and result["abstain"] is False


def test_search_prints_committee_title_section_and_score(capsys, built_index):
    code, out, _ = run(capsys, "search", "镇江市政协新增设了哪个界别？", "--index", str(built_index), "--top-k", "2")
    assert code == 0
    assert out.startswith("[1] 镇江市政协《") and "凝聚共識" in out and "score=" in out and "[3]" not in out


def test_jsonl_answers_every_line_in_order(capsys, monkeypatch, built_index):
    questions = ["金湖县政协提案立案多少件？", "", "盱眙县政协2023年提案立案多少件？", '{"id": "q9", "question": "镇江市政协新增设了哪个界别？"}']
    code, out, _ = run(capsys, "search", "--jsonl", "--top-k", "10", "--index", str(built_index),
                       stdin="\n".join(questions) + "\n", monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 4
    assert rows[0]["question"] == questions[0] and len(rows[0]["hits"]) == 10 and not rows[0]["abstain"]
    assert rows[1]["hits"] == [] and "empty" in rows[1]["error"]
    assert rows[2]["abstain"] is True
    assert rows[3]["id"] == "q9" and "環境資源界別" in rows[3]["hits"][0]["text"]


def test_first_search_builds_the_default_index(capsys, tmp_path, monkeypatch):
    (tmp_path / "corpus").mkdir()
    for name in ("zhenjiang.txt", "reports.toml"):
        shutil.copy(REPO / "tests" / "data" / name, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_INDEX", raising=False)
    code, out, err = run(capsys, "search", "镇江市政协推进了多少个创新项目？", "--json")
    assert code == 0 and "19個創新項目" in json.loads(out)["hits"][0]["text"]
    assert "added: zhenjiang.txt" in err
    assert resolve_build_dir(tmp_path / "index").exists()


def test_index_command_reports_what_it_did(capsys, workspace):
    corpus, index = workspace
    (corpus / "003_7e3b9d5873070fdf.txt").unlink()
    code, out, _ = run(capsys, "index", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "removed: 003_7e3b9d5873070fdf.txt" in out and "chunks" in out and " s" in out


def test_eval_prints_the_table(capsys, built_index, tmp_path):
    # One question of each type: the table, not the scores, is under test (tests/test_answer.py scores the set).
    rows = {}
    for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        rows.setdefault(json.loads(line)["type"], line)
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(rows.values()) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(questions), "--index", str(built_index))
    assert code == 0 and "| all |" in out and "R@5" in out and "fact-number" in out and "answer_ok" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", ""], "empty"),
        (["search", "   "], "empty"),
        (["search", "问" * 100_000], "characters long"),
        (["search", "问题", "--index", "/nonexistent/index"], "no index at"),
        (["eval", "/nonexistent/q.jsonl"], "not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("damaged", ["manifest.json", "vectors.faiss", "chunks.jsonl", "bm25/vocab.index.json"])
def test_corrupt_index_is_one_line_naming_the_file(capsys, workspace, damaged):
    _, index = workspace
    (resolve_build_dir(index) / damaged).write_bytes(b"\x00garbage")
    code, _, err = run(capsys, "search", "提案", "--index", str(index))
    assert code == 1 and err.count("\n") == 1 and damaged.split("/")[0] in err and "rag index --rebuild" in err


def test_ask_writes_with_rag_generator_and_llm_overrides_it(capsys, monkeypatch, chat_server, data_index):
    configured, flagged = chat_server("金湖县政协提案立案159件[1]。"), chat_server("金湖县政协提案立案159件[1]。")
    monkeypatch.setenv("RAG_GENERATOR", f"openai:{configured.url}|configured")
    code, out, _ = run(capsys, "ask", "金湖县政协提案立案多少件？", "--index", str(data_index))
    assert code == 0 and "configured@" in out and "全部句子已核对来源" in out and len(configured.requests) == 1
    code, out, _ = run(capsys, "ask", "金湖县政协提案立案多少件？", "--index", str(data_index),
                       "--llm", f"openai:{flagged.url}|flagged")
    assert code == 0 and "flagged@" in out and len(flagged.requests) == 1 and len(configured.requests) == 1


def test_bad_variable_is_one_line_naming_it(capsys, monkeypatch, built_index):
    monkeypatch.setenv("RAG_VECTOR_STORE", "chroma")
    code, out, err = run(capsys, "search", "提案", "--index", str(built_index))
    assert code == 1 and out == "" and err.count("\n") == 1 and "RAG_VECTOR_STORE='chroma'" in err


def test_ask_jsonl_writes_one_answer_a_line_in_order(capsys, monkeypatch, data_index):
    questions = [
        '{"id": "a1", "question": "金胡县政协提案立案多少件？"}',  # misspelt: read as 金湖县
        "",
        '{"id": "a3", "question": "金湖县政协2021年提案立案多少件？"}',  # a year the report does not cover
        "盱眙县政协提案立案多少件？",
    ]
    code, out, _ = run(capsys, "ask", "--jsonl", "--corpus", str(REPO / "tests" / "data"), "--index", str(data_index),
                       stdin="\n".join(questions) + "\n", monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 4
    first = rows[0]
    assert first["id"] == "a1" and not first["abstained"] and first["verdict"] == "直接回答"
    assert "按“金湖县”理解" in first["reading"] and 0.5 < first["confidence"] <= 1
    quote = first["quotes"][0]
    assert "159件" in quote["text"] and quote["doc"] == "jinhu_hongze.txt"
    source = (REPO / "tests" / "data" / quote["doc"]).read_text(encoding="utf-8")
    assert source[quote["start"]:quote["end"]] == quote["text"] and "金湖县委员会" in quote["citation"]
    assert rows[1]["abstained"] and "empty" in rows[1]["error"]
    assert rows[2]["id"] == "a3" and rows[2]["abstained"] and rows[2]["verdict"] != "直接回答"
    assert "2021" in rows[2]["reason"] and rows[2]["quotes"] == [] and rows[2]["related"]
    assert rows[3]["abstained"] and rows[3]["verdict"] == "报告未提及" and "盱眙县" in rows[3]["reason"]


def test_ask_json_prints_the_answer_record(capsys, monkeypatch, data_index):
    code, out, _ = run(capsys, "ask", "洪泽区政协通过智慧平台提交提案多少件？", "--json", "--corpus", str(REPO / "tests" / "data"),
                       "--index", str(data_index), monkeypatch=monkeypatch)
    answer = json.loads(out)
    assert code == 0 and "91件" in answer["text"] and answer["citations"][0]["short_name"] == "洪泽区政协"


# --- rag add: a report's identity guessed, registered, indexed --------------------------------

XUYI = (
    "政协盱眙县委员会2023年工作报告\n\n"
    "一、聚焦中心大局,建言资政取得新成效\n\n"
    "提案工作提质增效。全年共收到提案152件,经审查立案136件,办复率100%,其中12件被列为重点提案由县领导领衔督办。\n\n"
    "民主监督持续深化。围绕优化营商环境开展专项监督,组织委员视察18次,形成监督报告6篇。\n"
)


def snapshot(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(corpus.iterdir()) if p.is_file()}


@pytest.mark.slow  # indexes the new files
def test_add_guesses_registers_and_indexes_a_report(capsys, data_workspace, tmp_path):
    from rag.ingest import read_metadata
    from tests.test_doc import report_docx

    corpus, index = data_workspace
    where = ["--corpus", str(corpus), "--index", str(index)]
    word = report_docx((REPO / "tests" / "data" / "jiangyan.txt").read_text(encoding="utf-8"), tmp_path / "姜堰报告.docx")
    code, out, _ = run(capsys, "add", str(word), *where)
    assert code == 0 and "姜堰区政协" in out and "2024" in out and "added: 姜堰报告.docx" in out
    jiangyan = read_metadata(corpus)["姜堰报告.docx"][0]
    assert (jiangyan.committee, jiangyan.short_name, jiangyan.year, jiangyan.aliases) == (
        "政协泰州市姜堰区委员会", "姜堰区政协", 2024, ("姜堰", "Jiangyan"))

    (tmp_path / "xuyi.txt").write_text(XUYI, encoding="utf-8")
    code, out, _ = run(capsys, "add", str(tmp_path / "xuyi.txt"), *where)
    assert code == 0 and "盱眙县政协" in out and (corpus / "xuyi.txt").read_text(encoding="utf-8") == XUYI
    code, out, _ = run(capsys, "ask", "盱眙县政协2023年提案立案多少件？", "--json", *where)
    answer = json.loads(out)
    assert code == 0 and not answer["abstained"] and "136件" in answer["text"]
    assert {quote["doc"] for quote in answer["quotes"]} == {"xuyi.txt"}


@pytest.mark.slow  # re-indexes the corrected report
def test_add_again_with_fields_corrects_the_guess(capsys, data_workspace, tmp_path):
    from rag.ingest import read_metadata

    corpus, index = data_workspace
    (tmp_path / "xuyi.txt").write_text(XUYI.replace("2023年", ""), encoding="utf-8")
    where = ["--corpus", str(corpus), "--index", str(index)]
    assert run(capsys, "add", str(tmp_path / "xuyi.txt"), *where)[0] == 0
    assert read_metadata(corpus)["xuyi.txt"][0].year is None
    code, out, _ = run(capsys, "add", str(tmp_path / "xuyi.txt"), "--year", "2023", "--committee", "淮安市盱眙县政协", *where)
    meta = read_metadata(corpus)["xuyi.txt"]
    assert code == 0 and len(meta) == 1 and "changed: xuyi.txt" in out  # its chunks carry the year
    assert (meta[0].committee, meta[0].short_name, meta[0].year) == ("政协淮安市盱眙县委员会", "盱眙县政协", 2023)
    assert "由人工指定：committee、year" in meta[0].source


def test_add_of_an_unreadable_file_changes_nothing(capsys, data_workspace, tmp_path):
    corpus, index = data_workspace
    before = snapshot(corpus)
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a Word file")
    code, out, err = run(capsys, "add", str(tmp_path / "broken.docx"), "--corpus", str(corpus), "--index", str(index))
    assert code == 1 and out == "" and err.count("\n") == 1 and "broken.docx" in err and "not a valid .docx" in err
    assert snapshot(corpus) == before


def test_add_refuses_a_different_file_of_the_same_name(capsys, data_workspace, tmp_path):
    corpus, index = data_workspace
    before = snapshot(corpus)
    (tmp_path / "jiangyan.txt").write_text(XUYI, encoding="utf-8")
    code, _, err = run(capsys, "add", str(tmp_path / "jiangyan.txt"), "--corpus", str(corpus), "--index", str(index))
    assert code == 1 and "different file of that name" in err and err.count("\n") == 1
    assert snapshot(corpus) == before


def test_overview_prints_the_table_the_figures_and_json(capsys, data_index):
    where = ("--index", str(data_index), "--corpus", str(REPO / "tests" / "data"))
    code, out, _ = run(capsys, "overview", "提案", "--committee", "金湖县政协", *where)
    assert code == 0 and out.startswith("专题概览 · 提案") and "金湖县政协《" in out
    assert "提案立案159件" in out and "\n来源：\n[1] 政协淮安市金湖县委员会《" in out and "洪泽区政协" not in out
    code, out, _ = run(capsys, "overview", "列出所有报告中关于提案的数字", "--json", *where)
    table = json.loads(out)
    assert code == 0 and table["kind"] == "figures" and len(table["rows"]) >= 5
    jinhu = next(row for row in table["rows"] if row["short_name"] == "金湖县政协")
    figure = jinhu["figures"][0]
    source = (REPO / "tests" / "data" / figure["doc"]).read_text(encoding="utf-8")
    assert source[figure["start"] : figure["end"]] == figure["text"] and figure["plan"] == ""
    code, _, err = run(capsys, "overview", "提案", "--compare", "--committee", "金湖县政协", *where)
    assert code == 1 and "两个政协" in err

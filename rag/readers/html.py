""".html, .htm -> the visible text of the page, one paragraph per block element (BeautifulSoup)."""

from __future__ import annotations

import re
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.plain import decode, one_line, read_bytes

# Not shown on the page, or page furniture repeated on every page of a site.
_HIDDEN_TAGS = frozenset(
    "head script style noscript template iframe object svg nav header footer aside".split()
)
_BLOCK_TAGS = frozenset(
    """address article blockquote body caption center dd details dialog div dl dt fieldset
    figcaption figure form h1 h2 h3 h4 h5 h6 hr html li main ol p pre section summary table
    tbody thead tfoot tr ul""".split()
)
_CELL_TAGS = frozenset(("td", "th"))
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _Marker:
    """Where an element ends in the iterative walk of _visible_blocks."""


_BLOCK_END = _Marker()
_PRE_END = _Marker()


def read_html(path: Path) -> str:
    """The visible text: one paragraph per block element, joined with "\\n\\n".

    Runs of whitespace collapse to one space as a browser shows them, except inside <pre>;
    <br> is a line break; table cells are joined with tabs. Scripts, styles, <head> and
    page furniture (nav, header, footer, aside) are dropped.
    """
    data = read_bytes(path)
    declared = _CHARSET.search(data[:4096])
    text = decode(data, path, declared=declared.group(1).decode("ascii") if declared else None)
    try:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(text, "html.parser")
    except Exception as exc:  # html.parser is lenient; this is for the unforeseen
        raise BadDocument(f"{path}: not parseable as HTML ({one_line(exc)})") from exc
    return "\n\n".join(_visible_blocks(soup))


def _visible_blocks(soup) -> list[str]:
    from bs4 import NavigableString
    from bs4.element import PreformattedString

    blocks: list[str] = []
    line: list[str] = []

    def flush() -> None:
        block = re.sub(r" *\n *", "\n", "".join(line)).strip()
        if block:
            blocks.append(block)
        line.clear()

    pre_depth = 0
    # Iterative, not recursive: generated pages nest deeper than Python's recursion limit.
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            flush()
            continue
        if node is _PRE_END:
            pre_depth -= 1
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                line.append(str(node) if pre_depth else _HTML_SPACE.sub(" ", node))
            continue
        name = node.name
        if name in _HIDDEN_TAGS:
            continue
        if name == "br":
            line.append("\n")
            continue
        if name in _CELL_TAGS and "".join(line).strip():
            line.append("\t")
        if name in _BLOCK_TAGS:
            flush()
            stack.append(_BLOCK_END)
        if name == "pre":
            pre_depth += 1
            stack.append(_PRE_END)
        stack.extend(reversed(node.contents))
    flush()
    return blocks

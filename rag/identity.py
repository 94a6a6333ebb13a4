"""A report's first lines -> who wrote it, the year it covers, its title and kind (ReportMeta);
and the report's [[report]] entry written into corpus/reports.toml.

Evidence, strongest first. The committee: named in the title lines (above the first sentence),
then in the lead (the first paragraph that is no dated photo caption), then the committee the
rest of the text names most often (twice at least); what counts as naming one is rag.names.
The year covered: a year in the title lines, then in the lead, then the body's years, a dated
caption counting least. A year that is planned ("2025年工作安排", "谋划2025年工作") is the year
covered only in a plan (kind 工作谋划).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import RagError
from rag.names import CJK, Committee, committee_named, committees_named, place_stem
from rag.records import ReportMeta
from rag.text import normalize

METADATA_FILE = "reports.toml"

_PROSE = re.compile(r"[。！？；;!?]")
_BYLINE = re.compile(r"^(■|◆|●|编辑|編輯|责任编辑|責任編輯|责编|来源|來源|通讯员|通訊員|记者|記者|作者|摄影|攝影|图片|圖片)")
_BREADCRUMB_START = re.compile(r"^(首页|首頁|当前位置|當前位置|您的位置)")
_BREADCRUMB_SEPARATOR = re.compile(r"\s*[>＞»›]\s*")
_DATED = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十]+[)）]|\d+[.、])")
_CHINESE_YEAR = re.compile(r"[〇○零一二三四五六七八九]{4}(?=年)")
_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)年")
_PLANNED = re.compile(r"(?:谋划|部署|展望|做好|安排)$|^年度?的?(?:工作)?(?:安排|计划|要点|打算|谋划|展望|思路|目标任务)")
_KINDS = (("工作谋划", ("谋划", "工作要点", "工作计划", "工作安排", "工作思路")), ("工作总结", ("总结",)),
          ("履职综述", ("综述", "巡礼")), ("工作报告", ("报告",)))
_HEAD_LINES = 12
_TITLE_MAX_CHARS = 60


# --- the report's head -------------------------------------------------------------------------


def is_byline(line: str) -> bool:
    """"■通讯员 闵海燕", "编辑:…", "图片…": who wrote or took what, never report text (rag.ingest drops it too)."""
    return _BYLINE.match(line) is not None


def is_breadcrumb(line: str) -> bool:
    """"首頁>專題>…>實時新聞": short segments joined by ">", no sentence in it."""
    if _BREADCRUMB_START.match(line):
        return True
    segments = [part for part in _BREADCRUMB_SEPARATOR.split(line) if part]
    return len(segments) >= 3 and all(len(part) <= 20 for part in segments) and "。" not in line


@dataclass(frozen=True, slots=True)
class _Head:
    title_lines: tuple[str, ...]  # the lines above the first sentence, furniture left out
    lead: str  # the first paragraph that is no dated caption
    byline: bool  # "■通讯员 …", "记者 …": a news article


def _head(source: str) -> _Head:
    title, lead, byline, title_done = [], "", False, False
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    for line in lines[:_HEAD_LINES]:
        if is_byline(line):
            byline = title_done = True
        elif is_breadcrumb(line) or not CJK.search(line):
            continue
        elif _DATED.match(line):
            title_done = True  # a photo caption: the title is above it
        elif _PROSE.search(line) or len(line) > _TITLE_MAX_CHARS:
            lead = line
            break
        elif not title_done:
            title.append(line)
    return _Head(tuple(title), lead, byline)


def _title(head: _Head, committee: Committee | None) -> str:
    """The title line, or two when the first is half a couplet or the second a "——" subtitle."""
    lines = [line for line in head.title_lines if not _is_committee_line(line)]
    if not lines:
        return ""
    title = _drop_place_tag(lines[0], committee)
    if len(lines) > 1:
        second = lines[1]
        if second.startswith(("—", "-")):
            title += second if title.endswith("—") else "——" + second.lstrip("—-")
        elif not _kind(title) and not re.search(r"\d", second) and not _NUMBERED.match(second):
            title += " " + second
    return title


def _is_committee_line(line: str) -> bool:
    committee = committee_named(line)
    return committee is not None and normalize(line) in (committee.short_name, committee.full_name)


def _drop_place_tag(line: str, committee: Committee | None) -> str:
    """A newspaper puts the place after a title ("奮力實干擔當 書寫精彩答卷 鎮江"); it is no part of it."""
    words = line.split()
    if committee and len(words) > 1 and normalize(words[-1]) == place_stem(committee.places[-1]):
        return line[: line.rstrip().rfind(words[-1])].rstrip()
    return line


def _kind(text: str) -> str:
    words = normalize(text)
    return next((kind for kind, cues in _KINDS if any(cue in words for cue in cues)), "")


def _planned(lead: str) -> str:
    """工作谋划 for a lead whose first sentence plans a named year ("…扎实谋划2025年工作"); a lead's
    other kind words ("听取…工作报告", "围绕年度工作要点") are about other documents."""
    first = normalize(re.split(r"[。！？]", lead)[0])
    return "工作谋划" if re.search(r"谋划\d{4}年|\d{4}年(?:度)?工作(?:谋划|要点|计划|安排)", first) else ""


def _year(head: _Head, body: str, kind: str) -> int | None:
    """The first year of the title lines, else of the lead, else the body's most frequent one (a
    dated photo caption counting half)."""
    for text in ("\n".join(head.title_lines), head.lead):
        years = _years(text, kind)
        if years:
            return years[0]
    weights: Counter[int] = Counter()
    for line in body.splitlines():
        for year in _years(line, kind):
            weights[year] += 0.5 if _DATED.match(line.strip()) else 1.0
    return weights.most_common(1)[0][0] if weights else None


def _years(text: str, kind: str) -> list[int]:
    """The years `text` names ("2024年", "二〇二三年"), planned ones only in a plan."""
    text = _CHINESE_YEAR.sub(lambda m: m.group().translate(_DIGITS), normalize(text))
    years = []
    for match in _YEAR.finditer(text):
        before, after = text[max(0, match.start() - 2) : match.start()], text[match.end() - 1 : match.end() + 8]
        if kind == "工作谋划" or not (_PLANNED.search(before) or _PLANNED.search(after)):
            years.append(int(match.group(1)))
    return years


def guess_meta(file_name: str, source: str) -> ReportMeta:
    """Metadata for a file that reports.toml does not list, read off its first lines (see the module docstring)."""
    head = _head(source)
    committee = _author(head, source)
    stem = file_name.rsplit(".", 1)[0]
    kind = _kind(" ".join(head.title_lines)) or _planned(head.lead) or ("履职综述" if head.byline else "")
    year = _year(head, source, kind)
    title = _title(head, committee)
    if not title and committee:
        title = f"{committee.short_name}{year or ''}{'年' if year else ''}{kind or '报告'}"
    fields = (("委员会", committee), ("年份", year), ("标题", title), ("类别", kind))
    found = "、".join(name for name, value in fields if value)
    missing = "、".join(name for name, value in fields if not value)
    note = "；".join(part for part in (found and f"{found}由正文推断，未经人工核对", missing and f"未能推断{missing}") if part)
    if not committee:
        note += "，以文件名代替委员会"
    return ReportMeta(
        file=file_name,
        committee=committee.full_name if committee else stem,
        short_name=committee.short_name if committee else stem,
        title=title or stem,
        year=year,
        kind=kind,
        source=note,
        aliases=committee.aliases if committee else (),
    )


def with_given(meta: ReportMeta, **given) -> ReportMeta:
    """`meta` with the fields a person gave; a committee given in any form ("盱眙县政协") names the
    full name, short name and aliases too, unless they are given as well. `source` says what was given."""
    if not given:
        return meta
    named = committee_named(given.get("committee") or given.get("short_name") or "")
    implied = {"committee": named.full_name, "short_name": named.short_name, "aliases": named.aliases} if named else {}
    if named and normalize(given.get("committee", "")) == "".join(named.places) + "政协":
        given = {**given, "committee": named.full_name}  # 盱眙县政协 given as the committee: 政协盱眙县委员会 it is
    source, _, earlier = meta.source.partition("；由人工指定：")
    named_fields = dict.fromkeys([*filter(None, earlier.split("、")), *given])
    return replace(meta, **{**implied, **given}, source=f"{source}；由人工指定：{'、'.join(named_fields)}")


def _author(head: _Head, source: str) -> Committee | None:
    for line in head.title_lines:
        if found := committee_named(line):
            return found
    if found := committee_named(head.lead):
        return found
    best = Counter(committees_named(source)).most_common(1)
    return best[0][0] if best and best[0][1] >= 2 else None


# --- corpus/reports.toml ---------------------------------------------------------------------

_FIELDS = ("file", "starts_at", "committee", "short_name", "aliases", "title", "year", "kind", "source")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*report[ \t]*\]\][ \t]*(?:#[^\r\n]*)?\r?$", re.MULTILINE)
_TABLE = re.compile(r"^[ \t]*\[", re.MULTILINE)


def register(corpus_dir: Path, meta: ReportMeta) -> None:
    """Write `meta` as the [[report]] entry of its file (and `starts_at`) in corpus_dir/reports.toml.

    The entry replaces the old one of the same file and `starts_at` where it stands, or is
    appended. The text is edited, not re-serialised (tomllib writes nothing; tomlkit keeps
    comments but is no dependency of ours): every other entry and every comment stays byte for
    byte, the old entry's comments included. The new file is written beside the old one, synced
    and renamed over it, so a crash leaves the old list or the new one, never half of one; two
    writers take turns on a lock of the directory.

    Raises:
        RagError: reports.toml is not valid TOML, or its entries cannot be told apart.
    """
    path = corpus_dir / METADATA_FILE
    with _locked(corpus_dir):
        text = path.read_bytes().decode("utf-8") if path.exists() else ""
        newline = "\r\n" if "\r\n" in text else "\n"
        span = _entry_span(text, path, meta)
        if span:
            updated = text[: span[0]] + _entry_block(text[span[0] : span[1]], meta, newline) + text[span[1] :]
        else:
            updated = text + ("" if not text or text.endswith("\n\n") else newline if text.endswith("\n") else newline * 2)
            updated += _entry_block("", meta, newline) + newline
        _check_written(updated, path, meta)
        _replace_atomically(path, updated.encode("utf-8"))


def _entry_block(old: str, meta: ReportMeta, newline: str) -> str:
    """The entry's lines under the old entry's header line, with the old entry's comments."""
    old_lines = old.splitlines() or ["[[report]]"]
    comments = [line for line in old_lines[1:] if line.strip().startswith("#")]
    trailing = dict(filter(None, map(_trailing_comment, old_lines[1:])))
    lines = [old_lines[0], *comments]
    for name in _FIELDS:
        value = getattr(meta, name)
        if value is None or (name in ("starts_at", "aliases") and not value):
            continue  # TOML has no null: a missing year reads back as None
        if isinstance(value, tuple):
            rendered = "[" + ", ".join(_toml_string(v) for v in value) + "]"
        else:
            rendered = str(value) if isinstance(value, int) else _toml_string(value)
        comment = trailing.pop(name, "")
        lines.append(f"{name} = {rendered}" + (f"  {comment}" if comment else ""))
    return newline.join(lines + list(trailing.values()))


def _trailing_comment(line: str) -> tuple[str, str] | None:
    """(key, "# comment") of a `key = value  # comment` line; a "#" inside a string is no comment."""
    for at in [i for i, ch in enumerate(line) if ch == "#"]:
        try:
            parsed = tomllib.loads(line[:at])
        except tomllib.TOMLDecodeError:
            continue
        return (next(iter(parsed)), line[at:].rstrip()) if len(parsed) == 1 else None
    return None


def _toml_string(value: str) -> str:
    """A TOML basic string: backslash and quote escaped, and every control character TOML forbids raw."""
    escaped = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for ch in value:
        if ch in escaped:
            out.append(escaped[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _entry_span(text: str, path: Path, meta: ReportMeta) -> tuple[int, int] | None:
    """Where the old entry of meta's file and `starts_at` is: its header to its last non-comment line."""
    entries = _parse(text, path).get("report", [])
    headers = list(_HEADER.finditer(text))
    if len(headers) != len(entries):
        raise RagError(f"{path}: {len(headers)} [[report]] lines for {len(entries)} entries; edit it by hand")
    for number, entry in enumerate(entries):
        if entry.get("file") == meta.file and entry.get("starts_at", "") == meta.starts_at:
            start = headers[number].start()
            following = _TABLE.search(text, headers[number].end())
            end = following.start() if following else len(text)
            # Comments and blank lines above the next entry belong to it, not to this one.
            kept = re.search(r"(?:\r?\n[ \t]*(?:#[^\n]*)?)*\r?\n?$", text[start:end])
            return start, start + (kept.start() if kept else end - start)
    return None


def _parse(text: str, path: Path) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RagError(f"{path}: not a valid report list ({exc}); fix it before adding a report") from None


def _check_written(text: str, path: Path, meta: ReportMeta) -> None:
    """The new list must read back with `meta` in it exactly: a bug here must not corrupt the corpus."""
    entries = [e for e in _parse(text, path).get("report", []) if e.get("file") == meta.file and e.get("starts_at", "") == meta.starts_at]
    wanted = {name: getattr(meta, name) for name in _FIELDS}
    wanted["aliases"] = list(meta.aliases)
    got = {**{"starts_at": "", "aliases": [], "year": None}, **(entries[0] if entries else {})}
    if len(entries) != 1 or {name: got.get(name) for name in _FIELDS} != wanted:
        raise RagError(f"{path}: the entry for {meta.file} did not read back as written; reports.toml left as it was")


def _replace_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o644)  # mkstemp makes it 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


@contextlib.contextmanager
def _locked(directory: Path):
    """An exclusive lock on the corpus directory: two registrations read-modify-write one at a time."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)

"""A basket -> the speech draft as a Word document in the official-document layout; and which installed
font previews its fonts on this machine.

Decisions (GB/T 9704 as offices apply it):
- A4 (210×297 mm), margins top 37, bottom 35, left 28, right 26 mm; 22 lines to a page
  (exactly LINE_PITCH apart). Body 仿宋 三号 (16 pt); the writer's headings and 来源 黑体 三号
  as Word headings (they show in the navigation pane); the title 黑体 二号, centred. Page numbers
  "— N —" centred in the footer, 宋体 四号, through a PAGE field, so that Word numbers the pages.
- Fonts are named in the file whether or not this machine has them: the draft is opened in
  Word on the writer's PC, which has them (Windows ships 仿宋, 黑体 and 宋体). `font_notice`
  says which installed font stands in for them here, from `fc-list :lang=zh`.
- Quotes stand apart from the writer's words: a quote is indented two characters on the left
  and followed by its source line (四号) and note; an own paragraph has the usual first-line
  indent of two characters and nothing after it. What each block holds comes from rag.draft.
"""

from __future__ import annotations

import functools
import io
import re
import subprocess

from rag.basket import HEADING, OWN_TEXT, Basket
from rag.draft import CONVERTED_MARK, SOURCES_HEAD, TITLE, draft_blocks, draft_summary, report_sources

BODY_FONT, HEADING_FONT, NUMBER_FONT = "仿宋", "黑体", "宋体"
# Names under which fontconfig may list each font; the file names the first.
FONT_NAMES = {
    BODY_FONT: ("仿宋", "FangSong", "仿宋_GB2312", "FangSong_GB2312", "STFangsong", "华文仿宋"),
    HEADING_FONT: ("黑体", "SimHei"),
    NUMBER_FONT: ("宋体", "SimSun", "新宋体", "NSimSun"),
}
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT, SMALL_PT, TITLE_PT = 16, 14, 22  # 三号, 四号, 二号
LINE_PITCH_PT = 28.95  # 22 lines in the 225 mm text block
STYLE_TITLE, STYLE_OWN, STYLE_QUOTE, STYLE_SOURCE, STYLE_NOTE = "讲稿标题", "自拟正文", "引文", "引文出处", "备注"

_STYLE_IDS = {STYLE_TITLE: "DraftTitle", STYLE_OWN: "DraftOwnText", STYLE_QUOTE: "DraftQuote",
              STYLE_SOURCE: "DraftSource", STYLE_NOTE: "DraftNote"}  # Word itself writes ASCII style ids
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def draft_docx(basket: Basket, simplified: bool = False, title: str = TITLE) -> bytes:
    """The draft as a .docx: title, summary, the writer's sections with own paragraphs and quotes, then 来源."""
    from docx import Document

    document = Document()
    _page_setup(document)
    _styles(document)
    document.add_paragraph(_xml(title), style=STYLE_TITLE)
    document.add_paragraph(_xml(draft_summary(basket, simplified)), style=STYLE_NOTE)
    for block in draft_blocks(basket, simplified):
        if block.kind == HEADING:
            document.add_paragraph(_xml(block.text), style="Heading 1")
        elif block.kind == OWN_TEXT:
            for line in block.lines:
                document.add_paragraph(_xml(line), style=STYLE_OWN)
        else:
            quote = document.add_paragraph(_xml(block.text), style=STYLE_QUOTE)
            if block.converted:
                quote.add_run(CONVERTED_MARK)
            document.add_paragraph(_xml(block.source), style=STYLE_SOURCE)
            if block.note:
                document.add_paragraph(_xml(f"备注：{block.note}"), style=STYLE_NOTE)
    sources = report_sources(basket)
    if sources:
        document.add_paragraph(SOURCES_HEAD, style="Heading 1")
        for number, line in enumerate(sources, 1):
            document.add_paragraph(_xml(f"{number}. {line}"), style=STYLE_SOURCE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document) -> None:
    from docx.shared import Mm

    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side, mm in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 5)  # the number's top 7 mm below the text block
    _page_numbers(section.footer.paragraphs[0])


def _page_numbers(paragraph) -> None:
    """"— N —", N a PAGE field: begin, instruction, separate, the number shown until Word updates it, end."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    parts = ["— ", ("fldChar", "begin"), ("instrText", " PAGE "), ("fldChar", "separate"), "1", ("fldChar", "end"), " —"]
    for part in parts:
        run = paragraph.add_run(part if isinstance(part, str) else None)
        run.font.size = Pt(SMALL_PT)
        _set_font(run._r.get_or_add_rPr(), NUMBER_FONT)
        if isinstance(part, tuple):
            kind, value = part
            element = OxmlElement(f"w:{kind}")
            if kind == "fldChar":
                element.set(qn("w:fldCharType"), value)
            else:
                element.set(qn("xml:space"), "preserve")
                element.text = value
            run._r.append(element)


def _styles(document) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    _chinese_defaults(document)
    styles = document.styles
    normal = styles["Normal"]
    _set_font(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.font.size = Pt(BODY_PT)
    body = normal.paragraph_format
    body.line_spacing_rule, body.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE_PITCH_PT)
    body.space_before = body.space_after = Pt(0)
    heading = styles["Heading 1"]
    _set_font(heading.element.get_or_add_rPr(), HEADING_FONT)
    heading.font.size, heading.font.bold, heading.font.color.rgb = Pt(BODY_PT), False, RGBColor(0, 0, 0)
    heading.paragraph_format.space_before = heading.paragraph_format.space_after = Pt(0)
    title = _add_style(styles, STYLE_TITLE, normal, HEADING_FONT, TITLE_PT)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(LINE_PITCH_PT * 2)  # room for 二号, and a blank line's worth below
    _add_style(styles, STYLE_OWN, normal).paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    quote = _add_style(styles, STYLE_QUOTE, normal)
    quote.paragraph_format.left_indent = Pt(2 * BODY_PT)
    _add_style(styles, STYLE_SOURCE, quote, size=SMALL_PT)
    _add_style(styles, STYLE_NOTE, quote, size=SMALL_PT).font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _add_style(styles, name: str, base, font: str | None = None, size: float | None = None):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = _STYLE_IDS[name]
    style.base_style = base
    if font:
        _set_font(style.element.get_or_add_rPr(), font)
    if size:
        style.font.size = Pt(size)
    return style


def _chinese_defaults(document) -> None:
    """Chinese as the East Asian language, the body font as the default: the template's theme fonts
    and Japanese theme language would otherwise pick the glyphs of Chinese text."""
    from docx.oxml.ns import qn

    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_font(defaults, BODY_FONT)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    document.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), "zh-CN")


def _set_font(rpr, name: str) -> None:
    """`name` for Latin, East Asian and complex script text of the run properties `rpr`, replacing theme
    fonts, which Word prefers to named ones."""
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.get_or_add_rFonts()
    fonts.attrib.clear()
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), name)


def _xml(text: str) -> str:
    """Word cannot hold control characters; they show as U+FFFD instead of failing the export."""
    return _CONTROL.sub("\ufffd", text)


@functools.cache
def _fontconfig(*command: str) -> str | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def installed_chinese_fonts() -> frozenset[str] | None:
    """Every name of every installed font covering Chinese (`fc-list :lang=zh family`); None without fontconfig."""
    listed = _fontconfig("fc-list", ":lang=zh", "family")
    return None if listed is None else frozenset(name.strip() for name in re.split(r"[,\n]", listed) if name.strip())


def preview_font(font: str) -> str | None:
    """The installed font that shows `font` here, as fontconfig substitutes it (what LibreOffice and browsers use)."""
    generic = "sans-serif" if font == HEADING_FONT else "serif"
    matched = (_fontconfig("fc-match", "-f", "%{family[0]}", f"{font},{generic}:lang=zh-cn") or "").strip()
    return matched if matched in (installed_chinese_fonts() or ()) else None


def font_notice() -> str:
    """The export note on fonts: the layout, and for a font this machine lacks, which installed font previews it."""
    notice = "Word 文件为公文版式：A4 纸，正文仿宋三号，标题黑体，页码居中“— N —”。"
    installed = installed_chinese_fonts()
    if installed is None:
        return notice
    missing = [font for font in (BODY_FONT, HEADING_FONT) if not set(FONT_NAMES[font]) & installed]
    if not missing:
        return notice
    previews: dict[str, list[str]] = {}
    for font in missing:
        previews.setdefault(preview_font(font) or "系统默认字体", []).append(font)
    shown = "，".join(f"{'、'.join(fonts)}以 {preview} 显示" for preview, fonts in previews.items())
    fonts = "、".join(missing)
    return notice + (
        f"本机未安装{fonts}，在本机预览时{shown}；文件中仍指定{fonts}，在装有这些字体的电脑上（Windows 自带）按公文字体显示。"
    )

"""rag.ingest on tests/data: reports, paragraphs and heading paths, page furniture left out; the shipped corpus's metadata."""

from dataclasses import replace
from pathlib import Path

import pytest

from rag.errors import BadDocument, RagError
from rag.ingest import ingest_file, read_metadata, split_reports
from rag.readers import read_text
from rag.records import ReportMeta

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DATA = Path(__file__).resolve().parent / "data"
METADATA = read_metadata(DATA)


def reports_of(name):
    return ingest_file(DATA / name, METADATA[name])


def test_every_shipped_file_has_metadata_and_reports():
    shipped = read_metadata(CORPUS)
    files = sorted(p.name for p in CORPUS.glob("*.txt"))
    assert files and all(name in shipped for name in files)
    for name in files:
        for report in ingest_file(CORPUS / name, shipped[name]):
            assert report.paragraphs, report.report_id
            assert report.meta.committee and report.meta.title and report.meta.year


def test_second_half_of_the_page_is_hongze_not_jinhu():
    jinhu, hongze = reports_of("jinhu_hongze.txt")
    assert jinhu.meta.short_name == "金湖县政协" and hongze.meta.short_name == "洪泽区政协"
    hongze_text = "\n".join(p.text for p in hongze.paragraphs)
    jinhu_text = "\n".join(p.text for p in jinhu.paragraphs)
    assert "走访12个住宅小区" in hongze_text and "走访12个住宅小区" not in jinhu_text
    assert "提案立案159件" in jinhu_text and "提案立案159件" not in hongze_text
    assert jinhu.paragraphs[-1].end < hongze.paragraphs[0].start


@pytest.mark.parametrize(
    "furniture", ["■通讯员", "首頁>專題", "編輯:薛海春", "■本版策划", "2023年8月18日,金湖县政协主席会议视察", "2023年9月27日,洪泽区政协"]
)
def test_page_furniture_is_never_a_paragraph(furniture):
    assert any(furniture in (DATA / name).read_text(encoding="utf-8") for name in METADATA)
    for name in METADATA:
        for report in reports_of(name):
            assert not any(p.text.startswith(furniture) for p in report.paragraphs), (furniture, report.report_id)


def test_heading_paths_hold_numbered_and_run_in_headings():
    report = reports_of("jiangyan.txt")[0]
    paragraph = next(p for p in report.paragraphs if p.text.startswith("理论武装强信念。"))
    assert paragraph.headings == ("2024年工作回顾", "一、把牢履职方向,政治引领得到新加强", "理论武装强信念")
    plan = next(p for p in report.paragraphs if p.text.startswith("锤炼品格,砥砺前行。"))
    assert plan.headings[0] == "2025年工作安排"


def test_traditional_report_keeps_its_original_text_and_headings():
    report = reports_of("zhenjiang.txt")[0]
    paragraph = next(p for p in report.paragraphs if "環境資源界別" in p.text)
    assert paragraph.headings == ("凝聚共識 堅持大團結大聯合",)


def test_paragraph_offsets_index_the_decoded_file():
    for name in METADATA:
        source = read_text(DATA / name)
        for report in reports_of(name):
            for p in report.paragraphs:
                assert source[p.start : p.end] == p.text


def test_docx_gives_the_paragraphs_and_headings_of_the_same_html(docx_report):
    (meta,) = METADATA["duji.html"]
    (from_html,) = reports_of("duji.html")
    (from_docx,) = ingest_file(docx_report, [replace(meta, file=docx_report.name)])
    assert len(from_docx.paragraphs) == 4
    assert [(p.text, p.headings) for p in from_docx.paragraphs] == [(p.text, p.headings) for p in from_html.paragraphs]


def test_unlisted_file_gets_committee_title_and_year_from_its_text(tmp_path):
    path = tmp_path / "新报告.txt"
    path.write_text("盱眙县政协2023年工作报告\n\n一、工作回顾\n\n2023年,盱眙县政协共立案提案120件,办结率100%。\n", encoding="utf-8")
    (report,) = ingest_file(path)
    assert report.meta.short_name == "盱眙县政协"
    assert report.meta.year == 2023
    assert report.meta.title == "盱眙县政协2023年工作报告"
    assert report.paragraphs[0].headings == ("一、工作回顾",)


def test_file_with_only_headings_is_refused(tmp_path):
    path = tmp_path / "空壳.txt"
    path.write_text("编辑:某某\n\n首页>专题>新闻\n", encoding="utf-8")
    with pytest.raises(BadDocument, match="空壳.txt"):
        ingest_file(path)


def test_metadata_start_line_that_does_not_exist_is_reported():
    meta = ReportMeta(file="x.txt", committee="甲", short_name="甲", title="甲", year=2024, kind="")
    second = ReportMeta(file="x.txt", committee="乙", short_name="乙", title="乙", year=2024, kind="", starts_at="乙政协")
    with pytest.raises(RagError, match="乙政协"):
        split_reports("x.txt", "甲政协\n正文内容。\n", [meta, second])

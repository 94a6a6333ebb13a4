import pytest

from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import BadDocument
from rag.index import resolve_build_dir
from rag.uploads import safe_file_name

NEW_REPORT = "盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n"


def test_upload_is_answerable_at_once_and_after_a_restart(data_workspace, tmp_path):
    corpus, index = data_workspace
    assistant = Assistant.open(corpus, index, Settings())
    upload = tmp_path / "upload.txt"
    upload.write_text(NEW_REPORT, encoding="utf-8")
    report = assistant.add_report(upload, "../../盱眙 2024.txt")
    assert report.added == ["盱眙_2024.txt"] and (corpus / "盱眙_2024.txt").exists()
    assert "136件" in assistant.ask("盱眙县政协立案提案多少件？").text
    restarted = Assistant.open(corpus, index, Settings())
    assert "136件" in restarted.ask("盱眙县政协立案提案多少件？").text


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"", "empty.txt", "empty"),
        (bytes(range(256)) * 40, "blob.txt", "blob.txt"),
        (NEW_REPORT.encode(), "report.exe", "unsupported"),
        (b"PK\x03\x04 not really a docx", "fake.docx", "fake.docx"),
    ],
)
def test_bad_upload_changes_nothing(data_workspace, tmp_path, content, name, message):
    corpus, index = data_workspace
    assistant = Assistant.open(corpus, index, Settings())
    before_files, before_build = sorted(corpus.iterdir()), resolve_build_dir(index)
    upload = tmp_path / "incoming"
    upload.write_bytes(content)
    with pytest.raises(BadDocument, match=message) as error:
        assistant.add_report(upload, name)
    assert str(tmp_path) not in str(error.value)
    assert sorted(corpus.iterdir()) == before_files and resolve_build_dir(index) == before_build


def test_same_content_uploaded_twice_is_refused(data_workspace):
    corpus, index = data_workspace
    assistant = Assistant.open(corpus, index, Settings())
    with pytest.raises(BadDocument, match="already in the corpus"):
        assistant.add_report(corpus / "jiangyan.txt", "again.txt")


def test_upload_names_cannot_leave_the_corpus():
    assert safe_file_name("../../etc/x.txt") == "x.txt"
    assert safe_file_name("..\\..\\x.md") == "x.md"
    assert safe_file_name("政协 报告 (2024).TXT") == "政协_报告_2024.txt"


def test_status_is_a_record_of_the_index_served(data_assistant):
    status = data_assistant.status()
    index = data_assistant.retriever.index
    assert status.answerer == "extractive" and status.chunks == len(index.chunks) and status.dense == "flat-ip"
    assert status.files == len(index.manifest["corpus"]["files"]) and isinstance(status.failed, tuple)
    with pytest.raises(AttributeError):
        status.chunks = 0

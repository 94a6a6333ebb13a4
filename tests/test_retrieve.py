import pytest

from rag.config import Settings
from rag.errors import BadQuestion
from rag.index import Index
from rag.records import SearchFilter
from rag.retrieve import Retriever


def test_figure_question_finds_its_paragraph_first(retriever):
    top = retriever.search("金湖县政协提案立案多少件？").hits[0].chunk
    assert top.short_name == "金湖县政协" and "提案立案159件" in top.text


def test_second_report_of_a_file_is_cited_as_its_own_committee(retriever):
    top = retriever.search("洪泽区政协委员走访了多少个住宅小区？").hits[0].chunk
    assert top.short_name == "洪泽区政协" and top.report_id.endswith("#2") and "12个住宅小区" in top.text


def test_simplified_question_finds_traditional_report_and_quotes_it_as_written(retriever):
    top = retriever.search("镇江市政协新增设了哪个界别？").hits[0].chunk
    assert top.doc.startswith("004") and "增設環境資源界別" in top.text


def test_traditional_question_finds_simplified_report(retriever):
    top = retriever.search("洪澤區政協接待了多少批次外地政協來考察？").hits[0].chunk
    assert top.short_name == "洪泽区政协" and "30批次" in top.text


def test_english_question(retriever):
    hits = retriever.search("How many consultation activities did Hai'an hold online via cloud consultation?").hits
    assert any("云协商" in h.chunk.text for h in hits[:3])


@pytest.mark.parametrize("verb", ["file", "filed", "files", "filing"])
def test_english_word_forms_all_reach_the_report_vocabulary(verb):
    from rag.lexicon import chinese_terms_for_english

    assert "立案" in chinese_terms_for_english(f"How many proposals did Jinhu CPPCC {verb}?")
    assert "走访" in chinese_terms_for_english(f"Which firms did members {verb.replace('fil', 'visit')}?")


def test_question_about_two_committees_shows_both(retriever):
    hits = retriever.search("姜堰和杜集两地政协分别开展了哪些委员读书活动？").hits[:4]
    assert {h.chunk.short_name for h in hits} == {"姜堰区政协", "杜集区政协"}


@pytest.mark.parametrize("question", ["盱眙县政协2023年提案立案了多少件？", "杜集区政协2024年提案立案了多少件？"])
def test_abstains_when_the_reports_do_not_say(retriever, question):
    result = retriever.search(question)
    assert result.abstain and result.reason
    assert result.hits  # the closest passages are still offered, marked as such by the caller


def test_answerable_question_is_not_abstained(retriever):
    assert not retriever.search("镇江市政协2024年一共推进了多少个创新项目？").abstain


def test_filter_never_returns_other_committees(retriever):
    where = SearchFilter(committees=frozenset({"海安市政协"}))
    hits = retriever.search("金湖县政协提案立案多少件？", top_k=10, where=where).hits
    assert hits and all(h.chunk.short_name == "海安市政协" for h in hits)


def test_year_filter(retriever):
    hits = retriever.search("委员读书活动", top_k=10, where=SearchFilter(years=frozenset({2025}))).hits
    assert hits and all(h.chunk.year == 2025 for h in hits)


@pytest.mark.parametrize("question", ["", "   \n\t", "问" * 100_000])
def test_bad_questions_are_refused(retriever, question):
    with pytest.raises(BadQuestion):
        retriever.search(question)


def test_unscoped_hits_come_in_score_order(retriever):
    scores = [h.score for h in retriever.search("委员读书活动", top_k=10).hits]
    assert len(scores) == 10 and scores == sorted(scores, reverse=True)


def test_year_the_named_report_neither_covers_nor_mentions_is_abstained(retriever):
    assert retriever.search("金湖县政协2022年提案立案多少件？").abstain
    assert not retriever.search("金湖县政协2023年提案立案多少件？").abstain


@pytest.mark.parametrize("question", ["洪泽区政协有没有给委员服务的机构？", "镇江市政协给搞党务的同志办过班没有？"])
def test_an_everyday_word_absent_from_the_named_report_is_no_missing_fact(retriever, question):
    """机构, 同志: other reports happen to use them, the asked one does not; they name no fact."""
    assert not retriever.search(question).abstain


def test_a_question_searched_again_in_each_committee_is_embedded_once(data_index, embedder):
    """A cross-committee question is searched in each committee's reports; embedding is nearly
    all of a search's time, so the same text is embedded once."""
    from rag.answer import committee_hits

    calls = []

    class Counting:
        id = embedder.id

        def embed_query(self, text):
            calls.append(text)
            return embedder.embed_query(text)

    retriever = Retriever(Index.open(data_index, embedder.id, Settings()), Counting(), Settings())
    scope = committee_hits(retriever, "各地政协分别开展了多少场协商活动？")
    assert len(scope) >= 4 and len(calls) == 1
    retriever.search("金湖县政协提案立案多少件？")
    assert len(calls) == 2

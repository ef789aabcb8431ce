"""chiiki.core.search: normalisation, bigram tokens, query parsing and an index on the running engine."""

import pytest
from django.db import connection

from chiiki.core.search import Concept, Corpus, SearchIndex, normalize, parse_query, tokens


@pytest.mark.parametrize("raw, expected", [
    ("ＩｏＴ", "iot"),
    ("IoT", "iot"),
    ("ﾃﾚﾜｰｸ", "テレワーク"),
    ("てれわーく", "テレワーク"),
    ("光ファイバー", "光ファイバ"),  # trailing 長音 of a long katakana word
    ("ツアー", "ツアー"),  # short words keep it
    ("防災・減災（ICT）", "防災 減災 ict"),
    ("１，０００万円", "1 000万円"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_tokens_are_bigrams_per_segment_plus_distinct_unigrams():
    toks = tokens(normalize("防災 教育 防災"))
    assert len([t for t in toks if t.startswith("g")]) == 3  # 防災, 教育, 防災
    assert len([t for t in toks if t.startswith("u")]) == 4  # 防 災 教 育 once each
    assert all(t.isascii() and t.isalnum() for t in toks)
    assert tokens("a") == ["u000061"]


def test_parse_query_splits_japanese_sentences_at_hiragana():
    query = parse_query("イノシシの被害をICTで減らしたい")
    assert [t.text for t in query.terms] == ["イノシシ", "被害", "ict"]  # 減 alone is dropped
    assert [t.text for t in parse_query("税").terms] == ["税"]  # one character when it is all there is
    assert [t.text for t in parse_query("てれわーく").terms] == ["テレワーク"]
    assert not parse_query("　、。")


def test_concepts_expand_with_lower_weight():
    query = parse_query("イノシシ対策", [Concept(("イノシシ",), ("鳥獣",), 0.8)])
    assert [(t.text, t.weight, t.expanded) for t in query.terms] == [
        ("イノシシ対策", 1.0, False), ("鳥獣", 0.8, True)]


DOCS = {
    1: {"name": "防災情報システム", "body": "避難所の情報を配信する。"},
    2: {"name": "学校ICT", "body": "教育の情報化と防災教育を支援する。"},
    3: {"name": "テレワーク拠点", "body": "サテライトオフィスの整備を補助する。"},
    4: {"name": "IoT実装", "body": "ＩｏＴ機器の導入を補助する。島しょ部も対象。"},
    5: {"name": "観光案内", "body": "多言語の観光案内を行う。"},
}


@pytest.fixture
def index(db):
    idx = SearchIndex("test_search_docs", {"name": 3.0, "body": 1.0})
    with connection.cursor() as cursor:  # plain DDL inside the test transaction (rolled back afterwards)
        for sql in idx.create_sql(connection.vendor):
            cursor.execute(sql)
    idx.replace_many(DOCS.items())
    return idx


def found(index, q):
    return [doc_id for doc_id, _ in index.search(parse_query(q))]


def test_two_character_words(index):
    assert found(index, "防災") == [1, 2]  # name match outranks body match
    assert found(index, "教育") == [2]
    assert found(index, "補助") == [3, 4] or found(index, "補助") == [4, 3]
    assert set(found(index, "補助")) == {3, 4}


def test_one_character_words_including_the_last_character(index):
    assert found(index, "島") == [4]
    assert set(found(index, "案")) == {5}
    assert found(index, "象") == [4]  # the last character of a segment (end token)
    assert set(found(index, "る")) == {1, 2, 3, 4}  # 〜する。


def test_width_case_and_kana_variants(index):
    assert found(index, "iot") == found(index, "ＩｏＴ") == found(index, "IOT") == [4]
    assert found(index, "ﾃﾚﾜｰｸ") == found(index, "てれわーく") == [3]


def test_phrase_not_scattered_bigrams(index):
    assert found(index, "情報配信") == []  # 情報 and 配信 both occur in doc 1, but not as 情報配信
    assert found(index, "防災教育") == [2]


def test_replace_and_remove_keep_the_index_in_sync(index):
    index.replace(5, {"name": "観光防災", "body": ""})
    assert set(found(index, "防災")) == {1, 2, 5}
    index.remove([5])
    assert set(found(index, "防災")) == {1, 2}
    assert index.stats().documents == 4


def test_scores_are_bm25f_and_deterministic(index):
    first = index.search(parse_query("防災 補助"))
    assert first == index.search(parse_query("防災 補助"))
    assert all(score > 0 for _, score in first)
    corpus = index.corpus()
    assert index.search(parse_query("防災 補助"), texts=corpus) == first  # in-memory copy scores the same


def test_pinned_terms_survive_cache_clearing_until_the_key_changes(index):
    index.pin(["防災"], stats_key="v1")
    index.clear_cache()
    assert "防災" in index._pinned
    assert [d for d, _ in index.search(parse_query("防災"), stats_key="v1")] == [1, 2]
    index.search(parse_query("防災"), stats_key="v2")
    assert "防災" not in index._pinned


def test_a_compound_nobody_wrote_whole_is_searched_as_its_script_runs(index):
    # テレワーク補助 is in no document: its runs テレワーク and 補助 are searched instead, the doc with both first
    assert found(index, "テレワーク補助")[0] == 3 and set(found(index, "テレワーク補助")) == {3, 4}
    assert found(index, "iot機器") == [4]  # written whole somewhere: no back-off to "iot" alone
    assert found(index, "情報配信") == []  # one script: a phrase, never split


def test_label_fields_are_searched_but_do_not_make_a_word_common(db):
    docs = {
        1: {"name": "見守り支援", "body": "", "tags": "医療 見守り"},
        2: {"name": "補助", "body": "", "tags": "医療 見守り 教育 観光 防災 子育て 農業"},
        3: {"name": "補助", "body": "", "tags": "医療 見守り 教育 観光 防災 子育て 農業"},
        4: {"name": "観光", "body": "", "tags": "観光"},
    }
    labelled = SearchIndex("test_search_labels", {"name": 3.0, "body": 1.0, "tags": 0.5}, labels=("tags",))
    plain = SearchIndex("test_search_plain", {"name": 3.0, "body": 1.0, "tags": 0.5})
    with connection.cursor() as cursor:
        for idx in (labelled, plain):
            for sql in idx.create_sql(connection.vendor):
                cursor.execute(sql)
    for idx in (labelled, plain):
        idx.replace_many(docs.items())
    # A word only in labels is found wherever a label carries it; the shorter label field first
    assert [d for d, _ in labelled.search(parse_query("子育て"))] == [2, 3]
    # A word in one document's own text stays rare although every label carries it: it scores higher than
    # when the labels count towards its document frequency
    with_labels = dict(labelled.search(parse_query("見守り")))
    without = dict(plain.search(parse_query("見守り")))
    assert next(iter(labelled.search(parse_query("見守り"))))[0] == 1
    assert with_labels[1] > without[1]
    with pytest.raises(ValueError):
        SearchIndex("test_search_bad", {"name": 1.0}, labels=("tags",))


def test_a_partial_concept_fires_on_part_of_a_trigger():
    vocabulary = Concept(("子育テ支援プラットフォーム",), ("地域iot実装",), 0.2, partial=True)
    curated = Concept(("子育テ支援プラットフォーム",), ("地域iot実装",), 0.2)
    assert [t.text for t in parse_query("子育て", [vocabulary]).terms] == ["子育", "地域iot実装"]
    assert [t.text for t in parse_query("子育て", [curated]).terms] == ["子育"]


def test_corpus_counts_a_field_of_few_distinct_texts_per_text():
    # 40 documents, the second field a label with 2 distinct texts: counted once per text, same result
    texts = {i: [f"文書{i} 防災", "防災 観光 防災拠点" if i % 3 else "医療"] for i in range(1, 41)}
    corpus = Corpus(texts, 2)
    assert corpus.distinct[0] is None and corpus.distinct[1] is not None
    for needle in ("防災", "医療", "観光", "なし"):
        assert list(corpus.counts(needle, 1)) == [texts[i][1].count(needle) for i in sorted(texts)]
        assert list(corpus.counts(needle, 0)) == [texts[i][0].count(needle) for i in sorted(texts)]

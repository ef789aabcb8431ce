"""A query of hundreds of words (a pasted page) looks up a bounded number of words, in statements the engine
accepts: SQLite refuses a compound SELECT of more than 500 parts, and every word is one more lookup."""

import pytest
from django.db import connection

from chiiki.core.search import MAX_TERMS, Concept, SearchIndex, Term, parse_query

WORDS = [f"x{i}" for i in range(600)]


@pytest.fixture
def index(db):
    """Two documents holding every one of the 600 words, so each looked-up word reads its documents' texts."""
    idx = SearchIndex("test_long_query_docs", {"name": 3.0, "body": 1.0})
    with connection.cursor() as cursor:  # plain DDL inside the test transaction (rolled back afterwards)
        for sql in idx.create_sql(connection.vendor):
            cursor.execute(sql)
    idx.replace_many([(1, {"name": "防災", "body": " ".join(WORDS)}),
                      (2, {"name": "観光", "body": " ".join(reversed(WORDS))})])
    return idx


def test_a_query_keeps_its_first_distinct_words_and_its_concepts():
    query = parse_query(" ".join(["x0", *WORDS, "イノシシ"]), [Concept(("イノシシ",), ("鳥獣",), 0.8)])
    own = [t.text for t in query.terms if not t.expanded]
    assert own == WORDS[:MAX_TERMS]  # x0 twice counts once
    assert [t.text for t in query.terms if t.expanded] == ["鳥獣"]  # triggered beyond the cut, still expanded


def test_a_search_of_hundreds_of_words_runs_a_bounded_number_of_queries(index, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_TERMS + 10):
        found = index.search(parse_query(" ".join(WORDS)))
    assert sorted(doc_id for doc_id, _score in found) == [1, 2]


def test_hundreds_of_terms_are_matched_in_batches(index):
    """A pinned vocabulary may hold more terms than one compound SELECT may (SQLite: 500)."""
    found = index.match_many([Term(word) for word in WORDS])
    assert len(found) == 600 and all(sorted(ids) == [1, 2] for ids in found)
    assert [sorted(ids) for ids in index.match_many([Term("x599"), Term("防災")])] == [[1, 2], [1]]

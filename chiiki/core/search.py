"""Japanese full-text search that behaves the same on SQLite and PostgreSQL.

Why not trigram indexes: pg_trgm and FTS5's trigram tokenizer cannot match 1–2-character words
(防災, 教育, 補助). So we tokenise ourselves:

- Text is normalised (NFKC, lower case, hiragana → katakana, a trailing 長音 ー of long katakana words
  dropped so ファイバー = ファイバ) and cut into segments at punctuation and spaces.
- Every segment becomes its character bigrams plus one "end" token for its last character, each written as
  an ASCII token (``g`` + hex code points) so neither engine's tokenizer can reinterpret it.
  A word of 2+ characters is the phrase of its bigrams; a 1-character word is the prefix ``g<hex>*``,
  which matches every bigram starting with that character and the end token.
- Each engine's own full-text index finds the candidates: an FTS5 virtual table on SQLite, a ``tsvector``
  column with a GIN index on PostgreSQL (built from the same tokens, never through a text-search parser).
- Candidates are ranked by one BM25F function in Python over the stored normalised field texts, so the
  ranking is identical on both engines (see docs/decisions/0004-programs-search.md).

An app declares an index (table name + weighted fields), adds ``index.operations()`` to a migration,
keeps rows in sync with ``replace``/``remove`` inside its write actions, and calls ``search``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, migrations

from .text import hira_to_kata

K1 = 1.2
B = 0.75

_LONG_VOWEL = "ー"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "ー々〆ヶ"


def _is_katakana(char: str) -> bool:
    return "ァ" <= char <= "ヺ" or char == _LONG_VOWEL


def _is_hiragana(char: str) -> bool:
    return "ぁ" <= char <= "ゖ"


def _drop_trailing_long_vowel(segment: str) -> str:
    """コンピューター → コンピュータ (JIS Z 8301 style), only at the end of katakana runs of 4+ characters."""
    out = []
    run = 0
    for index, char in enumerate(segment):
        run = run + 1 if _is_katakana(char) else 0
        next_char = segment[index + 1] if index + 1 < len(segment) else ""
        if char == _LONG_VOWEL and run >= 4 and not _is_katakana(next_char):
            continue
        out.append(char)
    return "".join(out)


def normalize(text: str) -> str:
    """The comparison form: NFKC, lower case, katakana only, segments separated by single spaces."""
    text = hira_to_kata(unicodedata.normalize("NFKC", text or "").lower())
    segments = []
    current: list[str] = []
    for char in text:
        if _is_word_char(char):
            current.append(char)
        elif current:
            segments.append("".join(current))
            current = []
    if current:
        segments.append("".join(current))
    return " ".join(_drop_trailing_long_vowel(s) for s in segments)


def _hex(char: str) -> str:
    return f"{ord(char):06x}"


def _bigram_token(a: str, b: str) -> str:
    return f"g{_hex(a)}{_hex(b)}"


def _end_token(a: str) -> str:
    return f"g{_hex(a)}000000"


def tokens(normalized: str) -> list[str]:
    """Index tokens of already normalised text (see module docstring)."""
    out: list[str] = []
    for segment in normalized.split():
        out.extend(_bigram_token(a, b) for a, b in zip(segment, segment[1:], strict=False))
        out.append(_end_token(segment[-1]))
    return out


# ---- Queries --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str  # normalised, one segment, no spaces
    weight: float = 1.0
    expanded: bool = False  # came from the concept table, not from the user's words


@dataclass
class Query:
    raw: str
    terms: list[Term] = field(default_factory=list)

    def __bool__(self):
        return bool(self.terms)


def _split_user_words(raw: str) -> list[str]:
    """Cut a query into words: at spaces/punctuation and at hiragana runs (particles, okurigana).

    A word written only in hiragana (てれわーく) is kept whole.
    """
    text = unicodedata.normalize("NFKC", raw or "").lower()
    words: list[str] = []
    for chunk in re.split(r"[^\wー々〆ヶ]+", text):
        if not chunk:
            continue
        if all(_is_hiragana(c) or c == _LONG_VOWEL for c in chunk):
            words.append(chunk)
            continue
        current: list[str] = []
        for char in chunk:
            if _is_hiragana(char) or char == "_":
                if current:
                    words.append("".join(current))
                    current = []
            elif char == _LONG_VOWEL and not current:
                continue
            else:
                current.append(char)
        if current:
            words.append("".join(current))
    return words


@dataclass(frozen=True)
class Concept:
    """A curated expansion: when any trigger occurs in the query, search the expansions too."""

    triggers: tuple[str, ...]
    expansions: tuple[str, ...]
    weight: float = 0.7


def parse_query(raw: str, concepts: Sequence[Concept] = ()) -> Query:
    words = [normalize(w) for w in _split_user_words(raw)]
    words = [w for w in words if w]
    # One-character words count only when they are all the user typed (税, 島); in a sentence they are noise (減らす).
    if any(len(w) >= 2 for w in words):
        words = [w for w in words if len(w) >= 2]
    terms: dict[str, Term] = {}
    for word in words:
        for part in word.split():
            terms.setdefault(part, Term(part))
    if concepts:
        haystack = normalize(raw).replace(" ", "")
        for concept in concepts:
            if any(trigger in haystack for trigger in concept.triggers):
                for expansion in concept.expansions:
                    for part in expansion.split():
                        if part not in terms:
                            terms[part] = Term(part, concept.weight, expanded=True)
    return Query(raw=raw, terms=list(terms.values()))


def load_concepts(rows: Iterable[tuple[str, str, float]]) -> list[Concept]:
    """rows of (triggers ';'-separated, expansions ';'-separated, weight)."""
    concepts = []
    for triggers, expansions, weight in rows:
        trig = tuple(t for t in (normalize(x).replace(" ", "") for x in triggers.split(";")) if t)
        exp = tuple(e for e in (normalize(x) for x in expansions.split(";")) if e)
        if trig and exp:
            concepts.append(Concept(trig, exp, float(weight)))
    return concepts


# ---- The index ---------------------------------------------------------------------------------------------


@dataclass
class Stats:
    documents: int
    average_length: dict[str, float]


class SearchIndex:
    """A bigram full-text index over one table of documents with weighted text fields.

    ``fields`` maps field name → BM25F weight (e.g. {"name": 3.0, "summary": 1.5, "other": 1.0}).
    Document ids are integers (the indexed model's primary key).
    """

    def __init__(self, table: str, fields: dict[str, float]):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError(f"bad table name {table!r}")
        for name in fields:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"bad field name {name!r}")
        self.table = table
        self.fields = dict(fields)
        self._stats_cache: dict[object, Stats] = {}

    # -- schema (used in migrations) --

    def _field_columns(self) -> list[str]:
        return [f"f_{name}" for name in self.fields]

    def create_sql(self, vendor: str) -> list[str]:
        cols = self._field_columns()
        if vendor == "sqlite":
            unindexed = ", ".join(f"{c} UNINDEXED" for c in cols)
            return [
                f"CREATE VIRTUAL TABLE {self.table} USING fts5(body, {unindexed}, tokenize='ascii', prefix='7')",
            ]
        if vendor == "postgresql":
            text_cols = ", ".join(f"{c} text NOT NULL DEFAULT ''" for c in cols)
            return [
                f"CREATE TABLE {self.table} (doc_id bigint PRIMARY KEY, body tsvector NOT NULL, {text_cols})",
                f"CREATE INDEX {self.table}_body_gin ON {self.table} USING gin (body)",
            ]
        raise NotImplementedError(f"search index on {vendor}")

    def drop_sql(self, vendor: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.table}"]

    def operations(self) -> list[migrations.operations.base.Operation]:
        """Migration operations creating the index on whichever engine runs the migration."""

        def forward(apps, schema_editor):
            for sql in self.create_sql(schema_editor.connection.vendor):
                schema_editor.execute(sql)

        def backward(apps, schema_editor):
            for sql in self.drop_sql(schema_editor.connection.vendor):
                schema_editor.execute(sql)

        return [migrations.RunPython(forward, backward)]

    # -- writing --

    def replace_many(self, documents: Iterable[tuple[int, dict[str, str]]]) -> None:
        """Insert or replace documents: (doc_id, {field: raw text})."""
        rows = []
        for doc_id, texts in documents:
            normalized = [normalize(texts.get(name, "") or "") for name in self.fields]
            body = [tok for text in normalized for tok in tokens(text)]
            rows.append((int(doc_id), body, normalized))
        if not rows:
            return
        cols = self._field_columns()
        self._stats_cache.clear()
        with connection.cursor() as cursor:
            ids = [r[0] for r in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                key = "rowid" if connection.vendor == "sqlite" else "doc_id"
                cursor.execute(f"DELETE FROM {self.table} WHERE {key} IN ({marks})", chunk)
            if connection.vendor == "sqlite":
                sql = (f"INSERT INTO {self.table} (rowid, body, {', '.join(cols)}) "
                       f"VALUES (%s, %s, {', '.join(['%s'] * len(cols))})")
                cursor.executemany(sql, [(doc_id, " ".join(body), *texts) for doc_id, body, texts in rows])
            else:
                sql = (f"INSERT INTO {self.table} (doc_id, body, {', '.join(cols)}) "
                       f"VALUES (%s, %s::tsvector, {', '.join(['%s'] * len(cols))})")
                cursor.executemany(sql, [(doc_id, _tsvector_literal(body), *texts) for doc_id, body, texts in rows])

    def replace(self, doc_id: int, texts: dict[str, str]) -> None:
        self.replace_many([(doc_id, texts)])

    def remove(self, doc_ids: Iterable[int]) -> None:
        ids = [int(i) for i in doc_ids]
        if not ids:
            return
        self._stats_cache.clear()
        key = "rowid" if connection.vendor == "sqlite" else "doc_id"
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                cursor.execute(f"DELETE FROM {self.table} WHERE {key} IN ({', '.join(['%s'] * len(chunk))})", chunk)

    def clear(self) -> None:
        self._stats_cache.clear()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")

    # -- reading --

    def stats(self, cache_key=None) -> Stats:
        """Document count and average normalised field lengths (cached under cache_key if given)."""
        if cache_key is not None and cache_key in self._stats_cache:
            return self._stats_cache[cache_key]
        cols = self._field_columns()
        lengths = ", ".join(f"AVG(LENGTH({c}))" for c in cols)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), {lengths} FROM {self.table}")
            row = cursor.fetchone()
        stats = Stats(int(row[0] or 0), {name: float(v or 0.0) or 1.0 for name, v in zip(self.fields, row[1:],
                                                                                         strict=True)})
        if cache_key is not None:
            self._stats_cache.clear()
            self._stats_cache[cache_key] = stats
        return stats

    def _match_expression(self, terms: Sequence[Term]) -> str:
        parts = []
        vendor = connection.vendor
        for term in terms:
            if len(term.text) == 1:
                prefix = f"g{_hex(term.text)}"
                parts.append(f"{prefix}*" if vendor == "sqlite" else f"{prefix}:*")
            else:
                toks = [_bigram_token(a, b) for a, b in zip(term.text, term.text[1:], strict=False)]
                parts.append('"' + " ".join(toks) + '"' if vendor == "sqlite" else "(" + " <-> ".join(toks) + ")")
        return " OR ".join(parts) if vendor == "sqlite" else " | ".join(parts)

    def candidates(self, terms: Sequence[Term]) -> dict[int, list[str]]:
        """doc_id → normalised field texts of every document matching at least one term (engine's index)."""
        if not terms:
            return {}
        cols = ", ".join(self._field_columns())
        expression = self._match_expression(terms)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"SELECT rowid, {cols} FROM {self.table} WHERE {self.table} MATCH %s",
                               [f"body : ({expression})"])
            else:
                cursor.execute(f"SELECT doc_id, {cols} FROM {self.table} WHERE body @@ %s::tsquery", [expression])
            return {int(row[0]): list(row[1:]) for row in cursor.fetchall()}

    def search(self, query: Query, *, stats_key=None) -> list[tuple[int, float]]:
        """(doc_id, score) best first; ties broken by doc_id so both engines agree exactly."""
        if not query.terms:
            return []
        docs = self.candidates(query.terms)
        if not docs:
            return []
        stats = self.stats(stats_key)
        scored = bm25f(query.terms, docs, list(self.fields.items()), stats)
        return sorted(scored.items(), key=lambda item: (-round(item[1], 9), item[0]))


def _tsvector_literal(body: Sequence[str]) -> str:
    """A tsvector literal with positions (tokens are [a-z0-9] only, so no quoting issues)."""
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(body, start=1):
        positions.setdefault(token, []).append(min(index, 16383))
    return " ".join(f"{token}:{','.join(str(p) for p in pos[:256])}" for token, pos in positions.items())


def bm25f(terms: Sequence[Term], docs: dict[int, list[str]], fields: Sequence[tuple[str, float]],
          stats: Stats) -> dict[int, float]:
    """BM25F: per-field length-normalised term frequencies, weighted by field, saturated once per term."""
    total = max(stats.documents, len(docs))
    scores: dict[int, float] = dict.fromkeys(docs, 0.0)
    for term in terms:
        frequencies: dict[int, float] = {}
        for doc_id, texts in docs.items():
            weighted = 0.0
            for (name, weight), text in zip(fields, texts, strict=True):
                count = text.count(term.text)
                if count:
                    length = len(text) or 1
                    weighted += weight * count / (1 - B + B * length / stats.average_length[name])
            if weighted:
                frequencies[doc_id] = weighted
        if not frequencies:
            continue
        df = len(frequencies)
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        for doc_id, tf in frequencies.items():
            scores[doc_id] += term.weight * idf * tf / (K1 + tf)
    return {doc_id: score for doc_id, score in scores.items() if score > 0}

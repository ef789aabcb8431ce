"""Japanese full-text search that behaves the same on SQLite and PostgreSQL.

Why not trigram indexes: pg_trgm and FTS5's trigram tokenizer cannot match 1–2-character words
(防災, 教育, 補助). So we tokenise ourselves:

- Text is normalised by chiiki.core.text.normalize_words (NFKC, lower case, hiragana → katakana, a trailing
  長音 ー of long katakana words dropped so ファイバー = ファイバ) and cut into segments at punctuation and spaces.
- Every segment becomes its character bigrams, plus one unigram token per distinct character of the
  document, each written as an ASCII token (``g``/``u`` + hex code points) so neither engine's tokenizer can
  reinterpret it.
  A word of 2+ characters must contain all its bigrams (the exact phrase is then checked by counting the word
  in the stored text); a 1-character word is its unigram token.
- Each engine's own full-text index finds the candidates: an FTS5 virtual table on SQLite, a ``tsvector``
  column with a GIN index on PostgreSQL (built from the same tokens, never through a text-search parser).
- Candidates are ranked by one BM25F function in Python over the stored normalised field texts, so the
  ranking is identical on both engines (see docs/decisions/0005-programs-search.md).

An app declares an index (table name + weighted fields), adds ``index.operations()`` to a migration,
keeps rows in sync with ``replace``/``remove`` inside its write actions, and calls ``search``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, migrations, transaction

from chiiki.core.text import LONG_VOWEL, is_hiragana, is_katakana, nfkc, normalize_words

K1 = 1.2
B = 0.75
# A query keeps at most this many distinct words of its own (concept expansions come on top): each word is one
# full-text lookup, and a pasted page of text would otherwise run hundreds of them.
MAX_TERMS = 32
# Terms per statement in match_many: SQLite refuses a compound SELECT of more than 500 parts, and a pinned
# vocabulary or a query with its expansions can exceed that.
MATCH_BATCH = 200

# The index's comparison form of a text (re-exported: apps and tests normalise through chiiki.core.search).
normalize = normalize_words


_HEX: dict[str, str] = {}


def _hex(char: str) -> str:
    value = _HEX.get(char)
    if value is None:
        value = _HEX[char] = f"{ord(char):06x}"
    return value


def _bigram_token(a: str, b: str) -> str:
    return f"g{_hex(a)}{_hex(b)}"


def tokens(normalized: str) -> list[str]:
    """Index tokens of already normalised text (see module docstring)."""
    out: list[str] = []
    for segment in normalized.split():
        hexes = [_hex(c) for c in segment]
        out.extend(["g" + a + b for a, b in zip(hexes, hexes[1:], strict=False)])
    # One unigram token per distinct character: 1-character words are exact lookups (a prefix query on a GIN
    # tsvector index is lossy and rechecks every candidate row).
    out.extend("u" + _hex(c) for c in dict.fromkeys(normalized.replace(" ", "")))
    return out


# ---- Queries --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str  # normalised, one segment, no spaces
    weight: float = 1.0
    expanded: bool = False  # came from the concept table, not from the user's words
    # A compound of scripts (テレワーク導入, iot機器) is searched whole; only when no document contains it whole
    # are its 2+-character script runs searched instead (テレワーク, 導入), so a typed compound never dead-ends.
    parts: tuple[str, ...] = ()


def _script(char: str) -> str:
    if is_katakana(char):
        return "kana"
    if char.isascii():
        return "latin" if char.isalnum() else ""
    if "\u3400" <= char <= "\u9fff" or char in "々〆ヶ":
        return "kanji"
    return ""


def script_runs(word: str) -> tuple[str, ...]:
    """The 2+-character runs of one script in a compound word; () when the word is one run."""
    runs: list[str] = []
    current, script = "", None
    for char in word:
        kind = _script(char)
        if kind == script and kind:
            current += char
            continue
        if current:
            runs.append(current)
        current, script = (char, kind) if kind else ("", None)
    if current:
        runs.append(current)
    if len(runs) < 2:
        return ()
    return tuple(r for r in runs if len(r) >= 2)


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
    text = nfkc(raw).lower()
    words: list[str] = []
    for chunk in re.split(r"[^\wー々〆ヶ]+", text):
        if not chunk:
            continue
        if all(is_hiragana(c) or c == LONG_VOWEL for c in chunk):
            words.append(chunk)
            continue
        current: list[str] = []
        for char in chunk:
            if is_hiragana(char) or char == "_":
                if current:
                    words.append("".join(current))
                    current = []
            elif char == LONG_VOWEL and not current:
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
    # Also fire when a word of the query (2+ characters) is part of a trigger: for a vocabulary of long names
    # (子育て支援プラットフォーム) that users type in part (子育て).
    partial: bool = False


def parse_query(raw: str, concepts: Sequence[Concept] = ()) -> Query:
    """The query's terms: its first MAX_TERMS distinct words, then the expansions of the concepts it triggers."""
    words = [normalize(w) for w in _split_user_words(raw)]
    words = [w for w in words if w]
    # One-character words count only when they are all the user typed (税, 島); in a sentence they are noise (減らす).
    if any(len(w) >= 2 for w in words):
        words = [w for w in words if len(w) >= 2]
    terms: dict[str, Term] = {}
    for part in (part for word in words for part in word.split()):
        if len(terms) >= MAX_TERMS:
            break
        terms.setdefault(part, Term(part, parts=script_runs(part)))
    if concepts:
        haystack = normalize(raw).replace(" ", "")
        long_words = [t for t in terms if len(t) >= 2]
        for concept in concepts:
            if any(trigger in haystack for trigger in concept.triggers) or (
                    concept.partial and any(word in trigger for trigger in concept.triggers for word in long_words)):
                for expansion in concept.expansions:
                    for part in expansion.split():
                        if part not in terms:
                            terms[part] = Term(part, concept.weight, expanded=True)
    return Query(raw=raw, terms=list(terms.values()))


def load_concepts(rows: Iterable[tuple[str, str, float]], *, partial: bool = False) -> list[Concept]:
    """rows of (triggers ';'-separated, expansions ';'-separated, weight)."""
    concepts = []
    for triggers, expansions, weight in rows:
        trig = tuple(t for t in (normalize(x).replace(" ", "") for x in triggers.split(";")) if t)
        exp = tuple(e for e in (normalize(x) for x in expansions.split(";")) if e)
        if trig and exp:
            concepts.append(Concept(trig, exp, float(weight), partial))
    return concepts


# ---- The index ---------------------------------------------------------------------------------------------


@dataclass
class Stats:
    documents: int
    average_length: dict[str, float]


class SearchIndex:
    """A bigram full-text index over one table of documents with weighted text fields.

    ``fields`` maps field name → BM25F weight (e.g. {"name": 3.0, "summary": 1.5, "other": 1.0}).
    ``labels`` names fields that do not count towards a term's document frequency (see rank()).
    Document ids are integers (the indexed model's primary key).
    """

    def __init__(self, table: str, fields: dict[str, float], *, labels: Sequence[str] = ()):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError(f"bad table name {table!r}")
        for name in fields:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"bad field name {name!r}")
        if set(labels) - set(fields):
            raise ValueError(f"label fields {sorted(set(labels) - set(fields))} are not fields")
        self.table = table
        self.fields = dict(fields)
        # Label fields (e.g. a controlled vocabulary most documents carry) are searched and scored, but do not
        # count towards a term's document frequency: a word is as rare as the documents' own texts make it.
        self.labels = tuple(labels)
        self._stats_cache: dict[object, Stats] = {}
        self._postings: dict[str, Posting] = {}
        self._pinned: dict[str, Posting] = {}  # known-in-advance terms (concept expansions), kept per stats key
        self._posting_key = None

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

    def clear_cache(self) -> None:
        """Forget cached statistics and query-term postings (pinned terms stay until the stats key changes)."""
        self._stats_cache.clear()
        self._postings.clear()

    def clear(self) -> None:
        """Remove every document (a restore rebuilds the index from its rows: chiiki.core.backup)."""
        self._stats_cache.clear()
        self._postings.clear()
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

    def _match_expression(self, term: Term) -> str:
        """Every bigram of the term present (AND), not the phrase: a phrase on PostgreSQL forces GIN to recheck
        positions in every candidate's tsvector. The exact phrase is enforced afterwards by counting the term in
        the stored text (a document whose count is 0 is dropped), so both engines end with the same matches."""
        sqlite = connection.vendor == "sqlite"
        if len(term.text) == 1:
            return f"body : u{_hex(term.text)}" if sqlite else f"u{_hex(term.text)}"
        toks = list(dict.fromkeys(_bigram_token(a, b) for a, b in zip(term.text, term.text[1:], strict=False)))
        return "body : (" + " AND ".join(toks) + ")" if sqlite else " & ".join(toks)

    def match_many(self, terms: Sequence[Term]) -> list[list[int]]:
        """Per term, the ids of the documents containing it, from the engine's full-text index: one round trip
        (UNION ALL, tagged by term) per MATCH_BATCH terms."""
        if not terms:
            return []
        if connection.vendor == "sqlite":
            part = f"SELECT %s, rowid FROM {self.table} WHERE {self.table} MATCH %s"
        else:
            part = f"SELECT %s, doc_id FROM {self.table} WHERE body @@ %s::tsquery"
        batches = []
        for start in range(0, len(terms), MATCH_BATCH):
            chunk = terms[start:start + MATCH_BATCH]
            params = [value for i, term in enumerate(chunk, start) for value in (i, self._match_expression(term))]
            batches.append((" UNION ALL ".join([part] * len(chunk)), params))
        rows = []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # For a word in most documents the planner prefers a sequential scan, which detoasts every
                # tsvector (≈ 270 ms at 10,000 documents) where the GIN bitmap scan takes ≈ 4 ms. Scoped to
                # these statements: SET LOCAL inside a transaction, restored right after.
                with transaction.atomic():
                    cursor.execute("SET LOCAL enable_seqscan = off")
                    for sql, params in batches:
                        cursor.execute(sql, params)
                        rows.extend(cursor.fetchall())
                    cursor.execute("SET LOCAL enable_seqscan = on")
            else:
                for sql, params in batches:
                    cursor.execute(sql, params)
                    rows.extend(cursor.fetchall())
        found: list[list[int]] = [[] for _ in terms]
        for index, doc_id in rows:
            found[int(index)].append(int(doc_id))
        return found

    def corpus(self) -> Corpus:
        """Every document's texts in memory (for callers that cache per data version)."""
        return Corpus(self.texts(), len(self.fields))

    def texts(self, doc_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
        """doc_id → normalised field texts (all documents when doc_ids is None)."""
        cols = ", ".join(self._field_columns())
        key = "rowid" if connection.vendor == "sqlite" else "doc_id"
        out: dict[int, list[str]] = {}
        with connection.cursor() as cursor:
            if doc_ids is None:
                cursor.execute(f"SELECT {key}, {cols} FROM {self.table}")
                out.update((int(row[0]), list(row[1:])) for row in cursor.fetchall())
                return out
            ids = list(doc_ids)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                cursor.execute(f"SELECT {key}, {cols} FROM {self.table} WHERE {key} IN ({', '.join(['%s'] * len(chunk))})",
                               chunk)
                out.update((int(row[0]), list(row[1:])) for row in cursor.fetchall())
        return out

    def search(self, query: Query, *, stats_key=None, texts=None) -> list[tuple[int, float]]:
        """(doc_id, score) best first; ties broken by doc_id so both engines agree exactly.

        `texts` may map doc_id → normalised field texts (e.g. an in-process copy from ``texts()``);
        otherwise the matching documents' texts are read from the index table. With a `stats_key`
        (anything that changes when the documents change) each term's posting — the matching ids from the
        engine and their BM25F term frequencies — is cached until the key changes.
        """
        if not query.terms:
            return []
        ids, scores = self.search_arrays(query, stats_key=stats_key, texts=texts)
        return [(int(i), float(score)) for i, score in zip(ids, scores, strict=True)]

    def pin(self, terms: Iterable[str], *, stats_key, texts=None) -> None:
        """Compute and keep the postings of terms known in advance (e.g. every concept expansion), so a
        natural-language query only pays for the user's own words. Dropped when stats_key changes."""
        wanted = [Term(t) for t in dict.fromkeys(terms) if t]
        self.search_arrays(Query("", wanted), stats_key=stats_key, texts=texts)
        self._pinned.update((t.text, self._postings[t.text]) for t in wanted if t.text in self._postings)

    def search_arrays(self, query: Query, *, stats_key=None, texts=None) -> tuple[np.ndarray, np.ndarray]:
        """search() as two numpy arrays (doc ids, scores), best first."""
        if not query.terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
        stats = texts.stats(list(self.fields)) if isinstance(texts, Corpus) else self.stats(stats_key)
        if stats_key is not None and self._posting_key != stats_key:
            self._postings.clear()
            self._pinned.clear()
            self._posting_key = stats_key
        postings: dict[str, Posting] = {}
        self._fill_postings(query.terms, postings, stats, stats_key, texts)
        # A compound nobody wrote whole is searched as its script runs (Term.parts), with the compound's weight.
        terms = []
        for term in query.terms:
            if len(postings[term.text].ids) or not term.parts:
                terms.append(term)
            else:
                terms.extend(Term(part, term.weight, term.expanded) for part in term.parts)
        terms = list({t.text: t for t in reversed(terms)}.values())  # each word once (its first weight)
        self._fill_postings(terms, postings, stats, stats_key, texts)
        return rank([(term, postings[term.text]) for term in terms], stats.documents)

    def _fill_postings(self, terms: Sequence[Term], postings: dict[str, Posting], stats: Stats, stats_key,
                       texts) -> None:
        """Add the postings of terms not yet in `postings`: from the cache, else from the engine's index."""
        if stats_key is not None:
            for t in terms:
                if t.text not in postings:
                    cached = self._pinned.get(t.text) or self._postings.get(t.text)
                    if cached is not None:
                        postings[t.text] = cached
        missing = list({t.text: t for t in terms if t.text not in postings}.values())
        fields = list(self.fields.items())
        for term, ids in zip(missing, self.match_many(missing), strict=True):
            source = texts if texts is not None else self.texts(ids)
            postings[term.text] = weighted_frequencies(term.text, ids, source, fields, stats, self.labels)
            if stats_key is not None:
                if len(self._postings) >= 5000:
                    self._postings.clear()
                self._postings[term.text] = postings[term.text]


def _tsvector_literal(body: Sequence[str]) -> str:
    """A tsvector literal with positions (tokens are [a-z0-9] only, so no quoting issues)."""
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(body, start=1):
        positions.setdefault(token, []).append(min(index, 16383))
    return " ".join(f"{token}:{','.join(str(p) for p in pos[:256])}" for token, pos in positions.items())


class Corpus:
    """All documents' normalised field texts in memory, laid out for fast counting.

    Each field's texts are joined into one string (separated by newlines, which no term contains), so the
    occurrences of a term in every document are found by one C-level regex scan and binned by offset.
    A field with few distinct texts (a label field: the same sector vocabulary on most documents) is counted
    once per distinct text instead. The counts equal ``text.count(term)`` per document.
    """

    def __init__(self, texts: dict[int, Sequence[str]], field_count: int):
        self.ids = np.array(sorted(texts), dtype=np.int64)
        self.lengths = []
        self.joined = []
        self.offsets = []
        self.distinct: list[tuple[list[str], np.ndarray] | None] = []
        for f in range(field_count):
            parts = [texts[int(i)][f] for i in self.ids]
            lengths = np.array([len(p) for p in parts], dtype=np.int64)
            offsets = np.zeros(len(parts), dtype=np.int64)
            if len(parts) > 1:
                offsets[1:] = np.cumsum(lengths[:-1] + 1)
            self.lengths.append(lengths)
            self.offsets.append(offsets)
            self.joined.append("\n".join(parts))
            seen: dict[str, int] = {}
            inverse = np.array([seen.setdefault(p, len(seen)) for p in parts], dtype=np.int64)
            self.distinct.append((list(seen), inverse) if len(seen) * 20 <= len(parts) else None)
        self.position = {int(doc_id): i for i, doc_id in enumerate(self.ids)}

    def __len__(self):
        return len(self.ids)

    def stats(self, names: Sequence[str]) -> Stats:
        return Stats(len(self.ids), {name: float(lengths.mean()) if len(lengths) else 1.0
                                     for name, lengths in zip(names, self.lengths, strict=True)})

    def get(self, doc_id, default=None):  # mapping protocol for callers that want one document
        i = self.position.get(int(doc_id))
        if i is None:
            return default
        return [joined[off:off + length] for joined, off, length in
                zip(self.joined, (o[i] for o in self.offsets), (ln[i] for ln in self.lengths), strict=True)]

    def counts(self, needle: str, field: int) -> np.ndarray:
        if self.distinct[field] is not None:
            texts, inverse = self.distinct[field]
            return np.array([t.count(needle) for t in texts], dtype=np.int64)[inverse]
        starts = [m.start() for m in re.finditer(re.escape(needle), self.joined[field])]
        if not starts:
            return np.zeros(len(self.ids), dtype=np.int64)
        docs = np.searchsorted(self.offsets[field], np.array(starts, dtype=np.int64), side="right") - 1
        return np.bincount(docs, minlength=len(self.ids))


@dataclass(frozen=True)
class Posting:
    ids: np.ndarray  # documents containing the term
    tf: np.ndarray  # their BM25F pseudo term frequency (field-weighted, length-normalised)
    df: int = -1  # documents containing it outside label fields (-1: no label fields, len(ids) is the df)


def weighted_frequencies(needle: str, doc_ids: Sequence[int], texts, fields: Sequence[tuple[str, float]],
                         stats: Stats, labels: Sequence[str] = ()) -> Posting:
    norms = [(weight, stats.average_length[name]) for name, weight in fields]
    own = [name not in labels for name, _ in fields]
    if isinstance(texts, Corpus) and len(doc_ids) * 20 >= len(texts):
        # Common term: one regex scan per field over the whole corpus beats a Python loop over its documents.
        tf = np.zeros(len(texts), dtype=float)
        in_own = np.zeros(len(texts), dtype=bool)
        for f, (weight, average) in enumerate(norms):
            counts = texts.counts(needle, f)
            if counts.any():
                tf += weight * counts / (1 - B + B * np.maximum(texts.lengths[f], 1) / average)
                if own[f]:
                    in_own |= counts > 0
        allowed = np.isin(texts.ids, np.asarray(doc_ids, dtype=np.int64))  # the engine's index decides
        keep = allowed & (tf > 0)
        return Posting(texts.ids[keep], tf[keep], int(np.count_nonzero(keep & in_own)) if labels else -1)
    ids, tfs, df = [], [], 0
    for doc_id in doc_ids:
        doc = texts.get(doc_id)
        if doc is None:
            continue
        tf, seen_own = 0.0, False
        for (weight, average), text, is_own in zip(norms, doc, own, strict=True):
            if needle in text:
                tf += weight * text.count(needle) / (1 - B + B * (len(text) or 1) / average)
                seen_own = seen_own or is_own
        if tf:
            ids.append(doc_id)
            tfs.append(tf)
            df += seen_own
    return Posting(np.array(ids, dtype=np.int64), np.array(tfs, dtype=float), df if labels else -1)


def rank(postings: Sequence[tuple[Term, Posting]], documents: int) -> tuple[np.ndarray, np.ndarray]:
    """BM25F: sum over terms of weight · idf · tf / (k1 + tf); best first, ties by doc id.

    With label fields the idf counts only the documents holding the term in their own texts (Posting.df): a word
    no program's own text uses (a sector model) is then as specific as a word can be, and the labels decide the
    order among the programs that carry it."""
    total = max(documents, 1)
    all_ids, all_scores = [], []
    for term, posting in postings:
        if not len(posting.ids):
            continue
        df = posting.df if posting.df >= 0 else len(posting.ids)
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        all_ids.append(posting.ids)
        all_scores.append(term.weight * idf * posting.tf / (K1 + posting.tf))
    if not all_ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
    ids = np.concatenate(all_ids)
    scores = np.concatenate(all_scores)
    unique, inverse = np.unique(ids, return_inverse=True)
    summed = np.zeros(len(unique), dtype=float)
    np.add.at(summed, inverse, scores)
    order = np.lexsort((unique, -np.round(summed, 9)))
    return unique[order], summed[order]

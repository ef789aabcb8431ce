"""fold() unifies 「ヶ」/「ケ」, 「ヵ」/「カ」 and the variant kanji of names (髙/高, 﨑/崎 …) for every search, and the
migration that came with it refolds what the search indexes stored the old way."""

import importlib
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from chiiki.core import history, search
from chiiki.core.models import DataVersion
from chiiki.core.text import drop_trailing_long_vowel, hira_to_kata, nfkc
from chiiki.programs.indexing import reindex
from chiiki.programs.models import SupportProgram
from chiiki.programs.reference import load_catalog
from chiiki.roadmap.reference import load as load_sectors

pytestmark = pytest.mark.django_db

DATA_DIR = Path(settings.BASE_DIR) / "data"
PROGRAM = "MIC-PUBLIC-WIFI"


@pytest.fixture
def program(register):
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    load_catalog(data_dir=DATA_DIR)
    program = SupportProgram.objects.get(public_id=PROGRAM)
    program.summary += " 鶴ヶ島市・髙島町・宮﨑市の事例あり。"
    program.save()
    return program


def found(client, q) -> list[str]:
    response = client.get("/api/v1/programs", {"q": q, "page_size": 100})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def write_index(program, normalize=None):
    """Index the program as its write action does, optionally with another normalisation."""
    saved = search.normalize
    search.normalize = normalize or saved
    try:
        reindex([program])
    finally:
        search.normalize = saved
    history.bump("programs")


def old_normalize(text: str) -> str:
    """normalize_words before fold() unified ヶ/ケ and name variants: what indexes built before hold."""
    folded = hira_to_kata(nfkc(text).lower()).strip()
    return " ".join(drop_trailing_long_vowel(w) for w in re.split(r"[^\wー々〆ヶ]+|_+", folded) if w)


@pytest.mark.parametrize("q", ["鶴ケ島", "鶴ヶ島", "高島町", "髙島町", "宮崎市", "宮﨑市"])
def test_the_programs_search_reads_name_forms_either_way(client, program, q):
    write_index(program)
    assert PROGRAM in found(client, q)  # 「鶴ケ島」 found nothing: the text says 鶴ヶ島


def test_the_migration_refolds_documents_indexed_the_old_way(client, program):
    write_index(program, old_normalize)
    versions = dict(DataVersion.objects.values_list("name", "version"))
    assert PROGRAM not in found(client, "鶴ケ島")  # the stale index: the query folds to ケ, the document holds ヶ
    migration = importlib.import_module("chiiki.core.migrations.0004_refold_search_indexes")
    migration.refold_indexes(apps, SimpleNamespace(connection=connection))
    for q in ("鶴ケ島", "鶴ヶ島", "高島町", "宮崎市"):
        assert PROGRAM in found(client, q), q
    # The texts are now exactly what indexing them today stores.
    from chiiki.programs.indexing import PROGRAM_INDEX

    refolded = PROGRAM_INDEX.texts([program.pk])
    write_index(program)
    assert PROGRAM_INDEX.texts([program.pk]) == refolded
    # Every data version moved on: no cached answer found with the old form is served again.
    assert all(DataVersion.objects.get(name=name).version > version for name, version in versions.items())

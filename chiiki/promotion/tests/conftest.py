"""Hand-built worlds for the promotion tests: small sets of municipalities whose answers are known."""

import json

import pytest

from chiiki.access import SYSTEM
from chiiki.core.codes import check_digit
from chiiki.progress.imports import PROGRESS
from chiiki.progress.tests.conftest import csv_file


def code_of(five: str) -> str:
    return five + check_digit(five)


def seed(rows):
    """rows: (code, sector, year, stage), written through the progress import action as the system."""
    lines = [f"{c},{s},{y},{st},," for c, s, y, st in rows]
    report = PROGRESS.run(SYSTEM, csv_file(lines), "seed.csv")
    assert report.ok and report.committed, report.errors


def bearer(user):
    from chiiki.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def send(client, method, url, body, **extra):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def make_municipality(register):
    from chiiki.regions.models import Municipality

    def make(five, name, kind, population, prefecture="32", **flags):
        return Municipality.objects.create(code=code_of(five), name=name, kana="テスト", kind=kind,
                                           population=population, prefecture=register["prefectures"][prefecture],
                                           lat=35.0, lng=133.0, **flags)

    return make

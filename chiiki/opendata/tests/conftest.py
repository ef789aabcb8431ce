"""Fixtures of the opendata tests: resource files in a temporary directory, a small catalog."""

import pytest

from .samples import make_catalog


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata-files"
    return settings.OPENDATA_FILES_DIR


@pytest.fixture
def catalog(users, register):
    return make_catalog()


@pytest.fixture(autouse=True)
def view_counter(monkeypatch):
    """A fresh page-view counter per test (the module's one lives for the process)."""
    from chiiki.opendata import pageviews

    counter = pageviews.ViewCounter()
    monkeypatch.setattr(pageviews, "COUNTER", counter)
    return counter

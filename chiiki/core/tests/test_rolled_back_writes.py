"""A request that writes (bumps a data version) and reads its own write before the transaction ends: if the write
is rolled back, nothing it read meanwhile may outlive it (chiiki.core.cache.note_write)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from chiiki.core import cache as core_cache
from chiiki.core.cache import _request_memo, versioned, versions
from chiiki.core.history import bump


class Refused(Exception):
    pass


@pytest.fixture
def request_memo(db):
    token = _request_memo.set({})
    yield
    _request_memo.reset(token)


def _write_then_refuse(read):
    """bump, read, then roll back (an action that fails after its write)."""
    with pytest.raises(Refused), transaction.atomic():
        bump("regions")
        read()
        raise Refused


def test_versions_read_inside_a_rolled_back_write_are_read_again(request_memo):
    before = versions(("regions",))
    seen = []
    _write_then_refuse(lambda: seen.append(versions(("regions",))))
    assert seen == [str(int(before) + 1)]  # the request saw its own write while it lasted
    assert versions(("regions",)) == before


def test_a_request_value_computed_inside_a_rolled_back_write_is_computed_again(request_memo):
    from chiiki.core.cache import per_request

    _write_then_refuse(lambda: per_request("probe", lambda: "during the write"))
    assert per_request("probe", lambda: "after the rollback") == "after the rollback"


def test_nothing_computed_inside_an_uncommitted_write_is_kept(request_memo, django_capture_on_commit_callbacks):
    key = {}

    def read():
        key["name"] = f"probe:{versions(('regions',))}"
        versioned(key["name"], lambda: "from the rolled-back write")

    _write_then_refuse(read)
    assert cache.get(key["name"]) is None
    assert key["name"] not in core_cache._recent_values
    # The next write takes that version number with other data: it must compute its own value.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        bump("regions")
    assert f"probe:{versions(('regions',))}" == key["name"]
    assert versioned(key["name"], lambda: "from the committed write") == "from the committed write"


def test_a_committed_write_is_read_and_kept(request_memo, django_capture_on_commit_callbacks):
    before = versions(("regions",))
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bump("regions")
    after = versions(("regions",))
    assert after == str(int(before) + 1)
    assert versioned(f"probe:{after}", lambda: "kept") == "kept"
    assert versioned(f"probe:{after}", lambda: "not computed again") == "kept"

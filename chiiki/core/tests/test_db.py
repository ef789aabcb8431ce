"""chiiki.core.db: which errors are lost races, the bounded retry, and the area lock."""

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from chiiki.core import db


def test_contention_errors_are_recognised_and_others_are_not():
    assert db.is_contention(OperationalError("database is locked"))
    assert db.is_contention(db.Busy())
    assert not db.is_contention(OperationalError("no such table: progress_progressrecord"))
    assert not db.is_contention(IntegrityError("UNIQUE constraint failed"))
    assert not db.is_contention(ValueError("database is locked"))


def test_retry_runs_the_transaction_again_after_a_lost_race():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    assert db.retry(flaky) == "done"
    assert len(calls) == 3


def test_retry_gives_up_with_busy_and_leaves_other_errors_alone():
    calls = []

    def always_locked():
        calls.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(db.Busy):
        db.retry(always_locked, attempts=2)
    assert len(calls) == 2

    def broken():
        calls.append(1)
        raise OperationalError("no such column: foo")

    calls.clear()
    with pytest.raises(OperationalError, match="no such column"):
        db.retry(broken)
    assert len(calls) == 1

    def duplicate():
        calls.append(1)
        raise IntegrityError("UNIQUE constraint failed")

    # IntegrityError is retried only when asked for, and comes back unchanged when it keeps happening.
    calls.clear()
    with pytest.raises(IntegrityError):
        db.retry(duplicate)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(IntegrityError):
        db.retry(duplicate, also=(IntegrityError,))
    assert len(calls) == 3


@pytest.mark.django_db
def test_retry_inside_an_outer_transaction_does_not_retry():
    calls = []

    def locked():
        calls.append(1)
        raise OperationalError("database is locked")

    with transaction.atomic(), pytest.raises(OperationalError):
        db.retry(locked)
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_area_lock_is_held_until_the_transaction_ends():
    with pytest.raises(RuntimeError):
        db.lock_area("progress")
    other = connection.copy()
    try:
        with transaction.atomic():
            db.lock_area("progress")
            if connection.vendor == "postgresql":
                assert _try_lock(other, "progress") is False  # another transaction cannot take it
                assert _try_lock(other, "programs") is True  # other areas are independent
            else:
                # SQLite: BEGIN IMMEDIATE holds the database's write lock, which is the area lock.
                with pytest.raises(OperationalError, match="locked"):
                    _write_with_short_wait(other)
        if connection.vendor == "postgresql":
            assert _try_lock(other, "progress") is True
        else:
            _write_with_short_wait(other)
    finally:
        other.close()


def _try_lock(other, name) -> bool:
    import hashlib

    key = int.from_bytes(hashlib.sha256(f"chiiki:{name}".encode()).digest()[:8], "big", signed=True)
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        taken = cursor.fetchone()[0]
        if taken:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return taken


def _write_with_short_wait(other) -> None:
    with other.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100")
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("ROLLBACK")


@pytest.mark.django_db
def test_only_a_unique_violation_counts_as_a_duplicate():
    from chiiki.accounts.models import User

    User.objects.create(username="one")
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        User.objects.create(username="one")
    with pytest.raises(IntegrityError) as missing, transaction.atomic():
        User.objects.create(username=None)
    assert db.is_duplicate(duplicate.value)
    assert not db.is_duplicate(missing.value)
    assert not db.is_duplicate(OperationalError("database is locked"))
    with pytest.raises(IntegrityError) as reraised:
        try:
            raise missing.value
        except IntegrityError as exc:
            db.duplicate_or_raise(exc)
    assert reraised.value is missing.value

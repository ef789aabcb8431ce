"""Concurrent writes, the same on SQLite and PostgreSQL (docs/decisions/0010-sqlite-under-concurrency.md).

- SQLite runs every transaction as BEGIN IMMEDIATE with a busy timeout (settings.py): a writer waits for the
  lock at BEGIN instead of failing when it upgrades a read. What still fails is a wait longer than the timeout.
- PostgreSQL can abort a transaction that lost a race (serialization failure, deadlock).
- `lock_area` serialises the writers of one area that touch many rows (imports), so they never deadlock.
- `retry` runs a whole transaction again when it lost such a race; `is_contention` names those errors and the
  API and the pages answer them with 409 and BUSY_MESSAGE (never 500): nothing was written.
"""

import hashlib
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection

T = TypeVar("T")

BUSY_MESSAGE = "ほかの更新を処理中のため保存できませんでした（何も変更していません）。しばらくしてからもう一度お試しください。"

# PostgreSQL SQLSTATEs of a transaction that lost a race and may succeed when run again.
_PG_RETRYABLE = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}
# SQLite primary result codes (the low byte of extended codes): SQLITE_BUSY, SQLITE_LOCKED.
_SQLITE_RETRYABLE = {5, 6}
# A second row with a value that must be unique: PostgreSQL unique_violation; SQLite SQLITE_CONSTRAINT_UNIQUE and
# SQLITE_CONSTRAINT_PRIMARYKEY (extended codes).
_PG_DUPLICATE = "23505"
_SQLITE_DUPLICATE = {2067, 1555}


class Busy(Exception):
    """A write lost a race with other writes more often than we retry; nothing was written."""

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)


def is_contention(exc: BaseException) -> bool:
    """True for a database error that means "another transaction was in the way" (not a bug, not bad data)."""
    if isinstance(exc, Busy):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _PG_RETRYABLE:
        return True
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_RETRYABLE
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def is_duplicate(exc: BaseException) -> bool:
    """True for an IntegrityError that is a unique or primary-key violation (another row has the value), as
    opposed to a foreign key, NOT NULL or CHECK failure, which must not be reported as "already taken"."""
    if not isinstance(exc, IntegrityError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == _PG_DUPLICATE
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code in _SQLITE_DUPLICATE
    return "unique constraint" in str(exc).lower()


def duplicate_or_raise(exc: IntegrityError) -> None:
    """Inside `except IntegrityError`: re-raise anything but a duplicate, so the caller's "already used" answer is
    only given when it is true and any other integrity failure stays visible as the bug it is."""
    if not is_duplicate(exc):
        raise exc


def retry(func: Callable[[], T], *, attempts: int = 3, also: tuple[type[Exception], ...] = ()) -> T:
    """Run func, which opens and commits its own transaction, up to `attempts` times while it loses races.

    `also`: further exceptions meaning "the data changed under us, plan again" (e.g. IntegrityError for an
    insert of a row another transaction created first); after the last attempt they propagate unchanged,
    since one that keeps coming back is a bug, not a race. A contention error after the last attempt becomes
    Busy. Inside an outer atomic block the transaction cannot be run again here, so errors propagate.
    """
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except Exception as exc:
            contention = is_contention(exc)
            if connection.in_atomic_block or not (contention or isinstance(exc, also)):
                raise
            if attempt == attempts:
                if contention:
                    raise Busy() from exc
                raise
            # A short random pause so the transactions that collided do not collide again in step.
            time.sleep(random.uniform(0, 0.05 * attempt))  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")


def lock_area(name: str, *, shared: bool = False) -> None:
    """Hold the write lock of an area (e.g. "progress") until the current transaction ends.

    PostgreSQL: a transaction-level advisory lock, so two imports of one area run one after the other instead of
    deadlocking on rows they update in different orders. shared: the lock of a single-row write, which runs
    alongside the others but not during an import (that plans from rows it has not locked). SQLite: BEGIN
    IMMEDIATE already holds the database's write lock for the whole transaction, so there is nothing to add.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_area() belongs inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"chiiki:{name}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [key])

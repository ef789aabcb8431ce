"""A time budget for one request's expensive work (reading and checking an import): past it, the work stops.

Size, row and column limits bound what a file can ask for; the budget bounds what it costs on a slow or busy
machine, so a request never keeps a worker busy after its client has given up. `Importer.run` opens a budget
(settings IMPORT_TIME_BUDGET seconds); readers and row loops call `check()` every few hundred rows.
"""

import contextvars
import time
from contextlib import contextmanager

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("chiiki_deadline", default=None)


class OverBudget(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"処理時間の上限（{seconds:g}秒）を超えたため中止しました（何も変更していません）。"
                         "ファイルを分けて取り込んでください")


_seconds: contextvars.ContextVar[float] = contextvars.ContextVar("chiiki_budget_seconds", default=0.0)


@contextmanager
def budget(seconds: float):
    """Run the block with a deadline `seconds` from now (nested budgets keep the earlier deadline)."""
    deadline = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(deadline if current is None else min(current, deadline))
    seconds_token = _seconds.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(token)
        _seconds.reset(seconds_token)


def check() -> None:
    """Raise OverBudget when the current budget is spent (no budget: never)."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise OverBudget(_seconds.get())

"""Giving memory back to the operating system after a large import (glibc; elsewhere only garbage collection).

Why: a gunicorn worker that checked a 140,000-row file for the preview often serves the commit too. Two things
kept the first import's memory in the worker, so the second stacked on top of it (bench/import_memory.py):
- glibc raises its mmap threshold each time a large block is freed, after which the file's bytes, its decoded
  text and the row lists come from the heap and stay there, fragmented. `configure()` pins the threshold, so
  blocks of 128 KB and more are mapped and unmapped on their own.
- CPython and glibc keep freed small blocks for reuse; `release()` collects garbage and trims the heap.
"""

import ctypes
import ctypes.util
import gc
from functools import cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
LARGE_BLOCK = 128 * 1024  # glibc's own initial threshold


@cache
def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc only: musl and macOS have neither
    except (OSError, AttributeError):
        return None
    return libc


def configure() -> None:
    """Large blocks always mapped, the heap trimmed above 128 KB free (called once, from CoreConfig.ready)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)
        libc.mallopt(_M_TRIM_THRESHOLD, LARGE_BLOCK)


def release() -> None:
    """Collect garbage and hand free heap pages back to the OS."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_startup() -> None:
    """Load every view and API module, then move what start-up allocated out of the collector's sight (gc.freeze).

    Why: a full (oldest-generation) collection scans every tracked object; in a worker those are mostly the
    modules, models and API schemas loaded at start-up, which live as long as the process. Unfrozen, each full
    collection that a request happens to trigger paused it for tens of milliseconds (the slowest 5 % of requests in
    bench/promotion_bench.py). Frozen objects are never collected, which costs nothing here: they were never going
    to be garbage. Called by chiiki/wsgi.py once the application is built.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and API module now, not on the first request
    gc.collect()
    gc.freeze()

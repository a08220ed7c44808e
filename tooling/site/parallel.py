"""Spread per-package work (loading, rendering) over the CPUs for large repositories.

Uses forked worker processes, which inherit the caller's state (the loaded catalog), so only the
items and the results cross process boundaries. Small inputs, platforms without `fork`, and any
failure of the pool fall back to a plain loop: the result is the same either way.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 200  # below this, starting workers costs more than it saves
ENV_VAR = "DAC_SITE_JOBS"  # set to 1 to disable


def jobs() -> int:
    configured = os.environ.get(ENV_VAR)
    if configured and configured.isdigit():
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def pmap(func: Callable[[T], R], items: Iterable[T], min_items: int = MIN_ITEMS) -> list[R]:
    """[func(item) for item in items], in order; in worker processes when it pays."""
    items = list(items)
    workers = min(jobs(), len(items) // 50 or 1)
    if len(items) < min_items or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [func(item) for item in items]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(func, items, chunksize=max(1, len(items) // (workers * 8)))
    except Exception:  # noqa: BLE001 - the plain loop gives the same result, or raises the real error
        return [func(item) for item in items]

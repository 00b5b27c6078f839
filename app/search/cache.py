"""Exact totals and facet counts, cached per worker until the data changes.

Counting a broad result set (facets over most of 100,000 suppliers) is the expensive part of
a search, and the same counts are asked for again and again: every page of one search, the
unfiltered landing page of every frontend. They are cached in-process, keyed by the database,
the query and the data generation token (`app.search.models.DataGeneration`), which triggers
change in the same transaction as every supplier write. So a hit is always as fresh as the
token read at the start of the request: no time-to-live, no explicit invalidation, and each
worker of a scaled-out deployment stays correct on its own.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from threading import Lock

from sqlalchemy import select
from sqlmodel import Session, col

from app.config import get_settings
from app.search.models import DataGeneration

Counts = tuple[int, dict[str, dict[str, int]]]


class CountCache:
    """A bounded, thread-safe LRU of search counts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Counts] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Counts]) -> Counts:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()  # outside the lock: concurrent misses may both compute, harmlessly
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@lru_cache
def count_cache() -> CountCache | None:
    size = get_settings().search_count_cache_size
    return CountCache(size) if size > 0 else None


def data_generation(session: Session) -> int | None:
    """The current data generation token, as this transaction sees it."""
    return session.execute(
        select(col(DataGeneration.token)).where(col(DataGeneration.id) == 1)
    ).scalar_one_or_none()


def cached_counts(
    *, session: Session, query_key: Hashable, compute: Callable[[], Counts]
) -> Counts:
    """`compute()`, or its cached result for the same database, data generation and query."""
    cache = count_cache()
    token = data_generation(session) if cache is not None else None
    if cache is None or token is None:
        return compute()
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    return cache.get_or_compute((database, token, query_key), compute)

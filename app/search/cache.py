"""Work proportional to the number of matches, cached per worker until the data changes.

Two things in a search cost time in proportion to how many suppliers match, and no index can
bound them: exact totals and facet counts (over most of 100,000 suppliers for a broad search),
and relevance ranking (every text match is scored before the best twenty are known). Both are
asked for again and again: every page of one search, the landing page of every frontend, the
same popular words. So both are cached in-process, keyed by the database, the query and the
data generation token (`app.search.models.DataGeneration`), which triggers change in the same
transaction as every supplier write. A hit is always as fresh as the token read at the start
of the search: no time-to-live, no explicit invalidation, and each worker of a scaled-out
deployment stays correct on its own.

- counts: (total, facets) per query.
- rankings: the first `RANKING_WINDOW` (id, rank) rows of a relevance-sorted search, from
  which the first pages are cut (Solr's query result window, in the same spirit).
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from app.config import get_settings
from app.search.models import DataGeneration

Counts = tuple[int, dict[str, dict[str, int]]]
# The head of a relevance ranking: (id, rank) rows in page order, and whether that is all.
Ranking = tuple[list[tuple[int, float]], bool]
V = TypeVar("V")


class GenerationCache(Generic[V]):
    """A bounded, thread-safe LRU; keys carry the data generation, so entries never go stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0
        self.refreshes = 0  # misses answered by updating an older entry rather than anew

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()  # outside the lock: concurrent misses may both compute, harmlessly
        self.put(key, value)
        return value

    def peek(self, key: Hashable) -> V | None:
        """The entry for `key` (counted as neither hit nor miss), or None."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            return None

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@lru_cache
def count_cache() -> GenerationCache[Counts] | None:
    size = get_settings().search_count_cache_size
    return GenerationCache(size) if size > 0 else None


@lru_cache
def ranking_cache() -> GenerationCache[Ranking] | None:
    size = get_settings().search_ranking_cache_size
    return GenerationCache(size) if size > 0 else None


def clear_caches() -> None:
    for cache in (count_cache(), ranking_cache()):
        if cache is not None:
            cache.clear()


def data_generation(session: Session) -> int | None:
    """The current data generation token, as this transaction sees it."""
    return session.execute(
        select(col(DataGeneration.token)).where(col(DataGeneration.id) == 1)
    ).scalar_one_or_none()


def generation_key(session: Session) -> Hashable | None:
    """(database, data generation token) as this transaction sees them; None without a token.

    Read once per search: every cache lookup of that search shares it.
    """
    token = data_generation(session)
    if token is None:
        return None
    return (session.get_bind().engine.url.render_as_string(hide_password=True), token)


def cached(
    cache: GenerationCache[Any] | None,
    *,
    generation: Hashable | None,
    query_key: Hashable,
    compute: Callable[[], V],
) -> V:
    """`compute()`, or its cached result for the same database, data generation and query."""
    if cache is None or generation is None:
        return compute()
    return cache.get_or_compute((generation, query_key), compute)

"""A per-worker cache keyed by the data generation, for scouting rankings.

Entries are keyed by the database and the data generation token
(`app.search.models.DataGeneration`), which triggers change in the same transaction as every
supplier write, so an entry is never served after the data it was computed from changed.
Searches need no cache: they answer from the search index (`app.search.engine`).
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from app.search.models import DataGeneration

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

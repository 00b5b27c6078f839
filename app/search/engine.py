"""One search index per database and worker, kept current from the change feed.

The database stays the single source of truth. A worker builds its index from the database
(at start-up, see `warm_up`, or on the first search), then, before every search, asks the
database in one indexed statement how far the data has moved: the change feed's last event
(events are numbered in commit order, see `app.suppliers.models`) and the data generation token
(changed by triggers on every supplier write). Suppliers with events after the index's
position are read again and re-indexed before the search runs, so a search that starts after
a write has answered sees it, whichever worker serves it. Anything the feed cannot explain (a
token changed without an event, the event the index saw last gone after a rollback, many
changes at once, too many dead documents) rebuilds the index from scratch.
"""

import fcntl
import hashlib
import logging
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import URL, Connection
from sqlmodel import Session, col

from app.catalogue.models import Capability
from app.config import get_settings
from app.db import DEADLINE, DeadlineExceeded, database_file, deadline_lifted, embedded
from app.search.index import Certificate, Labels, Record, SupplierIndex
from app.search.synonyms import load_synonyms, stamp_columns
from app.search.text import Synonyms
from app.suppliers.models import (
    ChangeEvent,
    DataGeneration,
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)

log = logging.getLogger(__name__)

# Read in chunks of this many suppliers (ids), so a build never holds every row at once.
CHUNK = 20_000
# More changed suppliers than this share of the index (or this many) since the last search:
# rebuild instead of re-indexing them one by one.
REBUILD_SHARE = 0.2
REBUILD_MIN = 5_000
# Rebuild when this share of document numbers belongs to dead documents.
MAX_GARBAGE = 0.5

# Bumped whenever the index's layout changes: older snapshots are then rebuilt, not loaded.
SNAPSHOT_FORMAT = 4  # 3: program tags (suggestions); 4: no word pair across two texts
SNAPSHOT_FILE = "index.pickle"

Position = tuple[int, int, int, Any] | None  # the last applied event: seq, supplier, version, at


@dataclass
class State:
    token: int | None
    top: int | None
    event: tuple[int, int, Any] | None  # (supplier, version, at) of the index's last event
    glossary: tuple[Any, ...] = ()  # (entries, last id, last update) of the synonym glossary


class SearchEngine:
    """The index of one database in this worker, and where in the change feed it stands."""

    def __init__(self, snapshots: Path | None = None) -> None:
        self.snapshots = snapshots
        self.lock = threading.Lock()
        self.index: SupplierIndex | None = None
        self.position: Position = None
        self.token: int | None = None
        self.builds = 0
        self.restores = 0
        self.build_seconds = 0.0
        self.applied = 0
        self._glossary: tuple[Any, ...] = ()

    @contextmanager
    def current(self, session: Session) -> Iterator[SupplierIndex]:
        """The index, brought up to the data `session` sees; held exclusively while in use.
        Waiting for it (a build under way) ends at the request's deadline."""
        deadline = DEADLINE.get()
        wait = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        if not self.lock.acquire(timeout=wait):
            raise DeadlineExceeded
        try:
            yield self._catch_up(session)
        finally:
            self.lock.release()

    @property
    def ready(self) -> bool:
        return self.index is not None

    def _catch_up(self, session: Session) -> SupplierIndex:
        """The index brought up to the data, with the glossary as it now stands (read again
        only when its fingerprint, read with the change feed's position, has changed)."""
        index = self._follow(session)
        if index.synonyms_mark != self._glossary:
            index.synonyms = Synonyms(load_synonyms(session.connection()))
            index.synonyms_mark = self._glossary
        return index

    def _follow(self, session: Session) -> SupplierIndex:
        if self.index is None and self.snapshots is not None:
            with _file_lock(self.snapshots / "lock"):  # one worker builds, the others load
                if not self._restore():
                    self._rebuild(session, _state(session, None))
        state = _state(session, self.position)
        self._glossary = state.glossary
        if self.index is None or not self._continues(state):
            return self._rebuild(session, state)
        if state.top == (self.position[0] if self.position else None):
            if state.token != self.token:  # a write without an event: nothing to follow
                return self._rebuild(session, state)
            return self.index
        after = self.position[0] if self.position else 0
        limit = int(max(REBUILD_MIN, REBUILD_SHARE * len(self.index.live)))
        # The suppliers changed since, read up to one past the limit: a bulk load of a million
        # events costs no more to notice than a few thousand.
        changed = list(
            session.execute(
                select(col(ChangeEvent.supplier_id))
                .where(col(ChangeEvent.seq) > after, col(ChangeEvent.seq) <= state.top)
                .distinct()
                .limit(limit + 1)
            ).scalars()
        )
        if len(changed) > limit:
            return self._rebuild(session, state)
        index = self.index
        found = {r.id: r for r in load_records(session.connection(), ids=changed)}
        for supplier_id in changed:
            if supplier_id in found:
                index.put(found[supplier_id])
            else:
                index.remove(supplier_id)
        self.applied += len(changed)
        self._advance(session, state)
        if index.garbage > MAX_GARBAGE and index.size > 2 * REBUILD_MIN:
            return self._rebuild(session, _state(session, self.position))
        return index

    def _continues(self, state: State) -> bool:
        """Whether the event the index saw last is still there as it was (a rolled-back
        transaction takes its events with it; SQLite may then hand their numbers out again)."""
        if self.position is None:
            return True
        return state.event == self.position[1:] and (state.top or 0) >= self.position[0]

    def _rebuild(self, session: Session, state: State) -> SupplierIndex:
        started = time.perf_counter()
        connection = session.connection()
        with deadline_lifted(connection):  # once started, a build is worth finishing
            index = SupplierIndex(Labels.of(capability_labels(connection)))
            index.load(load_records(connection))
            index.name_order()
            position = _position(session, state)
        # Swapped in whole: a failure above leaves the previous index and position as they were.
        self.index, self.position, self.token = index, position, state.token
        self.builds += 1
        self.build_seconds = time.perf_counter() - started
        self._save()
        log.info(
            "search index built",
            extra={"suppliers": len(index.live), "seconds": round(self.build_seconds, 3)},
        )
        return index

    def _restore(self) -> bool:
        """Load the snapshot a worker wrote after its last build; False if there is none or
        it cannot be read (then the caller builds). Whether it is still current is checked
        against the change feed like any index."""
        assert self.snapshots is not None
        path = self.snapshots / SNAPSHOT_FILE
        try:
            if not _private(self.snapshots) or not _private(path):
                log.warning("search snapshot ignored: not private to this user")
                return False
            with path.open("rb") as file:
                saved = pickle.load(file)
            if saved.get("format") != SNAPSHOT_FORMAT:
                return False
            self.index, self.position = saved["index"], saved["position"]
            self.token = saved["token"]
        except FileNotFoundError:
            return False
        except Exception as exc:  # a torn or foreign file: rebuild from the database
            log.warning("search snapshot unreadable", extra={"error": repr(exc)[:300]})
            return False
        self.restores += 1
        return True

    def _save(self) -> None:
        """Write the index and its change-feed position for the next worker that starts
        (written aside, then renamed: a reader never sees half a file)."""
        if self.snapshots is None or self.index is None:
            return
        self.index.name_order()  # settled, so a restored index need not sort again
        saved = {
            "format": SNAPSHOT_FORMAT,
            "index": self.index,
            "position": self.position,
            "token": self.token,
        }
        try:
            self.snapshots.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = self.snapshots / f"{SNAPSHOT_FILE}.{os.getpid()}.partial"
            with partial.open("wb") as file:
                pickle.dump(saved, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, self.snapshots / SNAPSHOT_FILE)
        except OSError as exc:  # a cache: serving goes on without it
            log.warning("search snapshot not written", extra={"error": repr(exc)[:300]})

    def _advance(self, session: Session, state: State) -> None:
        self.position, self.token = _position(session, state), state.token


def _position(session: Session, state: State) -> Position:
    """The feed position `state` stands for, with the fingerprint of its event."""
    if state.top is None:
        return None
    event = _state(session, (state.top, 0, 0, None)).event
    return (state.top, *event) if event else None


def _state(session: Session, position: Position) -> State:
    """Token, last event number and the fingerprint of event `position`: one statement."""
    event = ChangeEvent
    seq = position[0] if position else -1
    at = select(col(event.supplier_id), col(event.version), col(event.occurred_at)).where(
        col(event.seq) == seq
    )
    row = session.execute(
        select(
            select(col(DataGeneration.token)).where(col(DataGeneration.id) == 1).scalar_subquery(),
            select(func.max(col(event.seq))).scalar_subquery(),
            at.with_only_columns(col(event.supplier_id)).scalar_subquery(),
            at.with_only_columns(col(event.version)).scalar_subquery(),
            at.with_only_columns(col(event.occurred_at)).scalar_subquery(),
            *stamp_columns(),
        )
    ).one()
    token, top, supplier_id, version, occurred_at, *glossary = row
    fingerprint = (supplier_id, version, occurred_at) if supplier_id is not None else None
    return State(token=token, top=top, event=fingerprint, glossary=tuple(glossary))


def capability_labels(connection: Connection) -> dict[str, tuple[str, str]]:
    """code -> (English label, Italian label) for the whole taxonomy."""
    rows = connection.execute(
        select(col(Capability.code), col(Capability.name_en), col(Capability.name_it))
    )
    return {code: (en, it) for code, en, it in rows}


def load_records(connection: Connection, ids: Sequence[int] | None = None) -> Iterator[Record]:
    """Live suppliers with their links, by ascending id: all of them, or those of `ids`."""
    s = Supplier
    columns = (
        col(s.id),
        col(s.name),
        col(s.legal_name),
        col(s.description),
        col(s.programs),
        col(s.province),
        col(s.size_class),
        col(s.tier),
        col(s.employees),
        col(s.verified),
        col(s.lat),
        col(s.lon),
        col(s.updated_at),
    )
    chunks: list[Sequence[int]]
    if ids is not None:
        wanted = sorted(set(ids))
        chunks = [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    else:
        low, high = connection.execute(select(func.min(col(s.id)), func.max(col(s.id)))).one()
        if low is None or high is None:  # no rows: both are
            return
        chunks = [(start, start + CHUNK - 1) for start in range(low, high + 1, CHUNK)]
    for chunk in chunks:

        def within(column: Any, chunk: Sequence[int] = chunk) -> Any:
            return column.in_(chunk) if ids is not None else column.between(chunk[0], chunk[1])

        records = {
            row.id: Record(**row._mapping)
            for row in connection.execute(
                select(*columns).where(within(col(s.id)), col(s.deleted_at).is_(None))
            )
        }
        if not records:
            continue
        chain, cap = SupplierSupplyChain, SupplierCapability
        chains = _codes(connection, col(chain.supplier_id), col(chain.supply_chain_code), within)
        capabilities = _codes(connection, col(cap.supplier_id), col(cap.capability_code), within)
        certificates: dict[int, list[Certificate]] = {}
        cert = SupplierCertification
        for row in connection.execute(
            select(
                col(cert.supplier_id),
                col(cert.standard_code),
                col(cert.status),
                col(cert.issued_on),
                col(cert.expires_on),
                col(cert.verification),
            ).where(within(col(cert.supplier_id)))
        ):
            certificates.setdefault(row[0], []).append(Certificate(*row[1:]))
        for supplier_id in sorted(records):
            record = records[supplier_id]
            record.supply_chains = chains.get(supplier_id, ())
            record.capabilities = capabilities.get(supplier_id, ())
            record.certificates = certificates.get(supplier_id, ())
            yield record


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else: a snapshot is unpickled, so one that
    someone else could have written must never be loaded."""
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def snapshot_dir(url: URL, setting: str) -> Path | None:
    """Where the snapshots of `url`'s index live: SEARCH_SNAPSHOT_DIR, or with `auto` beside
    a SQLite file (`<file>.search`) or in the temporary directory; None when `off` (or for an
    in-memory database)."""
    if setting == "off":
        return None
    if setting != "auto":
        return Path(setting)
    if embedded(url):
        file = database_file(url)
        return None if file is None else Path(f"{file}.search")
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"escouting-search-{name}"


def _codes(
    connection: Connection, owner: Any, code: Any, within: Callable[[Any], Any]
) -> dict[int, list[str]]:
    """supplier id -> codes, from a link table, for the suppliers `within` selects."""
    codes: dict[int, list[str]] = {}
    for supplier_id, value in connection.execute(select(owner, code).where(within(owner))):
        codes.setdefault(supplier_id, []).append(value)
    return codes


_engines: dict[str, SearchEngine] = {}
_registry_lock = threading.Lock()


def engine_for(session: Session) -> SearchEngine:
    """This worker's search engine for the database `session` is bound to."""
    url = session.get_bind().engine.url
    key = url.render_as_string(hide_password=False)
    with _registry_lock:
        if key not in _engines:
            _engines[key] = SearchEngine(snapshot_dir(url, get_settings().search_snapshot_dir))
        return _engines[key]


def warm_up(session: Session) -> SearchEngine:
    """Build (or bring up to date) the index of `session`'s database now."""
    engine = engine_for(session)
    with engine.current(session):
        pass
    return engine


class WarmUp:
    """Builds the index of the app's database in a background thread at start-up, retrying
    while the database is unreachable or not migrated (`/readyz` says which, by itself)."""

    RETRY_SECONDS = 2.0

    def __init__(self, make_session: Callable[[], Session]) -> None:
        self.make_session = make_session
        self.engine: SearchEngine | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="search-warm-up", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def ready(self) -> bool:
        return self.engine is not None and self.engine.ready

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.make_session() as session:
                    self.engine = warm_up(session)
                return
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("search index not built yet", extra={"error": error})
                self._stop.wait(self.RETRY_SECONDS)


def forget_all() -> None:
    """Drop every index of this worker (tests; the next search rebuilds)."""
    with _registry_lock:
        _engines.clear()

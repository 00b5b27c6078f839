"""The webhook worker: fan out, scan for expiring certificates, send due deliveries.

State lives in the database (the `webhook_delivery` outbox), never in memory, so a worker
can stop or crash at any point and the next one carries on: a delivery a worker claimed but
never reported on becomes due again when its lease runs out (delivery is at least once;
receivers de-duplicate on the event id). Several workers may run at once: on PostgreSQL,
claims skip rows another worker holds (`FOR UPDATE SKIP LOCKED`) and planning takes an
advisory lock; on SQLite, write transactions run one at a time.

`run_once` does one pass (tests drive it with their own clock); `BackgroundWorker` repeats it
in a thread, started by the application's lifespan or by `escouting webhooks-worker`.
"""

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app import db
from app.config import Settings, get_settings
from app.suppliers.generation import data_generation
from app.webhooks import service
from app.webhooks.sender import send, signature

logger = logging.getLogger("app.webhooks")

SessionSource = Engine | Callable[[], Session]
LEASE_MARGIN = timedelta(seconds=60)
MAX_DELIVERIES_PER_RUN = 200


@dataclass
class RunReport:
    """What one pass did."""

    queued: int = 0  # deliveries created from change-feed events and expiry notices
    notices: int = 0  # certificates announced as expiring
    delivered: int = 0
    retrying: int = 0  # failed attempts that will be tried again
    failed: int = 0  # deliveries given up (attempts used up)
    cancelled: int = 0  # pending deliveries of subscriptions whose owner key died
    pruned: int = 0
    busy: bool = False  # stopped at the per-pass limit: more work is waiting

    @property
    def attempts(self) -> int:
        return self.delivered + self.retrying + self.failed


def _session_factory(source: SessionSource) -> Callable[[], Session]:
    if isinstance(source, Engine):
        engine = db.writer(source)  # every step writes
        return lambda: Session(engine, expire_on_commit=False)
    return source


@contextmanager
def _transaction(sessions: Callable[[], Session]) -> Iterator[Session]:
    with sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class Worker:
    """One pass at a time over the outbox; keeps no state that matters across restarts."""

    def __init__(self, source: SessionSource, settings: Settings | None = None) -> None:
        self.sessions = _session_factory(source)
        self.settings = settings or get_settings()
        self._scanned: tuple[Any, ...] | None = None  # (day, data generation) last scanned

    def run_once(self, *, now: datetime | None = None, scan_always: bool = True) -> RunReport:
        """Fan out, scan, send what is due, prune. `now` fixes the clock (tests)."""
        report = self.plan(now=now, scan_always=scan_always)
        self.dispatch(report, now=now)
        with _transaction(self.sessions) as session:
            report.pruned = service.prune(
                session=session,
                now=now or db.utcnow(),
                days=self.settings.webhooks_retention_days,
            )
        return report

    def plan(
        self,
        *,
        now: datetime | None = None,
        scan_always: bool = True,
        report: RunReport | None = None,
    ) -> RunReport:
        """Queue deliveries: new change-feed events, then certificates about to expire."""
        report = report or RunReport()
        self._plan(report, now or db.utcnow(), scan_always=scan_always)
        return report

    def dispatch(
        self, report: RunReport | None = None, *, now: datetime | None = None
    ) -> RunReport:
        """Send due deliveries (at most MAX_DELIVERIES_PER_RUN) and record each attempt."""
        report = report or RunReport()
        clock: Callable[[], datetime] = (lambda: now) if now is not None else db.utcnow
        self._dispatch(report, clock)
        return report

    def _plan(self, report: RunReport, now: datetime, *, scan_always: bool) -> None:
        more = True
        while more:
            with _transaction(self.sessions) as session:
                if not service.take_plan_lock(session=session):
                    return  # another worker is planning right now
                report.cancelled += service.cancel_orphaned(session=session, now=now)
                queued, more = service.fan_out(session=session, now=now)
                report.queued += queued
        with _transaction(self.sessions) as session:
            if not service.take_plan_lock(session=session):
                return
            # The answer changes only with the day or the data: skip the scan otherwise.
            scan_key = (service.today_of(now), data_generation(session))
            if scan_always or scan_key != self._scanned:
                notices, queued = service.scan_expiring(session=session, now=now)
                report.notices += notices
                report.queued += queued
                self._scanned = scan_key

    def _dispatch(self, report: RunReport, clock: Callable[[], datetime]) -> None:
        settings = self.settings
        lease = timedelta(seconds=settings.webhooks_timeout_seconds) + LEASE_MARGIN
        failing: set[int] = set()  # one failure per subscription per pass is enough
        for _ in range(MAX_DELIVERIES_PER_RUN):
            with _transaction(self.sessions) as session:
                claim = service.claim_next(session=session, now=clock(), lease=lease, skip=failing)
            if claim is None:
                return
            outcome = send(
                url=claim.url,
                body=claim.body,
                headers={
                    "Content-Type": "application/json",
                    # Signed as it is sent (wall clock, not the pass's `now`): each
                    # attempt carries a fresh timestamp.
                    "X-Signature": signature(claim.secret, claim.body, timestamp=int(time.time())),
                    "X-Event-Id": claim.event_id,
                    "X-Event-Type": claim.event_type,
                    "X-Delivery-Id": str(claim.delivery_id),
                    "X-Delivery-Attempt": str(claim.attempt),
                },
                timeout=settings.webhooks_timeout_seconds,
                allow_http_loopback=settings.webhooks_allow_http_loopback,
                resolve_timeout=settings.webhooks_resolve_timeout_seconds,
            )
            with _transaction(self.sessions) as session:
                status = service.record_attempt(
                    session=session,
                    claim=claim,
                    ok=outcome.ok,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                    now=clock(),
                    settings=settings,
                )
            if status == "delivered":
                report.delivered += 1
            elif status == "failed":
                report.failed += 1
            elif status == "pending":
                report.retrying += 1
            if not outcome.ok:
                failing.add(claim.subscription_id)
                logger.info(
                    "webhook delivery %s attempt %s failed: %s",
                    claim.delivery_id,
                    claim.attempt,
                    outcome.error,
                )
        report.busy = True


def run_once(
    source: SessionSource, *, now: datetime | None = None, settings: Settings | None = None
) -> RunReport:
    """One pass of the worker over `source` (an engine, or a factory of sessions)."""
    return Worker(source, settings).run_once(now=now)


class BackgroundWorker:
    """Repeats passes in a daemon thread until stopped; waits `webhooks_poll_seconds` when
    idle and backs off (up to a minute) while the database is unreachable."""

    def __init__(self, source: SessionSource, settings: Settings) -> None:
        self.worker = Worker(source, settings)
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Finish the delivery in hand, then stop (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        self.request_stop()
        if self._thread.is_alive():
            self._thread.join(timeout=self.settings.webhooks_timeout_seconds + 5)

    def run_forever(self) -> None:
        """Run in the calling thread until `stop` (from another thread or a signal handler)."""
        self._loop()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                report = self.worker.run_once(scan_always=False)
                failures = 0
            except Exception:
                failures += 1
                logger.exception("webhook worker pass failed")
                self._stop.wait(min(60.0, self.settings.webhooks_poll_seconds * 2**failures))
                continue
            if not report.busy:
                self._stop.wait(self.settings.webhooks_poll_seconds)


def lifespan(settings: Settings) -> Callable[[FastAPI], Any]:
    """The application's lifespan: runs a background worker if `webhooks_worker_enabled`."""

    @asynccontextmanager
    async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not settings.webhooks_worker_enabled:
            yield
            return
        worker = BackgroundWorker(db.get_engine(), settings)
        worker.start()
        try:
            yield
        finally:
            await asyncio.to_thread(worker.stop)

    return _lifespan

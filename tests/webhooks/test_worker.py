"""The worker under real commits: restarts, crashes mid-delivery, several workers, threads."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings, get_settings
from app.db import build_engine, utcnow
from app.logs import configure_logging
from app.main import create_app
from app.webhooks import service
from app.webhooks.models import WebhookDelivery
from app.webhooks.worker import LEASE_MARGIN, Worker, run_once
from tests.conftest import committed_admin_key, migrate, serve_database
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, SETTINGS, register

API = "/api/v1/suppliers"


@pytest.fixture
def served(fresh_db_url, monkeypatch):
    """A migrated database of its own, served by an app that sees the development setting."""
    migrate(fresh_db_url)
    engine = serve_database(fresh_db_url, monkeypatch)
    application = create_app(SETTINGS)
    application.dependency_overrides[get_settings] = lambda: SETTINGS
    try:
        yield fresh_db_url, engine, application, committed_admin_key(engine)
    finally:
        engine.dispose()


def _statuses(engine: Engine) -> Counter:
    with Session(engine) as session:
        return Counter(session.scalars(select(WebhookDelivery.status)))


def test_pending_deliveries_survive_a_restart(served, receiver):
    url, engine, application, admin = served
    with TestClient(application) as client:
        hook = register(client, admin, receiver.url).json()
        client.post(API, json=supplier_payload(1), headers=admin)
        client.post(API, json=supplier_payload(2), headers=admin)
    receiver.answer((500, 0))
    start = utcnow()
    first = run_once(engine, now=start, settings=SETTINGS)
    assert (first.queued, first.retrying) == (2, 1)  # the second waits: one failure per pass
    engine.dispose()  # the process goes away; only the database remembers

    restarted = build_engine(url)
    try:
        assert _statuses(restarted) == {"pending": 2}
        again = run_once(restarted, now=start + timedelta(seconds=12), settings=SETTINGS)
        assert again.delivered == 2
        assert _statuses(restarted) == {"delivered": 2}
    finally:
        restarted.dispose()
    ids = [r.json["id"] for r in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 2
    with TestClient(application) as client:
        log = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert sorted(d["attempts"] for d in log) == [1, 2]


def test_a_delivery_claimed_by_a_worker_that_died_is_taken_over(served, receiver):
    _url, engine, application, admin = served
    with TestClient(application) as client:
        hook = register(client, admin, receiver.url).json()
        client.post(API, json=supplier_payload(1), headers=admin)
    start = utcnow()
    worker = Worker(engine, SETTINGS)
    worker.plan(now=start)
    lease = timedelta(seconds=SETTINGS.webhooks_timeout_seconds) + LEASE_MARGIN
    with Session(engine) as session:  # a worker claims it ... and dies before sending
        assert service.claim_next(session=session, now=start, lease=lease) is not None
        session.commit()

    assert run_once(engine, now=start + timedelta(seconds=5), settings=SETTINGS).attempts == 0
    taken = run_once(engine, now=start + lease + timedelta(seconds=1), settings=SETTINGS)
    assert taken.delivered == 1
    [got] = receiver.received
    assert got.headers["x-delivery-attempt"] == "2"  # the lost attempt counts
    with TestClient(application) as client:
        [log] = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert log["status"] == "delivered" and log["attempts"] == 2


def test_several_workers_deliver_each_event_once(served, receiver):
    _url, engine, application, admin = served
    with TestClient(application) as client:
        register(client, admin, receiver.url)
        for n in range(1, 13):
            client.post(API, json=supplier_payload(n), headers=admin)
    receiver.answer(*[(200, 0.02)] * 12)  # slow enough for the workers to overlap
    start = utcnow()
    assert Worker(engine, SETTINGS).plan(now=start).queued == 12
    errors: list[BaseException] = []

    def work() -> None:
        try:
            Worker(engine, SETTINGS).dispatch(now=start)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [r.json["id"] for r in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert _statuses(engine) == {"delivered": 12}


def test_concurrent_planners_queue_each_event_once(served):
    _url, engine, application, admin = served
    soon = (utcnow().date() + timedelta(days=5)).isoformat()
    with TestClient(application) as client:
        register(
            client,
            admin,
            "https://93.184.216.34/hook",
            events=["supplier.created", "certification.expiring"],
        )
        for n in range(1, 6):
            body = supplier_payload(n, certifications=[{"standard": "en-9100", "expires_on": soon}])
            client.post(API, json=body, headers=admin)
    start = utcnow()
    errors: list[BaseException] = []

    def plan() -> None:
        try:
            Worker(engine, SETTINGS).plan(now=start)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=plan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        kinds = Counter(session.scalars(select(WebhookDelivery.event_type)))
    assert kinds == {"supplier.created": 5, "certification.expiring": 5}


def test_the_app_runs_the_worker_in_a_thread_and_stops_it(served, receiver):
    _url, _engine, _application, admin = served
    settings = SETTINGS.model_copy(
        update={"webhooks_worker_enabled": True, "webhooks_poll_seconds": 0.05}
    )
    application = create_app(settings)
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application) as client:
        assert any(t.name == "webhook-worker" for t in threading.enumerate())
        register(client, admin, receiver.url)
        client.post(API, json=supplier_payload(1), headers=admin)
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.json["type"] for r in receiver.received] == ["supplier.created"]
    time.sleep(0.1)
    assert not any(t.name == "webhook-worker" for t in threading.enumerate())


def test_the_worker_command_delivers(served, receiver):
    url, _engine, application, admin = served
    with TestClient(application) as client:
        register(client, admin, receiver.url)
        client.post(API, json=supplier_payload(1), headers=admin)
    env = {"DATABASE_URL": url, "WEBHOOKS_ALLOW_HTTP_LOOPBACK": "true", "LOG_FORMAT": "console"}
    try:
        result = CliRunner().invoke(cli, ["webhooks-worker", "--once"], env=env)
    finally:
        get_settings.cache_clear()  # settings read under the CLI's environment
        configure_logging(get_settings())  # the command logged to the runner's closed stream
    assert result.exit_code == 0, result.output
    assert "queued 1, delivered 1" in result.output
    assert len(receiver.received) == 1


def test_settings_defaults_are_safe():
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert defaults["webhooks_allow_http_loopback"] is False
    assert defaults["webhooks_timeout_seconds"] == 5
    assert defaults["webhooks_worker_enabled"] is True  # `make run` delivers out of the box

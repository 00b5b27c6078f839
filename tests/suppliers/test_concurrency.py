"""Concurrent writers holding the same ETag: exactly one wins, the rest get 412."""

import threading
from collections import Counter

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import committed_admin_key, migrate, serve_database
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
WRITERS = 8


def test_if_match_race_has_exactly_one_winner(fresh_db_url, monkeypatch):
    migrate(fresh_db_url)
    engine = serve_database(fresh_db_url, monkeypatch, pool_size=WRITERS)
    try:
        admin = committed_admin_key(engine)
        app = create_app(Settings(rate_limit_enabled=False))
        with TestClient(app) as client:
            created = client.post(API, json=supplier_payload(1), headers=admin)
            sid, etag = created.json()["id"], created.headers["ETag"]

        start = threading.Barrier(WRITERS)
        results: list[tuple[int, int]] = []

        def writer(n: int) -> None:
            with TestClient(app) as client:
                body = {"employees": 100 + n, "certifications": [{"standard": "iso-9001"}]}
                start.wait()
                response = client.patch(
                    f"{API}/{sid}", json=body, headers={**admin, "If-Match": etag}
                )
                results.append((response.status_code, 100 + n))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = Counter(status for status, _ in results)
        assert statuses == {200: 1, 412: WRITERS - 1}, statuses
        winner = next(employees for status, employees in results if status == 200)
        with TestClient(app) as client:
            final = client.get(f"{API}/{sid}", headers=admin).json()
            trail = client.get("/api/v1/audit", params={"action": "update"}, headers=admin)
        assert final["version"] == 2 and final["employees"] == winner
        assert [c["standard"] for c in final["certifications"]] == ["iso-9001"]  # not doubled
        assert len(trail.json()["items"]) == 1  # the losers left no trace
    finally:
        engine.dispose()

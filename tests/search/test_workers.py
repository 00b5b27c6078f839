"""Read-your-writes across the worker processes of the real server.

`escouting serve --workers 2` runs on a committed database of its own. A writer creates,
changes and deletes suppliers (and imports a few); right after each answer, readers on new
connections (`Connection: close`, so the kernel hands each to either worker) must see the
write in search results, every time. At the end the workers' own request counters
(`/metrics`, one registry per process) prove that both workers answered searches.
"""

import json
import random
import re
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import build_engine
from tests.conftest import BACKENDS, committed_admin_key, migrate, scratch_database
from tests.factories import supplier_payload
from tests.servers import CLOSE, running_server

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1/suppliers"
ROUNDS = 10


def _requests_metric(handler: str) -> re.Pattern[str]:
    """The per-worker `http_requests_total` samples of GET `handler` (one per status)."""
    return re.compile(
        r"^http_requests_total\{"
        rf'(?=[^}}]*handler="{re.escape(handler)}")(?=[^}}]*method="GET")[^}}]*\}}'
        r"\s+([0-9.e+]+)$",
        re.MULTILINE,
    )


SEARCHES = _requests_metric(API)
HEALTH = _requests_metric("/healthz")


@dataclass
class Server:
    base: str
    admin: dict[str, str]
    log: Path


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """`escouting serve --workers 2` on a migrated database of its own."""
    with scratch_database(request.param, tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        admin = committed_admin_key(engine)
        engine.dispose()
        log = tmp_path / "server.log"
        # As deployed: each worker builds its index at start-up.
        with running_server(url, log=log, workers=2, SEARCH_WARM_UP="true") as base:
            yield Server(base=base, admin=admin, log=log)


def _word(rng: random.Random) -> str:
    """A word no supplier has: letters only, so every text index keeps it whole."""
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


class Readers:
    """Searches, each on a new connection; counts them for the workers check."""

    def __init__(self, server: Server) -> None:
        self.http = httpx.Client(base_url=server.base, headers=CLOSE, timeout=30)
        self.count = 0

    def ids(self, **params: Any) -> list[int]:
        response = self.http.get(API, params={"limit": 100, **params})
        self.count += 1
        assert response.status_code == 200, response.text
        body = response.json()
        ids = [item["id"] for item in body["items"]]
        assert body["total"] == len(ids), body
        return ids


def _counts(http: httpx.Client, admin: dict[str, str], metric: re.Pattern[str]) -> set[int]:
    """The request counts `metric` of the workers that answered 20 `/metrics` requests, each on
    a new connection (nothing else is requested meanwhile, so one worker shows one count)."""
    counts = set()
    for _ in range(20):
        response = http.get("/metrics", headers=admin)
        assert response.status_code == 200, response.text
        counts.add(round(sum(float(v) for v in metric.findall(response.text))))
    return counts


def _wait_for_both_workers(server: Server) -> None:
    """Until two workers answer: /healthz came up as soon as the first one did."""
    with httpx.Client(base_url=server.base, headers=CLOSE, timeout=30) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for _ in range(5):
                assert http.get("/healthz").status_code == 200
            if len(_counts(http, server.admin, HEALTH)) > 1:
                return
        raise AssertionError(f"one worker only after 60 s:\n{server.log.read_text()}")


def test_every_worker_reads_its_own_and_the_other_workers_writes(server: Server) -> None:
    _wait_for_both_workers(server)
    rng = random.Random(4242)
    writer = httpx.Client(base_url=server.base, headers=CLOSE | server.admin, timeout=30)
    readers = Readers(server)
    for n in range(ROUNDS):
        word, new_word = _word(rng), _word(rng)
        employees = 900_000 + n  # no other supplier has it: a filter that finds exactly one
        body = supplier_payload(
            5000 + n,
            name=f"Worker Test {n}",
            legal_name=None,
            description=f"Round {n}: {word} parts.",
            employees=employees,
            programs=[],
        )
        created = writer.post(API, json=body)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        by_size = {"min_employees": employees, "max_employees": employees}
        assert readers.ids(q=word) == [sid], f"round {n}: created, not found by text"
        assert readers.ids(**by_size) == [sid], f"round {n}: created, not found by filter"
        assert readers.ids(q=word, province="VA", sort="-updated_at") == [sid]

        changed = writer.patch(
            f"{API}/{sid}",
            json={"description": f"Round {n}: {new_word} parts."},
            headers={"If-Match": created.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.text
        assert readers.ids(q=new_word) == [sid], f"round {n}: changed, new word not found"
        assert readers.ids(q=word) == [], f"round {n}: changed, old word still found"
        assert readers.ids(**by_size) == [sid]

        deleted = writer.delete(f"{API}/{sid}", headers={"If-Match": changed.headers["ETag"]})
        assert deleted.status_code == 204, deleted.text
        assert readers.ids(q=new_word) == [], f"round {n}: deleted, still found by text"
        assert readers.ids(**by_size) == [], f"round {n}: deleted, still found by filter"

        imported_word = _word(rng)
        rows = [
            supplier_payload(6000 + 10 * n + i, description=f"Imported {imported_word}.")
            for i in range(3)
        ]
        report = writer.post(
            f"{API}/import",
            content="".join(json.dumps(row) + "\n" for row in rows).encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert report.status_code == 200, report.text
        imported = sorted(change["supplier_id"] for change in report.json()["changes"])
        assert len(imported) == 3
        assert sorted(readers.ids(q=imported_word)) == imported, f"round {n}: import not found"

    # Each worker counts the searches it answered; /metrics, asked on new connections, shows
    # either count. Two counts that add up to every search made: both workers answered.
    counts = _counts(readers.http, server.admin, SEARCHES) | _counts(
        readers.http, server.admin, SEARCHES
    )
    total = readers.count
    both = any(a + b == total and a and b for a in counts for b in counts if a != b) or (
        counts == {total // 2} and total % 2 == 0
    )
    assert both, f"only one worker answered? search counts {counts}, searches made {total}"

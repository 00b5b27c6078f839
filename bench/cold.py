"""The cold mode of `make bench`: each distinct query asked once, a supplier write between
batches, so no per-query cache can answer (what the first buyer to ask gets)."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Any

import httpx

from bench.workload import API, Search, Vocabulary, scouting_request, supplier_change

WRITE_EVERY = 20  # queries between two supplier writes


@dataclass(frozen=True)
class Ask:
    """One timed request: status, milliseconds, what was asked (params or body), the page
    (0: not asked, the scouting request could not be created) and how many items came."""

    status: int
    ms: float
    asked: dict[str, Any]
    page: int = 1
    items: int = 0

    @property
    def ok(self) -> bool:
        return self.status == 200


class Writer:
    """Changes one random supplier through the API (description and head count), as an admin."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        headers: dict[str, str],
        rnd: Random,
        v: Vocabulary,
        max_id: int,
    ) -> None:
        self.http, self.headers, self.rnd, self.v, self.max_id = http, headers, rnd, v, max_id
        self.writes = 0

    def __call__(self) -> None:
        self.writes += 1
        supplier_id = self.rnd.randint(1, self.max_id)
        body = supplier_change(self.rnd, self.v, self.writes)
        response = self.http.patch(f"{API}/{supplier_id}", json=body, headers=self.headers)
        # A supplier deleted since the seeding (410) is just another write to skip.
        assert response.status_code in (200, 410), response.text[:500]


def timed(send: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    """The response and its latency in milliseconds."""
    started = time.perf_counter()
    response = send()
    return response, (time.perf_counter() - started) * 1000


def ask(http: httpx.Client, params: dict[str, Any], page: int) -> tuple[Ask, str | None]:
    """One search page, timed; and the next page's cursor (None: last page or a failure)."""
    response, ms = timed(lambda: http.get(API, params=params))
    if response.status_code != 200:
        return Ask(response.status_code, ms, params, page), None
    body = response.json()
    return Ask(200, ms, params, page, len(body["items"])), body["next_cursor"]


def time_searches(
    http: httpx.Client, plans: Iterator[Search], *, count: int, write: Callable[[], None]
) -> list[Ask]:
    """Ask `count` distinct search pages once each (next pages of deep searches included),
    with a supplier write before every WRITE_EVERY of them."""
    asks: list[Ask] = []
    for plan in plans:
        cursor = None
        for page in range(1, plan.follow + 2):
            if len(asks) == count:
                return asks
            if len(asks) % WRITE_EVERY == 0:
                write()
            params = plan.params | ({"cursor": cursor} if cursor else {})
            result, cursor = ask(http, params, page)
            asks.append(result)
            if cursor is None:
                break
    return asks


def time_scouting(
    http: httpx.Client,
    *,
    count: int,
    headers: dict[str, str],
    rnd: Random,
    v: Vocabulary,
    today: date,
    write: Callable[[], None],
) -> list[Ask]:
    """Create `count` distinct scouting requests (buyer) and time each one's first page of
    matches, with a supplier write before every WRITE_EVERY of them."""
    asks: list[Ask] = []
    for n in range(1, count + 1):
        if (n - 1) % WRITE_EVERY == 0:
            write()
        body = scouting_request(rnd, v, today, n)
        created = http.post("/api/v1/scouting-requests", json=body, headers=headers)
        if created.status_code != 201:
            asks.append(Ask(created.status_code, 0.0, body, page=0))
            continue
        path = f"/api/v1/scouting-requests/{created.json()['id']}/matches"
        response, ms = timed(lambda path=path: http.get(path, headers=headers))
        items = len(response.json()["items"]) if response.status_code == 200 else 0
        asks.append(Ask(response.status_code, ms, body, 1, items))
    return asks

"""`make bench`: seed 100,000 suppliers on SQLite and PostgreSQL, time a mix of buyer queries.

Then streams both exports and imports the CSV export into an empty database (all new
suppliers), again (nothing changes) and as a dry run.
Each query runs through the whole HTTP stack in-process (routing, validation, SQL,
serialisation). Prints p50/p95 per query and database, the seeding time, and the p95 of the
whole mix, twice: "warm" as a worker answers a query asked before since the last write (totals,
facets and the head of a relevance ranking come from the search caches; other pages are
computed), and "cold" with the caches emptied before every run (the first time anyone asks, or
right after a write). The row "after a supplier write" changes one supplier (untimed) before
every run: warm, it times a cached scouting ranking brought up to date.
Then, per database, two tables of issue 15's promises: the worst inputs (hostile searches and
a scouting request at its caps, each asked once, cold, with status and time), and `/healthz`
of a real `escouting serve` probed every 50 ms, idle and while 64 clients (bench/load.py, a
process of its own) hammer search for 15 s.
Usage: python bench/run.py [--suppliers N] [--repeat R] [--backend sqlite|postgresql]
       [--skip-mix] [--load-clients C] [--load-seconds S]
--skip-mix seeds, then runs only the worst inputs and the load test.
Environment: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench),
BENCH_SQLITE_PATH (default .bench/bench.db; the import database, exports and server logs go
beside it), REQUEST_DEADLINE_SECONDS, DB_POOL_SIZE, DB_POOL_TIMEOUT (passed to the server).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Time the queries, not the throttle; keep the per-request access log out of the table.
os.environ.setdefault("RATE_LIMIT_ENABLED", "false")
os.environ.setdefault("WEBHOOKS_WORKER_ENABLED", "false")  # no deliveries to time
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Cursors need a secret: an explicit one, so no secret file appears beside ./escouting.db.
os.environ.setdefault("SECRET_KEY", "bench-only-cursor-secret")

from alembic import command  # noqa: E402

from app.auth.caller import SYSTEM  # noqa: E402
from app.auth.service import create_api_key  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import alembic_config, build_engine, get_session  # noqa: E402
from app.demo import PROVINCES as DEMO_PROVINCES  # noqa: E402
from app.demo import seed_demo  # noqa: E402
from app.main import app  # noqa: E402
from app.scouting.schemas import MAX_CODES  # noqa: E402
from app.scouting.service import clear_ranking_cache as clear_scouting_cache  # noqa: E402
from app.search.cache import clear_caches, count_cache, ranking_cache  # noqa: E402
from app.search.cursors import decode_cursor, encode_cursor  # noqa: E402
from app.suppliers.validation import PROVINCES  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench"
)
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH", ROOT / ".bench" / "bench.db")).resolve()
API = "/api/v1/suppliers"
VARESE = "45.8206,8.8251"
ALL_FACETS = "supply_chain,capability,certification,province,size_class,tier"

Query = Callable[[TestClient], dict]
# A query, or (an untimed step before every run, the query).
Entry = Query | tuple[Callable[[TestClient], None], Query]


def bench_file(suffix: str) -> Path:
    """A file beside the SQLite bench database, named after it (e.g. bench_import.db)."""
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return SQLITE_PATH.with_name(SQLITE_PATH.stem + suffix)


def fresh_database(backend: str, suffix: str = "") -> str:
    if backend == "sqlite":
        path = bench_file(f"{suffix}{SQLITE_PATH.suffix}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(PG_URL)
    url = url.set(database=f"{url.database}{suffix}")
    name = url.database
    admin = build_engine(
        make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def get(client: TestClient, params: dict) -> dict:
    response = client.get(API, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def typo_name(engine: Engine) -> str:
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT name FROM supplier ORDER BY id LIMIT 1 OFFSET 777")
        ).scalar_one()
    return drop_a_letter(name)


def drop_a_letter(name: str) -> str:
    """Drop one letter from the longest word: a typical typo."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


def match_candidate(engine: Engine) -> tuple[dict, dict[str, str]]:
    """A partner's record of an existing supplier (a typo in the name), and a partner key."""
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM supplier")).scalar_one()
        row = conn.execute(
            text(
                "SELECT name, street, city, province, postal_code FROM supplier "
                "ORDER BY id LIMIT 1 OFFSET :n"
            ),
            {"n": 4242 % count},  # the 4243rd, or any supplier of a small bench
        ).one()
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="partner")
        session.commit()
    address = {k: getattr(row, k) for k in ("street", "city", "province", "postal_code")}
    body = {"name": drop_a_letter(row.name).upper() + " S.R.L.", "address": address}
    return body, {"Authorization": f"Bearer {plaintext}"}


def match(client: TestClient, body: dict, headers: dict[str, str]) -> dict:
    response = client.post(f"{API}/match", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"], "the bench's candidate should match its supplier"
    return response.json()


def deep_cursor(client: TestClient, params: dict, depth: int) -> str:
    cursor = None
    for _ in range(depth):
        body = get(client, {**params, **({"cursor": cursor} if cursor else {})})
        cursor = body["next_cursor"]
    assert cursor is not None
    return cursor


def scouting_request(client: TestClient, engine: Engine) -> tuple[int, dict[str, str]]:
    """A typical buyer's request (one chain, EN 9100, three capabilities, 60 km) and its key."""
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="buyer")
        session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    lat, lon = (float(part) for part in VARESE.split(","))
    body = {
        "title": "Titanium rotor parts",
        "description": "Fresatura a 5 assi di particolari in titanio per elicotteri, con "
        "controlli non distruttivi.",
        "supply_chains": ["rotary-wing"],
        "required_certifications": ["en-9100"],
        "required_capabilities": ["machining.milling-5-axis", "machining.titanium", "testing.ndt"],
        "preferred_capabilities": ["surface-treatment.anodizing"],
        "near": {"lat": lat, "lon": lon, "radius_km": 60},
        "size_classes": ["small", "medium"],
    }
    response = client.post("/api/v1/scouting-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], headers


def supplier_writer(engine: Engine) -> Callable[[TestClient], None]:
    """A step that changes one supplier (its head count) per call, as an admin would."""
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="admin")
        session.commit()
        last = session.execute(text("SELECT max(id) FROM supplier")).scalar_one()
    headers = {"Authorization": f"Bearer {plaintext}"}
    calls = iter(range(1, 10**6))

    def write(client: TestClient) -> None:
        n = next(calls)
        supplier = n * 37 % last + 1
        response = client.patch(
            f"{API}/{supplier}", json={"employees": 10 + n % 200}, headers=headers
        )
        assert response.status_code == 200, response.text

    return write


def scouting_matches(client: TestClient, request_id: int, headers: dict[str, str]) -> dict:
    response = client.get(f"/api/v1/scouting-requests/{request_id}/matches", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"], "the bench's scouting request should have matches"
    return response.json()


def queries(client: TestClient, engine: Engine) -> dict[str, Entry]:
    typo = typo_name(engine)
    page31 = deep_cursor(client, {"limit": 20}, 30)
    candidate, partner = match_candidate(engine)
    scouting = scouting_request(client, engine)
    write = supplier_writer(engine)
    return {
        "first page, sorted by name": lambda c: get(c, {}),
        "space + EN 9100 + Varese/Milano": lambda c: get(
            c, {"supply_chain": "space", "certification": "en-9100", "province": ["VA", "MI"]}
        ),
        "machining subtree + small/micro": lambda c: get(
            c, {"capability": "machining", "size_class": ["small", "micro"]}
        ),
        "q IT: fresatura titanio": lambda c: get(c, {"q": "fresatura titanio"}),
        "q EN: 5-axis milling titanium": lambda c: get(c, {"q": "5-axis milling titanium"}),
        "q typo in a company name": lambda c: get(c, {"q": typo}),
        "near Varese 60 km by distance": lambda c: get(
            c, {"near": VARESE, "radius_km": 60, "sort": "distance"}
        ),
        "all facets, no filter": lambda c: get(c, {"facets": ALL_FACETS}),
        "all facets + rotary wing + q": lambda c: get(
            c, {"facets": ALL_FACETS, "supply_chain": "rotary-wing", "q": "elicotteri"}
        ),
        "page 31 (30 cursors deep)": lambda c: get(c, {"limit": 20, "cursor": page31}),
        "Nadcap cluster-verified, newest": lambda c: get(
            c,
            {
                "certification": "nadcap-chemical-processing",
                "verification": "cluster-verified",
                "sort": "-updated_at",
            },
        ),
        "match: typo in name + address (partner)": lambda c: match(c, candidate, partner),
        "scouting matches (rotary wing, EN 9100, 3 capabilities, 60 km)": lambda c: (
            scouting_matches(c, *scouting)
        ),
        "scouting matches, after a supplier write": (
            write,
            lambda c: scouting_matches(c, *scouting),
        ),
        "spec example (space, EN 9100, Nadcap, 5-axis, 60 km)": lambda c: get(
            c,
            {
                "supply_chain": "space",
                "certification": ["en-9100", "nadcap-chemical-processing"],
                "capability": "machining.milling-5-axis",
                "near": VARESE,
                "radius_km": 60,
                "facets": ALL_FACETS,
            },
        ),
    }


def client_for(engine: Engine) -> Iterator[TestClient]:
    def session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as db:
            yield db
            db.commit()

    app.dependency_overrides[get_session] = session
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


Timings = dict[str, dict[str, list[float]]]  # mode (warm, cold) -> query -> samples


def time_exports(client: TestClient, engine: Engine) -> dict[str, tuple[float, float]]:
    """Seconds and megabytes to stream every supplier, per export format."""
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="partner")
        session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    results = {}
    for fmt in ("jsonl", "csv"):
        started = time.perf_counter()
        size = 0
        with (
            client.stream("GET", f"{API}/export", params={"format": fmt}, headers=headers) as r,
            export_file(fmt).open("wb") as out,
        ):
            assert r.status_code == 200, r.read()
            for chunk in r.iter_bytes():
                size += len(chunk)
                out.write(chunk)
        results[f"export {fmt}"] = (time.perf_counter() - started, size / 1e6)
    return results


def export_file(fmt: str) -> Path:
    return bench_file(f".export.{fmt}")


def time_imports(backend: str) -> dict[str, tuple[float, float]]:
    """Seconds to import the CSV export into an empty database, then the same file again."""
    url = fresh_database(backend, suffix="_import")
    command.upgrade(alembic_config(url), "head")
    engine = build_engine(url)
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="admin")
        session.commit()
    headers = {"Authorization": f"Bearer {plaintext}", "Content-Type": "text/csv"}
    path = export_file("csv")
    size = path.stat().st_size / 1e6
    results = {}
    for client in client_for(engine):
        for name, params, expect in (
            ("import csv, all new", {}, "created"),
            ("import csv again (no-op)", {}, "unchanged"),
            ("import csv, dry run", {"dry_run": "true"}, "unchanged"),
        ):
            started = time.perf_counter()
            with path.open("rb") as body:
                r = client.post(f"{API}/import", content=body, params=params, headers=headers)
            assert r.status_code == 200, r.text[:2000]
            assert r.json()[expect] == r.json()["rows"] > 0, r.json()["rows"]
            results[name] = (time.perf_counter() - started, size)
    engine.dispose()
    return results


# ---------------------------------------------------------------- worst inputs (issue 15)

# Italian and English words found in nearly every profile (or stop words): 32, the cap of `q`.
# fmt: off
COMMON_WORDS = (
    "di", "e", "il", "la", "per", "con", "da", "del", "della", "che", "un", "una", "le", "lo",
    "in", "a", "al", "the", "and", "of", "to", "for", "with", "on", "is", "at", "by", "an",
    "as", "from", "it", "be",
)
# fmt: on
# The first four inputs are refused (422) and must be within 1 s; the others are searched.
REFUSED = 422
ANSWERED = (200, 503)  # 503: past REQUEST_DEADLINE_SECONDS
# The deadline bounds the time in the database; this much more is allowed for the rest.
DEADLINE_SLACK = 0.5
# Issue 15, item 6: at the caps, a scouting request's matches answer within 3 s.
SCOUTING_AT_CAPS_WITHIN = 3.0


@dataclass
class Hostile:
    """One worst input: the statuses it may get, and the request (answers the status)."""

    expected: tuple[int, ...]
    ask: Callable[[TestClient], int]
    # Longest it may take (s); None: the request deadline, plus DEADLINE_SLACK.
    within: float | None = None


def status_of(client: TestClient, params: dict, headers: dict[str, str] | None = None) -> int:
    return client.get(API, params=params, headers=headers).status_code


def codes(client: TestClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()]


def provinces(n: int) -> list[str]:
    """n distinct valid province codes: the demo's first, then others (alphabetical)."""
    demo = [p[0] for p in DEMO_PROVINCES]
    return (demo + sorted(PROVINCES - set(demo)))[:n]


def forged_cursor(client: TestClient) -> str:
    """A genuine next_cursor of the first page, re-signed with a huge number as its `i`."""
    cursor = get(client, {})["next_cursor"]
    assert cursor is not None
    return encode_cursor({**decode_cursor(cursor), "i": 10**30})


def long_description(client: TestClient) -> str:
    """Every distinct word of the catalogue (capability names in Italian and English, supply
    chains, certification standards), as much of it as the field takes."""
    texts = [f"{c['name_it']} {c['name_en']}" for c in client.get("/api/v1/capabilities").json()]
    texts += [
        f"{c['name_it']} {c['name_en']} {c['description']}"
        for c in client.get("/api/v1/supply-chains").json()
    ]
    texts += [c["name"] for c in client.get("/api/v1/certification-standards").json()]
    words = (word.strip("()[],.;:/'\"").lower() for text in texts for word in text.split())
    return " ".join(dict.fromkeys(word for word in words if len(word) > 2))[:20_000]


def scouting_at_caps(client: TestClient, engine: Engine) -> tuple[Hostile, Hostile, str]:
    """Create (buyer) a scouting request with every list at its cap, then read its first
    page of matches; and a line describing the request."""
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="buyer")
        session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    capabilities = codes(client, "/api/v1/capabilities")
    # Distinct required and preferred codes while there are enough; else each list as full
    # as the catalogue allows.
    required = capabilities[:MAX_CODES]
    rest = capabilities[MAX_CODES:]
    preferred = rest[:MAX_CODES] if len(rest) >= MAX_CODES else capabilities[-MAX_CODES:]
    lat, lon = (float(part) for part in VARESE.split(","))
    description = long_description(client)
    body = {
        "title": "Everything, everywhere",
        "description": description,
        "supply_chains": codes(client, "/api/v1/supply-chains"),
        "required_capabilities": required,
        "preferred_capabilities": preferred,
        "provinces": provinces(MAX_CODES),
        "size_classes": ["micro", "small", "medium", "large"],
        "near": {"lat": lat, "lon": lon, "radius_km": 500},
    }
    created: dict[str, int] = {}

    def create(c: TestClient) -> int:
        response = c.post("/api/v1/scouting-requests", json=body, headers=headers)
        if response.status_code == 201:
            created["id"] = response.json()["id"]
        return response.status_code

    def matches(c: TestClient) -> int:
        if "id" not in created:
            return 0  # the request was not created
        path = f"/api/v1/scouting-requests/{created['id']}/matches"
        return c.get(path, headers=headers).status_code

    about = (
        f"scouting request at the caps: {len(body['supply_chains'])} chains, "
        f"{len(required)} required + {len(preferred)} preferred capabilities "
        f"({len(set(required) | set(preferred))} distinct), {len(body['provinces'])} provinces, "
        f"4 size classes, near Varese 500 km, description of {len(description.split())} "
        f"distinct words ({len(description)} characters), no certification"
    )
    return (
        Hostile((201,), create),
        Hostile(ANSWERED, matches, within=SCOUTING_AT_CAPS_WITHIN),
        about,
    )


def hostile_requests(client: TestClient, engine: Engine) -> tuple[dict[str, Hostile], str]:
    capabilities = codes(client, "/api/v1/capabilities")
    standards = codes(client, "/api/v1/certification-standards")
    fifty = (capabilities * MAX_CODES)[:50]
    cursor = forged_cursor(client)
    create, matches, about = scouting_at_caps(client, engine)

    def ask(params: dict) -> Hostile:
        return Hostile(ANSWERED, lambda c: status_of(c, params))

    def refused(params: dict) -> Hostile:
        return Hostile((REFUSED,), lambda c: status_of(c, params), within=1.0)

    return {
        "q: 250 one-letter words joined by dots": refused({"q": ".".join(["e"] * 250)}),
        "capability=% repeated 50 times": refused({"capability": ["%"] * 50}),
        "51 comma-separated capabilities in one value": refused(
            {"capability": ",".join((capabilities * 51)[:51])}
        ),
        "forged cursor with i = 10**30": refused({"cursor": cursor}),
        "q=e + all facets": ask({"q": "e", "facets": ALL_FACETS}),
        "q: 32 common short words + all facets": ask(
            {"q": " ".join(COMMON_WORDS), "facets": ALL_FACETS}
        ),
        "q: 16 common words joined by ' or '": ask({"q": " or ".join(COMMON_WORDS[:16])}),
        "q=-e (exclusion only)": ask({"q": "-e"}),
        f"{len(set(fifty))} distinct capabilities + all facets": ask(
            {"capability": fifty, "facets": ALL_FACETS}
        ),
        f"all {len(standards)} certification standards + all facets": ask(
            {"certification": standards, "facets": ALL_FACETS}
        ),
        "all facets, no filter": ask({"facets": ALL_FACETS}),
        "near, radius 20,000 km, by distance + all facets": ask(
            {"near": "45.8,8.8", "radius_km": 20000, "sort": "distance", "facets": ALL_FACETS}
        ),
        "50 provinces + near, by distance + all facets": ask(
            {
                "province": provinces(50),
                "near": "45.8,8.8",
                "radius_km": 20000,
                "sort": "distance",
                "facets": ALL_FACETS,
            }
        ),
        "36-char q, updated since 2000, newest + all facets": ask(
            {
                "q": "lavorazioni meccaniche di precisione",
                "updated_since": "2000-01-01",
                "sort": "-updated_at",
                "facets": ALL_FACETS,
            }
        ),
        "scouting at the caps: create (buyer)": create,
        "scouting at the caps: first matches page (buyer)": matches,
    }, about


Worst = dict[str, tuple[int, float, Hostile]]  # request -> (status, ms, what was expected)


def time_hostile(client: TestClient, engine: Engine) -> tuple[Worst, str]:
    """Ask each worst input once, cold (search and scouting caches emptied before each)."""
    requests, about = hostile_requests(client, engine)
    results: Worst = {}
    for name, hostile in requests.items():
        clear_caches()
        clear_scouting_cache()
        started = time.perf_counter()
        status = hostile.ask(client)
        results[name] = (status, (time.perf_counter() - started) * 1000, hostile)
    return results, about


def hostile_problems(status: int, ms: float, hostile: Hostile, deadline: float) -> list[str]:
    """What is wrong with one worst input's answer (nothing, usually)."""
    problems = []
    if status not in hostile.expected:
        expected = " or ".join(map(str, hostile.expected))
        problems.append(f"status {status}, expected {expected}")
    if hostile.within is not None and ms >= hostile.within * 1000:
        problems.append(f"{ms:.0f} ms, promised under {hostile.within:g} s")
    elif hostile.within is None and ms > (deadline + DEADLINE_SLACK) * 1000:
        problems.append(f"{ms:.0f} ms, past the {deadline:g} s deadline")
    return problems


# ---------------------------------------------------------------- /healthz under load

PROBE_INTERVAL = 0.05  # seconds between two /healthz probes
IDLE_SECONDS = 5
SERVER_SECRET = "bench-server-secret-0123456789abcdefghij"  # 40 characters, fixed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    """`escouting serve` of this checkout (the venv's script, else the module)."""
    script = Path(sys.executable).with_name("escouting")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def probe(http: httpx.Client, keep_going: Callable[[], bool]) -> tuple[list[float], int]:
    """GET /healthz every PROBE_INTERVAL while keep_going(): latencies (ms), failed probes."""
    samples: list[float] = []
    failed = 0
    tick = time.monotonic()
    while keep_going():
        started = time.perf_counter()
        try:
            ok = http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            ok = False
        samples.append((time.perf_counter() - started) * 1000)
        failed += not ok
        tick = max(tick + PROBE_INTERVAL, time.monotonic())
        time.sleep(max(0.0, tick - time.monotonic()))
    return samples, failed


def wait_until_up(http: httpx.Client, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within 60 s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> int:
    """Stop a process as Ctrl-C would (uvicorn shuts down gracefully); kill it if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def load_test(url: str, backend: str, clients: int, seconds: float) -> dict[str, Any]:
    """Serve the bench database with `escouting serve` (one worker); probe /healthz idle,
    then while `clients` clients (bench/load.py, another process) search for `seconds`."""
    settings = get_settings()
    env = os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": SERVER_SECRET,
        "RATE_LIMIT_ENABLED": "false",
        "WEBHOOKS_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "DB_POOL_SIZE": str(settings.db_pool_size),
        "DB_POOL_TIMEOUT": str(settings.db_pool_timeout),
        "REQUEST_DEADLINE_SECONDS": str(settings.request_deadline_seconds),
        "PYTHONPATH": str(ROOT),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = bench_file(f".server-{backend}.log")
    samples_file = bench_file(f".load-{backend}.json")
    with log.open("w") as out:
        server = subprocess.Popen(
            [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=base, timeout=120) as http:
            wait_until_up(http, server, log)
            until = time.monotonic() + IDLE_SECONDS
            idle, idle_failed = probe(http, lambda: time.monotonic() < until)
            load = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "load.py"),
                    *("--url", base, "--clients", str(clients), "--seconds", str(seconds)),
                    *("--out", str(samples_file)),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert load.stdout is not None
            if load.stdout.readline().strip() != "started":
                stop(load)
                raise RuntimeError("bench/load.py did not start")
            started = time.perf_counter()
            busy, busy_failed = probe(http, lambda: load.poll() is None)
            elapsed = time.perf_counter() - started
            assert load.wait() == 0, "bench/load.py failed"
    finally:
        exit_code = stop(server)
    searches = json.loads(samples_file.read_text())["samples"]
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {
        "pool": (settings.db_pool_size, settings.db_pool_timeout),
        "idle": idle,
        "idle_failed": idle_failed,
        "busy": busy,
        "busy_failed": busy_failed,
        "elapsed": elapsed,
        "searches": searches,
        "exit_code": exit_code,
        "log": log,
        "log_levels": {
            level: sum(1 for line in lines if line.get("level") == level)
            for level in ("warning", "error", "critical")
        },
        "log_errors": [line for line in lines if line.get("level") in ("error", "critical")],
        "log_other": [line for line in log.read_text().splitlines() if not line.startswith("{")],
    }


# ---------------------------------------------------------------- one database


@dataclass
class Result:
    seeding: float
    timings: Timings = field(default_factory=dict)
    exports: dict[str, tuple[float, float]] = field(default_factory=dict)
    worst: Worst = field(default_factory=dict)
    scouting_caps: str = ""
    load: dict[str, Any] = field(default_factory=dict)


def run_backend(
    backend: str, suppliers: int, repeat: int, *, mix: bool, clients: int, seconds: float
) -> Result:
    url = fresh_database(backend)
    command.upgrade(alembic_config(url), "head")
    engine = build_engine(url)
    started = time.perf_counter()
    summary = seed_demo(engine=engine, suppliers=suppliers, seed=42)
    seeding = time.perf_counter() - started
    # Steady state as autovacuum would leave it: statistics and visibility map up to date.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"))
    print(f"{backend}: seeded {summary.suppliers} suppliers in {seeding:.1f} s", flush=True)
    assert count_cache() and ranking_cache(), "the bench expects the search caches on"
    result = Result(seeding=seeding)
    for client in client_for(engine):
        if mix:
            result.timings = time_mix(client, engine, repeat)
        result.worst, result.scouting_caps = time_hostile(client, engine)
        print(f"{backend}: worst inputs done", flush=True)
        if mix:
            result.exports = time_exports(client, engine)
    engine.dispose()
    result.load = load_test(url, backend, clients, seconds)
    print(f"{backend}: load test done", flush=True)
    if mix:
        result.exports |= time_imports(backend)
    return result


def time_mix(client: TestClient, engine: Engine, repeat: int) -> Timings:
    timings: Timings = {"warm": {}, "cold": {}}
    mix = queries(client, engine)
    for name, entry in mix.items():
        step, run = entry if isinstance(entry, tuple) else (None, entry)
        run(client)  # warm-up
        for mode in ("warm", "cold"):
            samples = []
            for _ in range(repeat):
                if step is not None:
                    step(client)
                if mode == "cold":
                    clear_caches()
                    clear_scouting_cache()
                t0 = time.perf_counter()
                run(client)
                samples.append((time.perf_counter() - t0) * 1000)
            timings[mode][name] = samples
    return timings


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---------------------------------------------------------------- tables


def print_mix(results: dict[str, Result], backends: list[str], args: argparse.Namespace) -> None:
    names = list(results[backends[0]].timings["warm"])
    width = max(len(n) for n in names) + 2
    columns = [(b, mode) for b in backends for mode in ("warm", "cold")]
    header = f"{'query':<{width}}" + "".join(
        f"{f'{b} {mode} p50':>20}{f'{b} {mode} p95':>20}" for b, mode in columns
    )
    print()
    print(f"{args.suppliers} suppliers, {args.repeat} runs per query and mode (ms)")
    print(header)
    print("-" * len(header))
    for name in names:
        row = f"{name:<{width}}"
        for b, mode in columns:
            samples = results[b].timings[mode][name]
            row += f"{statistics.median(samples):>20.1f}{pct(samples, 0.95):>20.1f}"
        print(row)
    print("-" * len(header))
    row = f"{'whole mix':<{width}}"
    for b, mode in columns:
        pooled = [s for samples in results[b].timings[mode].values() for s in samples]
        row += f"{statistics.median(pooled):>20.1f}{pct(pooled, 0.95):>20.1f}"
    print(row)
    print(f"{'seeding (s)':<{width}}" + "".join(f"{results[b].seeding:>80.1f}" for b in backends))
    for name in results[backends[0]].exports:
        cells = (
            f"{results[b].exports[name][0]:.1f} s, {results[b].exports[name][1]:.0f} MB"
            for b in backends
        )
        print(f"{name + ' (s, MB)':<{width}}" + "".join(f"{cell:>80}" for cell in cells))


def print_worst(
    results: dict[str, Result], backends: list[str], suppliers: int, deadline: float
) -> list[str]:
    """The worst-inputs table; answers the problems found (empty: all as expected)."""
    names = list(results[backends[0]].worst)
    width = max(len(n) for n in names) + 2
    header = f"{'request':<{width}}" + "".join(
        f"{f'{b} status':>20}{f'{b} ms':>14}" for b in backends
    )
    print()
    print(
        f"Worst inputs at {suppliers} suppliers: each asked once, cold, anonymous unless "
        f"noted (REQUEST_DEADLINE_SECONDS={deadline:g}: past it 503; the first four must be "
        f"422 within 1 s, the scouting matches within {SCOUTING_AT_CAPS_WITHIN:g} s)"
    )
    print(header)
    print("-" * len(header))
    problems = []
    for name in names:
        row = f"{name:<{width}}"
        for b in backends:
            status, ms, hostile = results[b].worst[name]
            found = hostile_problems(status, ms, hostile, deadline)
            problems += [f"{b}: {name}: {p}" for p in found]
            row += f"{status:>19}{'!' if found else ' '}{ms:>14.1f}"
        print(row)
    print("-" * len(header))
    row = f"{'slowest':<{width}}"
    for b in backends:
        row += f"{'':>20}{max(ms for _, ms, _ in results[b].worst.values()):>14.1f}"
    print(row)
    for b in backends:
        name, (status, ms, _) = max(results[b].worst.items(), key=lambda item: item[1][1])
        print(f"  slowest on {b}: {name} ({status}, {ms:.1f} ms)")
    print(f"  {results[backends[0]].scouting_caps}")
    for problem in problems:
        print(f"  ! {problem}")
    return problems


def print_load(
    results: dict[str, Result], backends: list[str], args: argparse.Namespace, deadline: float
) -> list[str]:
    """The /healthz-under-load table; answers the problems found."""
    pool_size, pool_timeout = results[backends[0]].load["pool"]
    print()
    print(
        f"/healthz under load at {args.suppliers} suppliers: `escouting serve` (1 worker, "
        f"DB_POOL_SIZE={pool_size}, DB_POOL_TIMEOUT={pool_timeout:g} s, "
        f"REQUEST_DEADLINE_SECONDS={deadline:g}), probed every {PROBE_INTERVAL * 1000:.0f} ms, "
        f"idle for {IDLE_SECONDS} s, then while {args.load_clients} clients search for "
        f"{args.load_seconds:g} s (ms)"
    )

    def spread(samples: list[float]) -> str:
        if not samples:
            return "-"
        return f"{statistics.median(samples):.1f} / {pct(samples, 0.99):.1f} / {max(samples):.1f}"

    rows: dict[str, dict[str, str]] = {}
    problems = []
    for b in backends:
        load = results[b].load
        searches = load["searches"]
        ok = [ms for status, ms, _ in searches if status == 200]
        counts: dict[str, int] = {}
        for status, _, kind in searches:
            label = f"{status} {kind}".strip()
            counts[label] = counts.get(label, 0) + 1
        rows.setdefault("healthz idle: p50 / p99 / max", {})[b] = spread(load["idle"])
        rows.setdefault("healthz idle: probes (failed)", {})[b] = (
            f"{len(load['idle'])} ({load['idle_failed']})"
        )
        rows.setdefault("healthz under load: p50 / p99 / max", {})[b] = spread(load["busy"])
        rows.setdefault("healthz under load: probes (failed, over 100 ms)", {})[b] = (
            f"{len(load['busy'])} ({load['busy_failed']}, {sum(ms > 100 for ms in load['busy'])})"
        )
        rows.setdefault("searches completed (per second)", {})[b] = (
            f"{len(searches)} ({len(searches) / load['elapsed']:.0f}/s)"
        )
        rows.setdefault("search statuses", {})[b] = ", ".join(
            f"{label}: {n}" for label, n in sorted(counts.items())
        )
        rows.setdefault("search, all: p50 / p99 / max", {})[b] = spread(
            [ms for _, ms, _ in searches]
        )
        rows.setdefault("search, 200 only: p50 / p99 / max", {})[b] = spread(ok)
        rows.setdefault("server log: warnings, errors", {})[b] = (
            f"{load['log_levels']['warning']}, "
            f"{load['log_levels']['error'] + load['log_levels']['critical']}"
        )
        rows.setdefault("server exit code after SIGINT", {})[b] = str(load["exit_code"])
        if load["busy"] and pct(load["busy"], 0.99) >= 100:
            problems.append(f"{b}: /healthz p99 under load {pct(load['busy'], 0.99):.1f} ms")
        if load["idle_failed"] or load["busy_failed"]:
            problems.append(f"{b}: failed /healthz probes")
        slowest = max((ms for _, ms, _ in searches), default=0)
        if slowest > (pool_timeout + deadline) * 1000:
            problems.append(
                f"{b}: a search took {slowest:.0f} ms, more than the pool timeout and the "
                "deadline together"
            )
        unexpected = {k: n for k, n in counts.items() if not k.startswith(("200", "503"))}
        if unexpected:
            problems.append(f"{b}: unexpected search answers {unexpected}")
        for line in load["log_errors"][:5]:
            problems.append(f"{b}: server log: {json.dumps(line)[:300]}")
        if load["log_other"]:
            problems.append(f"{b}: server output: {' | '.join(load['log_other'][:5])[:300]}")
        if load["exit_code"] != 0:
            problems.append(f"{b}: server exit code {load['exit_code']} (log: {load['log']})")
    width = max(len(n) for n in rows) + 2
    column = max(28, *(len(v) + 2 for r in rows.values() for v in r.values()))
    header = f"{'measure':<{width}}" + "".join(f"{b:>{column}}" for b in backends)
    print(header)
    print("-" * len(header))
    for name, values in rows.items():
        print(f"{name:<{width}}" + "".join(f"{values[b]:>{column}}" for b in backends))
    for problem in problems:
        print(f"  ! {problem}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument(
        "--skip-mix",
        action="store_true",
        help="seed, then run only the worst inputs and the load test",
    )
    parser.add_argument("--load-clients", type=int, default=64)
    parser.add_argument("--load-seconds", type=float, default=15)
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    results = {
        b: run_backend(
            b,
            args.suppliers,
            args.repeat,
            mix=not args.skip_mix,
            clients=args.load_clients,
            seconds=args.load_seconds,
        )
        for b in backends
    }
    deadline = get_settings().request_deadline_seconds
    if args.skip_mix:
        print()
        for b in backends:
            print(f"{b}: seeding {results[b].seeding:.1f} s")
    else:
        print_mix(results, backends, args)
    problems = print_worst(results, backends, args.suppliers, deadline)
    problems += print_load(results, backends, args, deadline)
    if problems:
        sys.exit(f"\n{len(problems)} problem(s); see the lines marked '!' above.")


if __name__ == "__main__":
    main()

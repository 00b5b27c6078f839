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
Usage: python bench/run.py [--suppliers N] [--repeat R] [--backend sqlite|postgresql]
Environment: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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
from app.db import alembic_config, build_engine, get_session  # noqa: E402
from app.demo import seed_demo  # noqa: E402
from app.main import app  # noqa: E402
from app.scouting.service import clear_ranking_cache as clear_scouting_cache  # noqa: E402
from app.search.cache import clear_caches, count_cache, ranking_cache  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench"
)
API = "/api/v1/suppliers"
VARESE = "45.8206,8.8251"
ALL_FACETS = "supply_chain,capability,certification,province,size_class,tier"

Query = Callable[[TestClient], dict]
# A query, or (an untimed step before every run, the query).
Entry = Query | tuple[Callable[[TestClient], None], Query]


def fresh_database(backend: str, suffix: str = "") -> str:
    if backend == "sqlite":
        path = ROOT / ".bench" / f"bench{suffix}.db"
        path.parent.mkdir(exist_ok=True)
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
        row = conn.execute(
            text(
                "SELECT name, street, city, province, postal_code FROM supplier "
                "ORDER BY id LIMIT 1 OFFSET 4242"
            )
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
    return ROOT / ".bench" / f"export.{fmt}"


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


def run_backend(
    backend: str, suppliers: int, repeat: int
) -> tuple[float, Timings, dict[str, tuple[float, float]]]:
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
    timings: Timings = {"warm": {}, "cold": {}}
    for client in client_for(engine):
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
        exports = time_exports(client, engine)
    engine.dispose()
    exports |= time_imports(backend)
    return seeding, timings, exports


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    results = {b: run_backend(b, args.suppliers, args.repeat) for b in backends}

    names = list(next(iter(results.values()))[1]["warm"])
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
            samples = results[b][1][mode][name]
            row += f"{statistics.median(samples):>20.1f}{pct(samples, 0.95):>20.1f}"
        print(row)
    print("-" * len(header))
    row = f"{'whole mix':<{width}}"
    for b, mode in columns:
        pooled = [s for samples in results[b][1][mode].values() for s in samples]
        row += f"{statistics.median(pooled):>20.1f}{pct(pooled, 0.95):>20.1f}"
    print(row)
    print(f"{'seeding (s)':<{width}}" + "".join(f"{results[b][0]:>80.1f}" for b in backends))
    for name in results[backends[0]][2]:
        print(
            f"{name + ' (s, MB)':<{width}}"
            + "".join(
                f"{f'{results[b][2][name][0]:.1f} s, {results[b][2][name][1]:.0f} MB':>80}"
                for b in backends
            )
        )


if __name__ == "__main__":
    main()

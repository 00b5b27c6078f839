"""`make bench`: seed a demo registry on SQLite and PostgreSQL, serve it, time what buyers get.

Per database: a fresh database, `escouting seed-demo --suppliers N` (the command, timed), then
the real `escouting serve` (one worker, timed from launch to the first 200 of `/readyz`), and
everything else through its HTTP API:
- cold (the main table): `--queries` distinct random buyer search pages (bench/workload.py:
  filters, bilingual text, facets, geo, every sort, deep cursors) and `--scouting` distinct
  scouting requests (created, then their first page of matches timed), each asked once, with a
  supplier write (PATCH) before every 20, so no per-query cache can answer; next to the p50/p95
  of sequential `/healthz` calls to the same server (the floor of any request);
- scale: seeding time, start-up to ready, resident memory of the serving process;
- suggestions as you type: `--suggest` distinct prefixes of names, capability labels (both
  languages), standards and programs, some with a typo (bench/suggest.py), each asked once,
  with a supplier write before every 20;
- warm: named typical queries, each asked again and again (what the caches make of them);
- bulk exchange: both exports, then the CSV imported into an empty database (all new), again
  (nothing changes) and as a dry run (skipped above EXCHANGE_MAX suppliers unless asked);
- issue 15's promises: the worst inputs (each asked once, after a write), and `/healthz`
  probed every 50 ms idle and while 64 clients (bench/load.py, a process of its own) search.
Prints Markdown tables to stdout (progress goes to stderr), then the problems found (a query
not answered 200, a broken promise), and exits non-zero if there are any. Every cold request
is also written, one JSON line each, to <bench db>.searches-<database>.jsonl and
.scouting-<database>.jsonl, to replay the slow ones.

Usage: python bench/run.py [--suppliers N] [--backend sqlite|postgresql] [--queries N]
       [--scouting N] [--suggest N] [--seed S] [--no-cold] [--no-warm] [--repeat R]
       [--exchange|--no-exchange] [--skip-mix] [--load-clients C] [--load-seconds S]
Environment: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench;
the import database gets the suffix _import), BENCH_SQLITE_PATH (default .bench/bench.db; the
import database, exports, server logs and samples go beside it), REQUEST_DEADLINE_SECONDS,
DB_POOL_SIZE, DB_POOL_TIMEOUT (passed to the server).
"""

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import BinaryIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Cursors are signed: the bench forges one with the same secret as its server.
os.environ.setdefault("SECRET_KEY", "bench-server-secret-0123456789abcdefghij")

import httpx  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.caller import SYSTEM  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import alembic_config, build_engine  # noqa: E402
from app.keys.service import create_api_key  # noqa: E402
from app.search.engine import snapshot_dir  # noqa: E402
from bench import report  # noqa: E402
from bench.cold import Ask, Writer, time_scouting, time_searches  # noqa: E402
from bench.named import named_queries, time_warm, time_worst  # noqa: E402
from bench.report import Result  # noqa: E402
from bench.serving import (  # noqa: E402
    healthz_floor,
    load_test,
    server_command,
    server_env,
    server_log,
    server_rss_mb,
    serving,
)
from bench.suggest import time_suggestions  # noqa: E402
from bench.workload import API, Vocabulary, read_vocabulary, searches  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/escouting_bench"
)
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH", ROOT / ".bench" / "bench.db")).resolve()
DEMO_SEED = 42
EXCHANGE_MAX = 200_000  # larger benches skip the bulk export and import unless asked
LARGE_REPEAT = 5  # warm runs per named query above EXCHANGE_MAX suppliers (else 20)
HTTP_TIMEOUT = 600.0
SKIPPED_WHEN_LARGE = (
    f"bulk export/import not timed (--exchange times them), named queries asked "
    f"{LARGE_REPEAT} times each"
)
Headers = dict[str, str]


@dataclass(frozen=True)
class Keys:
    """Authorization headers of the bench's API keys."""

    admin: Headers
    buyer: Headers
    partner: Headers


def bench_file(suffix: str) -> Path:
    """A file beside the SQLite bench database, named after it (e.g. bench_import.db)."""
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return SQLITE_PATH.with_name(SQLITE_PATH.stem + suffix)


def fresh_database(backend: str, suffix: str = "") -> str:
    """An empty, migrated database: its URL."""
    if backend == "sqlite":
        path = bench_file(f"{suffix}{SQLITE_PATH.suffix}")
        for tail in ("", "-wal", "-shm"):
            Path(f"{path}{tail}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        pg = make_url(PG_URL).set(database=f"{make_url(PG_URL).database}{suffix}")
        admin = build_engine(
            make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
        ).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{pg.database}"'))
        admin.dispose()
        url = pg.render_as_string(hide_password=False)
    # A snapshot of an earlier run's index would be found out of date and rebuilt anyway;
    # removed so the scale table times this run's own build.
    snapshots = snapshot_dir(make_url(url), "auto")
    if snapshots is not None:
        shutil.rmtree(snapshots, ignore_errors=True)
    command.upgrade(alembic_config(url), "head")
    return url


def seed(url: str, suppliers: int) -> tuple[float, float | None]:
    """`escouting seed-demo` as a user runs it (whatever the command does after writing,
    such as refreshing planner statistics and building the search index snapshot, is part of
    it): seconds in all, and the index build's share as the command reports it."""
    started = time.perf_counter()
    done = subprocess.run(
        [*server_command(), "seed-demo", "--suppliers", str(suppliers), "--seed", str(DEMO_SEED)],
        env=server_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"seed-demo failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    # No VACUUM or ANALYZE here: the product must leave the planner's statistics current after
    # a bulk write, and the bench measures what a user gets right after `seed-demo`.
    built = re.search(r"search index of [\d,]+ suppliers built in ([\d.]+) s", done.stdout)
    return seconds, float(built.group(1)) if built else None


def create_keys(url: str) -> Keys:
    """An admin, a buyer and a partner key, written before the server starts."""
    engine = build_engine(url)
    headers = {}
    with Session(engine) as session:
        for role in ("admin", "buyer", "partner"):
            _key, plaintext = create_api_key(session=session, actor=SYSTEM, role=role)
            headers[role] = {"Authorization": f"Bearer {plaintext}"}
        session.commit()
    engine.dispose()
    return Keys(**headers)


# ---------------------------------------------------------------- bulk exchange


def export_file(fmt: str) -> Path:
    return bench_file(f".export.{fmt}")


def time_exports(http: httpx.Client, headers: Headers) -> dict[str, tuple[float, float]]:
    """Seconds and megabytes to stream every supplier, per export format."""
    results = {}
    for fmt in ("jsonl", "csv"):
        started = time.perf_counter()
        size = 0
        with (
            http.stream("GET", f"{API}/export", params={"format": fmt}, headers=headers) as r,
            export_file(fmt).open("wb") as out,
        ):
            assert r.status_code == 200, r.read()
            for chunk in r.iter_bytes():
                size += len(chunk)
                out.write(chunk)
        results[f"export {fmt}"] = (time.perf_counter() - started, size / 1e6)
    return results


def chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(1 << 20):
        yield chunk


def time_imports(backend: str) -> dict[str, tuple[float, float]]:
    """Seconds to import the CSV export into an empty database served by its own
    `escouting serve`, then the same file again, then as a dry run."""
    url = fresh_database(backend, suffix="_import")
    headers = create_keys(url).admin | {"Content-Type": "text/csv"}
    path = export_file("csv")
    size = path.stat().st_size / 1e6
    results = {}
    with (
        serving(url, bench_file(f".server-{backend}-import.log")) as server,
        httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT) as http,
    ):
        for name, params, expect in (
            ("import csv, all new", {}, "created"),
            ("import csv again (no-op)", {}, "unchanged"),
            ("import csv, dry run", {"dry_run": "true"}, "unchanged"),
        ):
            started = time.perf_counter()
            with path.open("rb") as body:
                r = http.post(f"{API}/import", content=chunks(body), params=params, headers=headers)
            assert r.status_code == 200, r.text[:2000]
            assert r.json()[expect] == r.json()["rows"] > 0, r.json()["rows"]
            results[name] = (time.perf_counter() - started, size)
    return results


# ---------------------------------------------------------------- one database


def save_asks(path: Path, asks: list[Ask]) -> None:
    """One JSON line per timed request (status, ms, page, items, what was asked), to replay
    or study the slow ones."""
    with path.open("w", encoding="utf-8") as out:
        for a in asks:
            out.write(json.dumps(dataclasses.asdict(a), ensure_ascii=False) + "\n")


def progress(backend: str, message: str) -> None:
    print(f"{backend}: {message}", file=sys.stderr, flush=True)


def measure_cold(
    http: httpx.Client,
    result: Result,
    args: argparse.Namespace,
    *,
    vocabulary: Vocabulary,
    writer: Writer,
    buyer: Headers,
) -> None:
    """The distinct searches and scouting requests, each asked once."""
    today = datetime.now(UTC).date()
    plans = searches(Random(f"{args.seed}:searches"), vocabulary, today)
    result.searches = time_searches(http, plans, count=args.queries, write=writer)
    save_asks(bench_file(f".searches-{result.backend}.jsonl"), result.searches)
    progress(result.backend, f"{len(result.searches)} distinct searches asked")
    result.scouting = time_scouting(
        http,
        count=args.scouting,
        headers=buyer,
        rnd=Random(f"{args.seed}:scouting"),
        v=vocabulary,
        today=today,
        write=writer,
    )
    save_asks(bench_file(f".scouting-{result.backend}.jsonl"), result.scouting)
    progress(result.backend, f"{len(result.scouting)} scouting requests asked")


def run_backend(backend: str, args: argparse.Namespace) -> Result:
    """Seed, serve and measure one database."""
    result = Result(backend, args.suppliers)
    url = fresh_database(backend)
    result.seeding, result.indexing = seed(url, args.suppliers)
    progress(backend, f"seeded {args.suppliers:,} suppliers in {result.seeding:.1f} s")
    keys = create_keys(url)
    with (
        serving(url, bench_file(f".server-{backend}.log")) as server,
        httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT) as http,
    ):
        result.ready, result.rss_ready = server.ready_seconds, server_rss_mb(server)
        progress(backend, f"ready in {result.ready:.1f} s")
        result.floor = healthz_floor(http)
        vocabulary = read_vocabulary(
            http, rnd=Random(f"{args.seed}:vocabulary"), max_id=args.suppliers
        )
        writer = Writer(
            http,
            headers=keys.admin,
            rnd=Random(f"{args.seed}:writes"),
            v=vocabulary,
            max_id=args.suppliers,
        )
        if args.cold:
            measure_cold(http, result, args, vocabulary=vocabulary, writer=writer, buyer=keys.buyer)
        if args.suggest:
            result.suggestions = time_suggestions(
                http,
                vocabulary,
                count=args.suggest,
                rnd=Random(f"{args.seed}:suggest"),
                write=writer,
            )
            save_asks(bench_file(f".suggest-{backend}.jsonl"), result.suggestions)
            progress(backend, f"{len(result.suggestions)} distinct prefixes suggested")
        if args.warm:
            mix = named_queries(
                http, buyer=keys.buyer, partner=keys.partner, max_id=args.suppliers, write=writer
            )
            result.warm = time_warm(http, mix, args.repeat)
            progress(backend, "warm mix done")
        result.worst, result.scouting_caps = time_worst(http, buyer=keys.buyer, write=writer)
        progress(backend, "worst inputs done")
        if args.exchange:
            result.exchange = time_exports(http, keys.partner)
        if args.load_clients:
            result.load = load_test(
                server,
                clients=args.load_clients,
                seconds=args.load_seconds,
                samples_file=bench_file(f".load-{backend}.json"),
            )
            progress(backend, "load test done")
        result.rss_after = server_rss_mb(server)
    result.server = server_log(server)
    if args.exchange:
        result.exchange |= time_imports(backend)
        progress(backend, "imports done")
    return result


# ---------------------------------------------------------------- command line


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--queries", type=int, default=200, help="distinct search pages asked")
    parser.add_argument("--scouting", type=int, default=30, help="distinct scouting requests")
    parser.add_argument(
        "--suggest", type=int, default=200, help="distinct prefixes asked of /suggest (0: none)"
    )
    parser.add_argument("--seed", type=int, default=16, help="seed of the random queries")
    parser.add_argument(
        "--cold",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="distinct queries, each asked once (the main table)",
    )
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="named queries, each asked --repeat times",
    )
    parser.add_argument("--repeat", type=int, help=f"default 20 ({LARGE_REPEAT} above 200,000)")
    parser.add_argument(
        "--exchange",
        action=argparse.BooleanOptionalAction,
        help=f"bulk export and import timings (default: up to {EXCHANGE_MAX:,} suppliers)",
    )
    parser.add_argument(
        "--skip-mix",
        action="store_true",
        help="seed and serve, then only the worst inputs and the load test",
    )
    parser.add_argument("--load-clients", type=int, default=64, help="0: no load test")
    parser.add_argument("--load-seconds", type=float, default=15)
    args = parser.parse_args()
    large = args.suppliers > EXCHANGE_MAX
    if args.exchange is None:
        args.exchange = not large
        if large:
            progress("bench", f"{args.suppliers:,} suppliers: {SKIPPED_WHEN_LARGE}")
    if args.repeat is None:
        args.repeat = LARGE_REPEAT if large else 20
    if args.skip_mix:
        args.cold = args.warm = args.exchange = False
        args.suggest = 0
    return args


def main() -> None:
    args = parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    results = [run_backend(b, args) for b in backends]
    deadline = get_settings().request_deadline_seconds
    problems = []
    print(f"\n`{' '.join(['bench/run.py', *sys.argv[1:]])}`: queries seeded with {args.seed}")
    if args.suppliers > EXCHANGE_MAX:
        print(f"At {args.suppliers:,} suppliers: {SKIPPED_WHEN_LARGE}.")
    if args.cold:
        report.print_cold(results)
        report.print_shapes(results)
        report.print_slowest(results)
        problems += report.cold_problems(results)
    if args.suggest:
        report.print_suggest(results)
        problems += report.suggest_problems(results)
    report.print_scale(results)
    if args.warm:
        report.print_warm(results, args.repeat)
    if args.exchange:
        report.print_exchange(results)
    problems += report.print_worst(results, deadline)
    if args.load_clients:
        problems += report.print_load(results, args.load_clients, args.load_seconds, deadline)
    problems += [p for r in results for p in report.server_problems(r)]
    for problem in problems:
        print(f"  ! {problem}")
    if problems:
        sys.exit(f"\n{len(problems)} problem(s); see the lines marked '!' above.")


if __name__ == "__main__":
    main()

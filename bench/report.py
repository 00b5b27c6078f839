"""What `make bench` measured, as Markdown tables ready for the README, and the problems."""

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.cold import WRITE_EVERY, Ask
from bench.named import SCOUTING_AT_CAPS_WITHIN, Worst, hostile_problems
from bench.serving import FLOOR_CALLS, IDLE_SECONDS, PROBE_INTERVAL
from bench.workload import ALL_FACETS

DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SLOWEST = 5  # slowest searches listed per database


@dataclass
class Result:
    """Everything measured on one database."""

    backend: str
    suppliers: int
    seeding: float = 0.0
    indexing: float | None = None  # of the seeding: building the search index snapshot
    ready: float = 0.0  # seconds from `escouting serve` to the first 200 of /readyz
    rss_ready: float = 0.0  # MB, serving process and children
    rss_after: float = 0.0
    floor: list[float] = field(default_factory=list)  # sequential /healthz, ms
    searches: list[Ask] = field(default_factory=list)
    scouting: list[Ask] = field(default_factory=list)
    suggestions: list[Ask] = field(default_factory=list)
    warm: dict[str, list[float]] = field(default_factory=dict)
    exchange: dict[str, tuple[float, float]] = field(default_factory=dict)
    worst: Worst = field(default_factory=dict)
    scouting_caps: str = ""
    load: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)  # its log and exit code

    @property
    def name(self) -> str:
        return DATABASES[self.backend]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def spread(samples: list[float], *quantiles: float) -> str:
    """`p50 / p95 / max` (or the quantiles given, 1.0 being the max) in ms, or `-`."""
    if not samples:
        return "-"
    return " / ".join(f"{pct(samples, q):.1f}" for q in quantiles or (0.5, 0.95, 1.0))


def table(header: list[str], rows: list[list[str]]) -> None:
    """A Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def paragraph(text: str) -> None:
    print()
    print(text)
    print()


def timed(asks: list[Ask]) -> list[float]:
    return [a.ms for a in asks if a.page > 0]


def failed(asks: list[Ask]) -> list[Ask]:
    return [a for a in asks if not a.ok]


def counts(asks: list[Ask]) -> str:
    """`asked (failed, empty)`: empty is a first page without items."""
    empty = sum(1 for a in asks if a.ok and a.page == 1 and not a.items)
    return f"{len(asks)} ({len(failed(asks))}, {empty})"


# ---------------------------------------------------------------- cold


def print_cold(results: list[Result]) -> None:
    """The main table: distinct queries, each asked once, next to the /healthz floor."""
    paragraph(
        "Search and scouting on the first ask: distinct random buyer queries, each asked "
        f"once, a supplier write (PATCH) before every {WRITE_EVERY}, against `escouting serve` "
        f"(one worker); each page read through `next_cursor` counts as a query; scouting: a "
        f"request created, then its first page of matches timed. `/healthz`: {FLOOR_CALLS} "
        "sequential calls to the same server, the floor of any request (ms)."
    )
    rows = [
        [
            r.name,
            f"{r.suppliers:,}",
            counts(r.searches),
            spread(timed(r.searches)),
            counts(r.scouting),
            spread(timed(r.scouting)),
            spread(r.floor, 0.5, 0.95),
        ]
        for r in results
    ]
    table(
        [
            "database",
            "suppliers",
            "searches (failed, empty)",
            "search p50 / p95 / max",
            "scouting requests (failed, no match)",
            "matches p50 / p95 / max",
            "`/healthz` p50 / p95",
        ],
        rows,
    )


SHAPES: dict[str, Callable[[Ask], bool]] = {
    "with `q`": lambda a: "q" in a.asked,
    "without `q`": lambda a: "q" not in a.asked,
    "all six facets": lambda a: a.asked.get("facets") == ALL_FACETS,
    "`near`": lambda a: "near" in a.asked,
    "`sort=distance`": lambda a: a.asked.get("sort") == "distance",
    "next pages": lambda a: a.page > 1,
    "`limit=100`": lambda a: a.asked.get("limit") == 100,
}


def print_shapes(results: list[Result]) -> None:
    """The cold searches by shape: where the time goes."""
    paragraph("The same searches by shape, ms p50 / p95 (count):")
    rows = []
    for r in results:
        cells = []
        for matches in SHAPES.values():
            samples = [a.ms for a in r.searches if matches(a)]
            cells.append(f"{spread(samples, 0.5, 0.95)} ({len(samples)})")
        rows.append([r.name, f"{r.suppliers:,}", *cells])
    table(["database", "suppliers", *SHAPES], rows)


def shown(params: dict[str, Any]) -> str:
    """A query string as a reader wants it: not percent-encoded, the cursor elided."""
    pairs = (
        (k, "…" if k == "cursor" else v)
        for k, values in params.items()
        for v in (values if isinstance(values, list) else [values])
    )
    return "&".join(f"{k}={v}" for k, v in pairs)


def print_slowest(results: list[Result]) -> None:
    paragraph(f"The {SLOWEST} slowest searches per database (ms, status, page, query):")
    for r in results:
        for a in sorted(r.searches, key=lambda a: -a.ms)[:SLOWEST]:
            print(f"- {r.name}: {a.ms:.1f} ms, {a.status}, page {a.page}: `{shown(a.asked)}`")


def print_scale(results: list[Result]) -> None:
    paragraph(
        "Scale: `escouting seed-demo` (the command, timed end to end, and the part of it that "
        "builds the search index and writes its snapshot), `escouting serve` from "
        "launch to the first 200 of `/readyz`, the first search it answers after that (the "
        "first of the cold searches; anything built lazily shows here), and the resident "
        "memory (VmRSS) of the serving process and its children once ready and after the "
        "whole run:"
    )
    rows = [
        [
            r.name,
            f"{r.suppliers:,}",
            f"{r.seeding:.1f}",
            "-" if r.indexing is None else f"{r.indexing:.1f}",
            f"{r.ready:.1f}",
            f"{r.searches[0].ms:.1f}" if r.searches else "-",
            f"{r.rss_ready:.0f}",
            f"{r.rss_after:.0f}",
        ]
        for r in results
    ]
    table(
        [
            "database",
            "suppliers",
            "`seed-demo` (s)",
            "of which index build (s)",
            "start to ready (s)",
            "first search (ms)",
            "RSS when ready (MB)",
            "RSS after the run (MB)",
        ],
        rows,
    )


def cold_problems(results: list[Result]) -> list[str]:
    problems = []
    for r in results:
        for kind, asks in (("search", r.searches), ("scouting", r.scouting)):
            bad = failed(asks)
            if bad:
                problems.append(f"{r.name}: {len(bad)} {kind} request(s) did not answer 200")
            problems += [f"{r.name}: {a.status}: {json.dumps(a.asked)[:300]}" for a in bad[:3]]
    return problems


# ---------------------------------------------------------------- suggestions

SUGGEST_TARGET_MS = 20.0  # p95 at 100,000 suppliers
SUGGEST_SHAPES: dict[str, Callable[[Ask], bool]] = {
    "2 letters": lambda a: ", 2 letters" in a.asked["shape"],
    "3-4 letters": lambda a: any(f", {n} letters" in a.asked["shape"] for n in (3, 4)),
    "5-6 letters": lambda a: any(f", {n} letters" in a.asked["shape"] for n in (5, 6)),
    "later word": lambda a: "later word" in a.asked["shape"],
    "typo": lambda a: "typo" in a.asked["shape"],
    "supplier names": lambda a: a.asked["shape"].startswith("supplier"),
}


def print_suggest(results: list[Result]) -> None:
    """`GET /suggest`: distinct prefixes, each asked once, overall and by shape."""
    paragraph(
        "Suggestions as you type (`GET /suggest`, limit 10): distinct prefixes (the first 2..6 "
        "letters of company names, capability labels in Italian and English, standards and "
        "programs, of the whole text or of a later word; some with a letter dropped or "
        f"swapped), each asked once, a supplier write before every {WRITE_EVERY}; target p95 "
        f"<= {SUGGEST_TARGET_MS:g} ms at 100,000 suppliers. ms p50 / p95 / max, then p50 / p95 "
        "(count) by shape:"
    )
    rows = []
    for r in results:
        cells = [counts(r.suggestions), spread(timed(r.suggestions))]
        for matches in SUGGEST_SHAPES.values():
            samples = [a.ms for a in r.suggestions if matches(a)]
            cells.append(f"{spread(samples, 0.5, 0.95)} ({len(samples)})")
        rows.append([r.name, f"{r.suppliers:,}", *cells])
    table(
        ["database", "suppliers", "prefixes (failed, empty)", "p50 / p95 / max", *SUGGEST_SHAPES],
        rows,
    )


def suggest_problems(results: list[Result]) -> list[str]:
    problems = []
    for r in results:
        bad = failed(r.suggestions)
        if bad:
            problems.append(f"{r.name}: {len(bad)} suggest request(s) did not answer 200")
        problems += [f"{r.name}: {a.status}: {json.dumps(a.asked)[:300]}" for a in bad[:3]]
    return problems


# ---------------------------------------------------------------- warm and exchange


def print_warm(results: list[Result], repeat: int) -> None:
    """The named mix, each query asked again and again (what caches make of it)."""
    names = list(results[0].warm)
    paragraph(
        f"Named queries at {results[0].suppliers:,} suppliers, warm: each asked once untimed, "
        f"then {repeat} times (ms p50 / p95):"
    )
    rows = [[name, *(spread(r.warm[name], 0.5, 0.95) for r in results)] for name in names]
    pooled = [[s for samples in r.warm.values() for s in samples] for r in results]
    rows.append(["**whole mix**", *(f"**{spread(p, 0.5, 0.95)}**" for p in pooled)])
    table(["query", *(r.name for r in results)], rows)


def print_exchange(results: list[Result]) -> None:
    names = list(results[0].exchange)
    paragraph(f"Bulk exchange at {results[0].suppliers:,} suppliers, through `escouting serve`:")
    rows = [
        [name, *(f"{r.exchange[name][0]:.1f} s, {r.exchange[name][1]:.0f} MB" for r in results)]
        for name in names
    ]
    table(["", *(r.name for r in results)], rows)


# ---------------------------------------------------------------- worst inputs and load


def print_worst(results: list[Result], deadline: float) -> list[str]:
    """The worst-inputs table; answers the problems found (empty: all as expected)."""
    paragraph(
        f"Worst inputs at {results[0].suppliers:,} suppliers: each asked once, right after a "
        f"supplier write, anonymous unless noted (REQUEST_DEADLINE_SECONDS={deadline:g}: past "
        f"it 503; the first four must be 422 within 1 s, the scouting matches within "
        f"{SCOUTING_AT_CAPS_WITHIN:g} s; `!` marks a broken promise):"
    )
    problems = []
    rows = []
    for name in results[0].worst:
        row = [name]
        for r in results:
            status, ms, hostile = r.worst[name]
            found = hostile_problems(status, ms, hostile, deadline)
            problems += [f"{r.name}: {name}: {p}" for p in found]
            row.append(f"{status}{' !' if found else ''}, {ms:.1f} ms")
        rows.append(row)
    table(["request (each once, after a write)", *(r.name for r in results)], rows)
    print()
    print(results[0].scouting_caps)
    return problems


def load_rows(r: Result) -> dict[str, str]:
    """One database's column of the load table."""
    load, searches = r.load, r.load["searches"]
    counts: dict[str, int] = {}
    for status, _, kind in searches:
        label = f"{status} {kind}".strip()
        counts[label] = counts.get(label, 0) + 1
    levels = r.server["log_levels"]
    return {
        "healthz idle: p50 / p99 / max": spread(load["idle"], 0.5, 0.99, 1.0),
        "healthz idle: probes (failed)": f"{len(load['idle'])} ({load['idle_failed']})",
        "healthz under load: p50 / p99 / max": spread(load["busy"], 0.5, 0.99, 1.0),
        "healthz under load: probes (failed, over 100 ms)": (
            f"{len(load['busy'])} ({load['busy_failed']}, {sum(ms > 100 for ms in load['busy'])})"
        ),
        "searches completed (per second)": (
            f"{len(searches)} ({len(searches) / load['elapsed']:.0f}/s)"
        ),
        "search statuses": ", ".join(f"{label}: {n}" for label, n in sorted(counts.items())),
        "search, all: p50 / p99 / max": spread([ms for _, ms, _ in searches], 0.5, 0.99, 1.0),
        "search, 200 only: p50 / p99 / max": spread(
            [ms for status, ms, _ in searches if status == 200], 0.5, 0.99, 1.0
        ),
        "server log (whole run): warnings, errors": (
            f"{levels['warning']}, {levels['error'] + levels['critical']}"
        ),
        "server exit code after SIGINT": str(r.server["exit_code"]),
    }


def load_problems(r: Result, deadline: float) -> list[str]:
    """What went wrong under load, and in the server's log of the whole run."""
    load, problems = r.load, []
    pool_timeout = load["pool"][1]
    if load["busy"] and pct(load["busy"], 0.99) >= 100:
        problems.append(f"{r.name}: /healthz p99 under load {pct(load['busy'], 0.99):.1f} ms")
    if load["idle_failed"] or load["busy_failed"]:
        problems.append(f"{r.name}: failed /healthz probes")
    slowest = max((ms for _, ms, _ in load["searches"]), default=0)
    if slowest > (pool_timeout + deadline) * 1000:
        problems.append(
            f"{r.name}: a search took {slowest:.0f} ms, more than the pool timeout and the "
            "deadline together"
        )
    statuses = {str(status) for status, _, _ in load["searches"]}
    unexpected = statuses - {"200", "503"}
    if unexpected:
        problems.append(f"{r.name}: unexpected search answers {sorted(unexpected)}")
    return problems


def server_problems(r: Result) -> list[str]:
    server, problems = r.server, []
    for line in server["log_errors"][:5]:
        problems.append(f"{r.name}: server log: {json.dumps(line)[:300]}")
    if server["log_other"]:
        problems.append(f"{r.name}: server output: {' | '.join(server['log_other'][:5])[:300]}")
    if server["exit_code"] != 0:
        problems.append(f"{r.name}: server exit code {server['exit_code']} ({server['log']})")
    return problems


def print_load(results: list[Result], clients: int, seconds: float, deadline: float) -> list[str]:
    """The /healthz-under-load table; answers the problems found."""
    pool_size, pool_timeout = results[0].load["pool"]
    paragraph(
        f"`/healthz` under load at {results[0].suppliers:,} suppliers: `escouting serve` (1 "
        f"worker, DB_POOL_SIZE={pool_size}, DB_POOL_TIMEOUT={pool_timeout:g}, "
        f"REQUEST_DEADLINE_SECONDS={deadline:g}), probed every {PROBE_INTERVAL * 1000:.0f} ms, "
        f"idle for {IDLE_SECONDS} s, then while {clients} clients search for {seconds:g} s (ms):"
    )
    columns = [load_rows(r) for r in results]
    rows = [[name, *(column[name] for column in columns)] for name in columns[0]]
    table(
        [f"`/healthz` and searches, {clients} clients, {seconds:g} s", *(r.name for r in results)],
        rows,
    )
    return [p for r in results for p in load_problems(r, deadline)]

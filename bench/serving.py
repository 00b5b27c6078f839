"""The real `escouting serve` under the bench: start-up to ready, memory, `/healthz`, load."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.config import get_settings

ROOT = Path(__file__).resolve().parent.parent
PROBE_INTERVAL = 0.05  # seconds between two /healthz probes under load, and /readyz polls
IDLE_SECONDS = 5
FLOOR_CALLS = 200  # sequential /healthz calls: the floor of any request's latency
READY_TIMEOUT = 1800.0  # seconds; a 1M index may take a while to build


@dataclass
class Server:
    """A running `escouting serve` (one worker) and what its start-up took."""

    process: subprocess.Popen
    base: str
    log: Path
    ready_seconds: float = 0.0
    exit_code: int | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    """`escouting serve` of this checkout (the venv's script, else the module)."""
    script = Path(sys.executable).with_name("escouting")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def server_env(url: str) -> dict[str, str]:
    """The bench's environment for a server of `url`: no throttling, no webhook deliveries,
    JSON logs of warnings and worse; pool, deadline and secret as the bench's own settings."""
    settings = get_settings()
    return os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": settings.secret_key,
        "RATE_LIMIT_ENABLED": "false",
        "WEBHOOKS_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "DB_POOL_SIZE": str(settings.db_pool_size),
        "DB_POOL_TIMEOUT": str(settings.db_pool_timeout),
        "REQUEST_DEADLINE_SECONDS": str(settings.request_deadline_seconds),
        "PYTHONPATH": str(ROOT),
    }


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


def wait_until_ready(server: Server, started: float) -> float:
    """Seconds from `started` (the launch) to the first 200 of /readyz."""
    with httpx.Client(base_url=server.base, timeout=5) as http:
        while time.monotonic() - started < READY_TIMEOUT:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({server.process.returncode}):\n{server.log.read_text()}"
                )
            try:
                if http.get("/readyz").status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(PROBE_INTERVAL)
    raise RuntimeError(f"the server was not ready within {READY_TIMEOUT:g} s: see {server.log}")


@contextmanager
def serving(url: str, log: Path) -> Iterator[Server]:
    """`escouting serve` of `url` on a free port, from its launch until /readyz says 200;
    stopped (SIGINT) on the way out, its exit code kept."""
    port = free_port()
    with log.open("w") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(url),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        server.ready_seconds = wait_until_ready(server, started)
        yield server
    finally:
        server.exit_code = stop(process)


# ---------------------------------------------------------------- memory


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (uvicorn's workers, when it has several)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process in MB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_rss_mb(server: Server) -> float:
    """Resident memory of the serving process and its children, MB."""
    return sum(rss_mb(pid) for pid in process_tree(server.process.pid))


# ---------------------------------------------------------------- /healthz


def healthz_floor(http: httpx.Client, calls: int = FLOOR_CALLS) -> list[float]:
    """Latencies (ms) of back-to-back /healthz calls: the floor under every request."""
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        assert http.get("/healthz").status_code == 200
        samples.append((time.perf_counter() - started) * 1000)
    return samples


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


def load_test(server: Server, *, clients: int, seconds: float, samples_file: Path) -> dict:
    """Probe /healthz idle, then while `clients` clients (bench/load.py, another process)
    search the server for `seconds`."""
    settings = get_settings()
    with httpx.Client(base_url=server.base, timeout=120) as http:
        until = time.monotonic() + IDLE_SECONDS
        idle, idle_failed = probe(http, lambda: time.monotonic() < until)
        load = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "load.py"),
                *("--url", server.base, "--clients", str(clients), "--seconds", str(seconds)),
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
    return {
        "pool": (settings.db_pool_size, settings.db_pool_timeout),
        "idle": idle,
        "idle_failed": idle_failed,
        "busy": busy,
        "busy_failed": busy_failed,
        "elapsed": elapsed,
        "searches": json.loads(samples_file.read_text())["samples"],
    }


def server_log(server: Server) -> dict[str, Any]:
    """What the server logged (JSON lines): counts of warnings and errors, the errors, and
    any line that is not JSON."""
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return {
        "log": server.log,
        "exit_code": server.exit_code,
        "log_levels": {
            level: sum(1 for line in lines if line.get("level") == level)
            for level in ("warning", "error", "critical")
        },
        "log_errors": [line for line in lines if line.get("level") in ("error", "critical")],
        "log_other": [line for line in text.splitlines() if not line.startswith("{")],
    }

"""Load generator of `make bench`: concurrent clients searching a running server.

bench/run.py starts it in a process of its own, so that its work (and its GIL) does not delay
the bench's own `/healthz` probe. Each client loops over a mix of realistic searches (text in
Italian or English, filters, distance, facets, next pages) until the time is up, and every
request's status and latency go to the output file as JSON: {"samples": [[status, ms, kind]]},
where kind tells 503s apart: "deadline" (REQUEST_DEADLINE_SECONDS), "pool" (no connection
within DB_POOL_TIMEOUT), "other"; "error" with status 0 is a transport error.
Usage: python bench/load.py --url http://127.0.0.1:8000 --clients 64 --seconds 15 --out FILE
It prints "started" once the catalogue is read and the clients are about to start.
"""

import argparse
import asyncio
import json
import random
import time
from typing import Any

import httpx

API = "/api/v1/suppliers"
ALL_FACETS = "supply_chain,capability,certification,province,size_class,tier"
FACETS = ALL_FACETS.split(",")
# What buyers type: process and material words in Italian and English.
# fmt: off
WORDS = (
    "fresatura", "titanio", "tornitura", "saldatura", "anodizzazione", "compositi", "cablaggi",
    "elicotteri", "satelliti", "precisione", "alluminio", "verniciatura", "collaudo",
    "stampaggio", "lamiera", "carbonio", "trattamenti", "termici", "avionica", "ingranaggi",
    "rettifica", "milling", "turning", "welding", "composites", "harness", "avionics",
    "precision", "aluminium", "painting", "inspection", "machining", "titanium", "casting",
    "forging", "gears", "grinding", "testing", "assembly",
)
# fmt: on
PROVINCES = ("VA", "MI", "MB", "BG", "BS", "CO", "LC", "PV", "TO", "NO")
CENTRES = ("45.8206,8.8251", "45.4642,9.1900", "45.6983,9.6773", "45.0703,7.6869")
SIZES = ("micro", "small", "medium", "large")
SORTS = ("name", "-updated_at")


def search_params(rnd: random.Random, catalogue: dict[str, list[str]]) -> dict[str, Any]:
    """One realistic search: some text, a filter or two, sometimes distance or facets."""
    params: dict[str, Any] = {}
    if rnd.random() < 0.5:
        params["q"] = " ".join(rnd.sample(WORDS, rnd.randint(1, 3)))
    if rnd.random() < 0.3:
        params["supply_chain"] = rnd.choice(catalogue["supply_chains"])
    if rnd.random() < 0.3:
        params["capability"] = rnd.choice(catalogue["capabilities"])
    if rnd.random() < 0.25:
        params["certification"] = rnd.choice(catalogue["certifications"])
    if rnd.random() < 0.3:
        params["province"] = rnd.sample(PROVINCES, rnd.randint(1, 3))
    if rnd.random() < 0.2:
        params["size_class"] = rnd.sample(SIZES, rnd.randint(1, 2))
    if rnd.random() < 0.2:
        params |= {"near": rnd.choice(CENTRES), "radius_km": rnd.choice((20, 60, 100))}
        if rnd.random() < 0.7:
            params["sort"] = "distance"
    elif "q" not in params and rnd.random() < 0.5:
        params["sort"] = rnd.choice(SORTS)
    if rnd.random() < 0.25:
        params["facets"] = ALL_FACETS if rnd.random() < 0.5 else ",".join(rnd.sample(FACETS, 2))
    params["limit"] = rnd.choice((20, 20, 20, 50, 100))
    return params


def kind_of(response: httpx.Response) -> str:
    if response.status_code != 503:
        return ""
    try:
        detail = str(response.json().get("detail", ""))
    except ValueError:
        return "other"
    if "took longer" in detail:
        return "deadline"
    return "pool" if "busy" in detail else "other"


async def client_loop(
    http: httpx.AsyncClient,
    rnd: random.Random,
    catalogue: dict[str, list[str]],
    until: float,
    samples: list[tuple[int, float, str]],
) -> None:
    while time.monotonic() < until:
        params = search_params(rnd, catalogue)
        # A third of the searches go on to read one to three more pages.
        pages = 1 + (rnd.randint(1, 3) if rnd.random() < 0.33 else 0)
        for _ in range(pages):
            started = time.perf_counter()
            try:
                response = await http.get(API, params=params)
            except httpx.HTTPError as exc:
                samples.append((0, (time.perf_counter() - started) * 1000, type(exc).__name__))
                break
            samples.append(
                (response.status_code, (time.perf_counter() - started) * 1000, kind_of(response))
            )
            cursor = response.json().get("next_cursor") if response.status_code == 200 else None
            if cursor is None or time.monotonic() >= until:
                break
            params = {**params, "cursor": cursor}


async def run(url: str, clients: int, seconds: float) -> list[tuple[int, float, str]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        catalogue = {
            "supply_chains": [c["code"] for c in (await http.get("/api/v1/supply-chains")).json()],
            "capabilities": [c["code"] for c in (await http.get("/api/v1/capabilities")).json()],
            "certifications": [
                c["code"] for c in (await http.get("/api/v1/certification-standards")).json()
            ],
        }
        print("started", flush=True)
        samples: list[tuple[int, float, str]] = []
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                client_loop(http, random.Random(n), catalogue, until, samples)
                for n in range(clients)
            )
        )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    samples = asyncio.run(run(args.url, args.clients, args.seconds))
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump({"samples": samples}, out)


if __name__ == "__main__":
    main()

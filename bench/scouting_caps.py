"""Time the first page of matches of a scouting request at every cap, cold (no ranking cache).

Every list at its cap (all 3 supply chains, 50 required and 50 preferred capabilities, 50
provinces, 4 size classes), a description of more meaningful words than are ranked, `near`,
no required certification: the costliest request the schema allows. Runs in-process through
the whole HTTP stack against an existing, seeded database, e.g.

    DATABASE_URL=sqlite:////tmp/bench.db escouting migrate
    DATABASE_URL=sqlite:////tmp/bench.db escouting seed-demo --suppliers 100000 --seed 3
    DATABASE_URL=sqlite:////tmp/bench.db python bench/scouting_caps.py --repeat 5

(on PostgreSQL run ANALYZE after seeding). `--typical` times bench/run.py's typical request
instead. Prints every sample and the median, in seconds.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RATE_LIMIT_ENABLED", "false")
os.environ.setdefault("WEBHOOKS_WORKER_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["SCOUTING_RANKING_CACHE_SIZE"] = "0"  # every ask ranks afresh

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.caller import SYSTEM
from app.auth.service import create_api_key
from app.db import build_engine
from app.main import app
from app.scouting.schemas import MAX_CODES
from app.suppliers.validation import PROVINCES

API = "/api/v1/scouting-requests"
DESCRIPTION = (
    "Fresatura, lavorazione di titanio e componenti di precisione in alluminio per elicotteri "
    "e satelliti; saldatura, controlli, particolari strutturali, machining, milling, aerospace "
    "parts, turning, grinding, composite, painting, anodizing, welding, inspection, assembly."
)
TYPICAL = {
    "title": "Titanium rotor parts",
    "description": "Fresatura a 5 assi di particolari in titanio per elicotteri, con "
    "controlli non distruttivi.",
    "supply_chains": ["rotary-wing"],
    "required_certifications": ["en-9100"],
    "required_capabilities": ["machining.milling-5-axis", "machining.titanium", "testing.ndt"],
    "preferred_capabilities": ["surface-treatment.anodizing"],
    "near": {"lat": 45.8206, "lon": 8.8251, "radius_km": 60},
    "size_classes": ["small", "medium"],
}


def capped(client: TestClient) -> dict:
    capabilities = [c["code"] for c in client.get("/api/v1/capabilities").json()]
    return {
        "title": "At every cap",
        "description": DESCRIPTION,
        "supply_chains": ["rotary-wing", "fixed-wing", "space"],
        "required_capabilities": capabilities[:MAX_CODES],
        "preferred_capabilities": capabilities[-MAX_CODES:],
        "provinces": sorted(PROVINCES)[:MAX_CODES],
        "near": {"lat": 45.8206, "lon": 8.8251, "radius_km": 500},
        "size_classes": ["micro", "small", "medium", "large"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--typical", action="store_true")
    args = parser.parse_args()
    engine = build_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="buyer")
        session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    with TestClient(app) as client:
        body = TYPICAL if args.typical else capped(client)
        created = client.post(API, json=body, headers=headers)
        assert created.status_code == 201, created.text
        url = f"{API}/{created.json()['id']}/matches"
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    total = response.json()["total"]
    print(
        f"{engine.dialect.name}: {total} matches; "
        f"{', '.join(f'{s:.2f}' for s in samples)} s; median {statistics.median(samples):.2f} s"
    )


if __name__ == "__main__":
    main()

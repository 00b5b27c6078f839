"""Time the full ranking of distinct random scouting requests in process (no HTTP).

Builds the search index once, then ranks `--requests` distinct requests (bench/workload.py's
generator, drawn from the catalogue and a sample of supplier profiles read from the database)
with `app.scouting.ranking.rank`, each asked once, and prints p50 / p95 / max in ms.

Usage: DATABASE_URL=sqlite:////tmp/scouting_100k.db python bench/scouting_rank.py \
       [--requests 30] [--seed 7]
"""

import argparse
import statistics
import time
from datetime import UTC, datetime
from random import Random

from sqlmodel import Session, col, select

from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.db import get_engine
from app.scouting import ranking
from app.scouting.models import ScoutingRequest
from app.search.engine import engine_for
from app.suppliers.models import Supplier
from bench.workload import SAMPLE_PROFILES, Vocabulary, distinct, scouting_request, words_of


def vocabulary(session: Session, rnd: Random) -> Vocabulary:
    """What bench/workload.py reads through the API, read from the database."""
    capabilities = list(session.exec(select(Capability)))
    labels = [label for c in capabilities for label in (c.name_it, c.name_en)]
    top = session.exec(select(col(Supplier.id)).order_by(col(Supplier.id).desc())).first() or 0
    ids = rnd.sample(range(1, top + 1), min(SAMPLE_PROFILES, top))
    profiles = list(session.exec(select(Supplier).where(col(Supplier.id).in_(ids))))
    return Vocabulary(
        supply_chains=tuple(session.exec(select(SupplyChain.code))),
        capabilities=tuple(c.code for c in capabilities),
        parents=distinct(sorted(c.parent for c in capabilities if c.parent)),
        certifications=tuple(session.exec(select(CertificationStandard.code))),
        label_words=distinct(w for label in labels for w in words_of(label)),
        label_phrases=distinct(label.lower() for label in labels if len(label.split()) > 1),
        description_words=distinct(w for p in profiles for w in words_of(p.description)),
        names=distinct(p.name for p in profiles),
        provinces=distinct(sorted(p.province for p in profiles if p.province)),
        places=tuple((p.lat, p.lon) for p in profiles if p.lat is not None),
    )


def as_request(body: dict) -> ScoutingRequest:
    near = body.get("near") or {}
    return ScoutingRequest(
        id=0,
        owner_key_id=0,
        owner_role="buyer",
        title=body["title"],
        description=body.get("description", ""),
        supply_chains=body["supply_chains"],
        required_capabilities=body.get("required_capabilities", []),
        preferred_capabilities=body.get("preferred_capabilities", []),
        required_certifications=body.get("required_certifications", []),
        provinces=body.get("provinces", []),
        size_classes=body.get("size_classes", []),
        near_lat=near.get("lat"),
        near_lon=near.get("lon"),
        radius_km=near.get("radius_km"),
        needed_by=datetime.fromisoformat(body["needed_by"]).date()
        if body.get("needed_by")
        else None,
        min_verification=body.get("min_verification", "self-declared"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rnd = Random(args.seed)
    with Session(get_engine()) as session:
        started = time.perf_counter()
        with engine_for(session).current(session) as index:
            suppliers = len(index.live)
        print(f"index of {suppliers} suppliers built in {time.perf_counter() - started:.1f} s")
        v = vocabulary(session, rnd)
        today = datetime.now(UTC).date()
        times, sizes = [], []
        for n in range(args.requests):
            request = as_request(scouting_request(rnd, v, today, n))
            started = time.perf_counter()
            criteria = ranking.criteria_of(session=session, request=request)
            ranked = ranking.rank(session=session, criteria=criteria)
            times.append((time.perf_counter() - started) * 1000)
            sizes.append(len(ranked))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(
        f"{len(times)} requests, matches median {statistics.median(sizes):.0f}: "
        f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()

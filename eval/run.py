"""`make eval`: relevance of `GET /api/v1/suppliers?q=` on hand-written profiles and judged queries.

Data: eval/profiles.jsonl (one `POST /api/v1/suppliers` body a line, without `vat_number`: a
valid Partita IVA is added at load time) and eval/queries.jsonl (`class`, `q` and `judgments`,
supplier name -> grade 3 perfect / 2 good / 1 partial; unjudged = 0), written before any run.

Per database (SQLite in a temporary file; PostgreSQL when EVAL_PG_URL or TEST_DATABASE_URL is
set, its `public` schema dropped and recreated first), in a process of its own so that the app's
settings and search index belong to that database: migrate, load every profile through the API
with an admin key (in-process TestClient), ask every query with `limit=10`, then print one
Markdown table per class and overall:
- nDCG@10: gain = grade, discount log2(rank + 1), ideal = the judgments sorted by grade;
- MRR: 1 / rank of the first result graded 2 or more (0 if none in the top 10);
- recall@10: share of the results graded 1 or more that are in the top 10;
- BM25 nDCG@10: a pure-Python Okapi BM25 (k1 = 1.2, b = 0.75) over name + description,
  lower-cased `\\w+` tokens, no stemming, on the same profiles and queries.
A measurement, not a test: exits 0 whatever the figures (non-zero only if the harness breaks).

Usage: python eval/run.py [--backend sqlite|postgresql]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT / "eval"
CLASSES = ("exact_name", "cross_language", "inflection", "typo", "acronym", "several_concepts")
K = 10
API = "/api/v1"
Judgments = dict[str, int]


def read_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / name).read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------- metrics


def ndcg(ranked: list[str], judged: Judgments) -> float:
    """nDCG@K with the grades as gains."""
    dcg = sum(judged.get(name, 0) / math.log2(i + 2) for i, name in enumerate(ranked[:K]))
    ideal = sorted(judged.values(), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def reciprocal_rank(ranked: list[str], judged: Judgments) -> float:
    """1 / rank of the first result graded 2 or more within the top K."""
    for i, name in enumerate(ranked[:K]):
        if judged.get(name, 0) >= 2:
            return 1 / (i + 1)
    return 0.0


def recall(ranked: list[str], judged: Judgments) -> float:
    relevant = {name for name, grade in judged.items() if grade >= 1}
    return len(relevant & set(ranked[:K])) / len(relevant) if relevant else 0.0


# ---------------------------------------------------------------- BM25 baseline


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class BM25:
    """Okapi BM25 over name + description of the profiles."""

    def __init__(self, profiles: list[dict], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.names = [p["name"] for p in profiles]
        self.docs = [Counter(tokens(f"{p['name']} {p.get('description', '')}")) for p in profiles]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.avg = sum(self.lengths) / len(self.lengths)
        df = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1) for t, f in df.items()}

    def search(self, q: str) -> list[str]:
        terms = tokens(q)
        scored = []
        for name, doc, length in zip(self.names, self.docs, self.lengths, strict=True):
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * length / self.avg)
                    score += self.idf[term] * tf * (self.k1 + 1) / norm
            if score > 0:
                scored.append((-score, name))
        return [name for _score, name in sorted(scored)[:K]]


# ---------------------------------------------------------------- one backend


def fresh_database(backend: str, pg_url: str | None, workdir: Path) -> str:
    """An empty database migrated to head: its URL."""
    from alembic import command
    from sqlalchemy import text

    from app.db import alembic_config, build_engine

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'eval.db'}"
    else:
        assert pg_url
        url = pg_url
        engine = build_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    command.upgrade(alembic_config(url), "head")
    return url


def admin_headers(url: str) -> dict[str, str]:
    from sqlmodel import Session

    from app.auth.caller import SYSTEM
    from app.db import build_engine
    from app.keys.service import create_api_key

    engine = build_engine(url)
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="admin", name="eval")
        session.commit()
    engine.dispose()
    return {"Authorization": f"Bearer {plaintext}"}


def measure(backend: str, pg_url: str | None) -> int:
    """Load, ask, print this backend's table (runs in its own process)."""
    warnings.filterwarnings("ignore", message=".*httpx.*")
    from fastapi.testclient import TestClient

    from tests.factories import make_vat

    profiles = read_jsonl("profiles.jsonl")
    queries = read_jsonl("queries.jsonl")
    with tempfile.TemporaryDirectory(prefix="escouting-eval-") as workdir:
        url = fresh_database(backend, pg_url, Path(workdir))
        os.environ["DATABASE_URL"] = url
        headers = admin_headers(url)
        from app.main import create_app

        started = time.perf_counter()
        problems: list[str] = []
        results: dict[str, list[str]] = {}
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            for n, profile in enumerate(profiles, start=1):
                body = {**profile, "vat_number": make_vat(n)}
                r = client.post(f"{API}/suppliers", json=body, headers=headers)
                if r.status_code != 201:
                    problems.append(f"POST {profile['name']}: {r.status_code} {r.text[:200]}")
            loaded = time.perf_counter() - started
            for query in queries:
                r = client.get(
                    f"{API}/suppliers", params={"q": query["q"], "limit": K}, headers=headers
                )
                if r.status_code != 200:
                    problems.append(f"GET q={query['q']!r}: {r.status_code} {r.text[:200]}")
                    results[query["q"]] = []
                    continue
                results[query["q"]] = [item["name"] for item in r.json()["items"]]
    bm25 = BM25(profiles)
    print(
        f"\n### {backend}: {len(profiles)} profiles loaded in {loaded:.1f} s, "
        f"{len(queries)} queries\n"
    )
    print(table(queries, results, {q["q"]: bm25.search(q["q"]) for q in queries}))
    empty = [q["q"] for q in queries if not results[q["q"]]]
    if empty:
        print(f"\nEmpty pages ({len(empty)}): " + ", ".join(f"`{q}`" for q in empty))
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


def table(queries: list[dict], engine: dict[str, list[str]], baseline: dict[str, list[str]]) -> str:
    """class | queries | nDCG@10 | MRR | recall@10 | BM25 nDCG@10, then overall."""
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for query in queries:
        judged, q = query["judgments"], query["q"]
        scores = (
            ndcg(engine[q], judged),
            reciprocal_rank(engine[q], judged),
            recall(engine[q], judged),
            ndcg(baseline[q], judged),
        )
        rows[query["class"]].append(scores)
        rows["overall"].append(scores)
    lines = [
        "| class | queries | nDCG@10 | MRR | recall@10 | BM25 nDCG@10 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cls in (*CLASSES, "overall"):
        scores = rows.get(cls, [])
        means = [sum(col) / len(scores) for col in zip(*scores, strict=True)] if scores else []
        cells = " | ".join(f"{m:.2f}" for m in means) or "- | - | - | -"
        label = f"**{cls}**" if cls == "overall" else cls
        lines.append(f"| {label} | {len(scores)} | {cells} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- driver


def child_env(url_hint: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        RATE_LIMIT_ENABLED="false",
        WEBHOOKS_WORKER_ENABLED="false",
        SEARCH_WARM_UP="false",
        SEARCH_SNAPSHOT_DIR="off",
        SECRET_KEY="eval-only-cursor-secret-0123456789abcdef",
    )
    if url_hint:
        env["EVAL_PG_URL"] = url_hint
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    pg_url = os.environ.get("EVAL_PG_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.backend:
        return measure(args.backend, pg_url)
    print("## Relevance evaluation (eval/)")
    failed = False
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and not pg_url:
            print("\n### postgresql: skipped (set EVAL_PG_URL or TEST_DATABASE_URL)")
            continue
        sys.stdout.flush()
        done = subprocess.run(
            [sys.executable, __file__, "--backend", backend], env=child_env(pg_url), cwd=ROOT
        )
        failed |= done.returncode != 0
    if failed:
        print("\nThe harness broke (see the problems above).", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

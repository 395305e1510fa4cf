"""HTTP service throughput and latency on loopback, against the framework's ceiling and the
scoring work in-process.

Trains a small model store in a temporary folder, starts ``bentoml serve`` on a free port, then
drives three phases with the same duration and connections:

1. ``/score_customer`` (one customer, reason codes, credit limit) from N concurrent connections;
2. ``/livez`` of the same service and worker settings (what the framework alone can do);
3. ``Scorer.score_customers`` for one customer in-process (calls/s, one thread).

    uv run python benchmarks/bench_service.py --quick    # 5 s per phase, 8 connections
    uv run python benchmarks/bench_service.py            # 60 s per phase, 32 connections
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import median, peak_rss_mb, write_results

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def train_store(tmp: Path, customers: int) -> tuple[str, Path, list[str]]:
    from risk import registry
    from risk.io import write_ledger
    from risk.synth import SampleConfig, generate_portfolio
    from risk.train import train_levels

    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=7))
    store = registry.Store.resolve(f"sqlite:///{tmp}/mlruns/mlflow.db")
    train_levels(portfolio.ledger, store)
    write_ledger(portfolio.ledger, tmp / "ledger")
    return store.tracking_uri, tmp / "ledger", portfolio.ledger.customers["customer_id"].tolist()


def start_server(tmp: Path, tracking_uri: str, ledger: Path) -> tuple[subprocess.Popen[bytes], str]:
    from risk.cli.serve import free_port, serve_command
    from risk.serving.auth import hash_key

    port = free_port()
    env = {
        **os.environ,
        "RISK_TRACKING_URI": tracking_uri,
        "RISK_LEDGER": str(ledger),
        "RISK_AUDIT_URL": f"sqlite:///{tmp}/audit.db",
        "RISK_API_KEYS": f"bench:{hash_key(KEY)}",
        "BENTOML_HOME": str(tmp / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        serve_command(port, "127.0.0.1", ROOT, reload=False),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"service did not become ready; see {tmp / 'server.log'}")


async def load(
    url: str, path: str, bodies: list[dict[str, Any]] | None, seconds: float, connections: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=60, headers=headers
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    if bodies is None:
                        response = await client.get(path)
                    else:
                        response = await client.post(path, json=random.choice(bodies))
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


def in_process(
    tracking_uri: str, ledger_dir: Path, ids: list[str], seconds: float
) -> dict[str, Any]:
    from risk import registry
    from risk.io import load_ledger
    from risk.scoring import Scorer

    scorer = Scorer.from_registry(registry.Store.resolve(tracking_uri))
    ledger = load_ledger(ledger_dir)
    as_of = ledger.date_range[1]
    times: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        start = time.perf_counter()
        scorer.score_customers(ledger, as_of, [random.choice(ids)], explain=True)
        times.append(time.perf_counter() - start)
    return {
        "calls": len(times),
        "calls_per_s": round(len(times) / sum(times), 1),
        "median_ms": round(median(times) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 s per phase, 8 connections")
    parser.add_argument("--seconds", type=float, default=None, help="duration of each phase")
    parser.add_argument("--connections", type=int, default=None, help="concurrent connections")
    parser.add_argument("--customers", type=int, default=300, help="size of the trained portfolio")
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 60.0)
    connections = args.connections or (8 if args.quick else 32)
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="bench-service-") as name:
        tmp = Path(name)
        print(f"training models on {args.customers} customers ...", flush=True)
        tracking_uri, ledger_dir, ids = train_store(tmp, args.customers)
        process, url = start_server(tmp, tracking_uri, ledger_dir)
        try:
            bodies = [{"customer_id": i} for i in ids]
            asyncio.run(load(url, "/score_customer", bodies[:5], 1.0, 2))  # warm-up
            scoring = asyncio.run(load(url, "/score_customer", bodies, seconds, connections))
            ceiling = asyncio.run(load(url, "/livez", None, seconds, connections))
        finally:
            process.terminate()
            process.wait(timeout=30)
        local = in_process(tracking_uri, ledger_dir, ids, seconds)
    figures = {
        "seconds_per_phase": seconds,
        "connections": connections,
        "workers": 1,
        "score_customer": scoring,
        "livez": ceiling,
        "in_process_score_customers": local,
        "peak_rss_mb_client": round(peak_rss_mb(), 1),
    }
    for phase in ("score_customer", "livez"):
        f = figures[phase]
        print(
            f"{phase:>15}: {f['throughput_rps']:8.1f} req/s  p50 {f['p50_ms']:7.1f} ms  "
            f"p95 {f['p95_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms  errors {f['errors']}"
        )
    print(
        f"{'in-process':>15}: {local['calls_per_s']:8.1f} calls/s  median {local['median_ms']:.1f} ms"
    )
    print(f"results: {write_results('bench_service', figures)}")


if __name__ == "__main__":
    main()

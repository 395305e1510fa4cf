"""Server-side render times of the web pages (dashboard, worklist, customer sheet, statement,
a recorded action), against the sign-in page (the framework and template floor) in the same run.

Trains a small model store in a temporary folder, builds the pages' portfolio state once (timed
apart: it is the start-up cost, paid in a background thread when the service starts), then asks
each page N times through the ASGI app in-process (no network), signed in as a collector.

    uv run python benchmarks/bench_web.py --quick    # 300 customers, 10 requests per page
    uv run python benchmarks/bench_web.py            # 100k customers (the issue's target: every
                                                     # page under 300 ms; not run on a 2-core box)
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import median, peak_rss_mb, write_results

KEY = "bench-web-key"
TARGET_MS = 300.0


def build(tmp: Path, customers: int, years: int) -> tuple[Any, Any]:
    from risk import registry
    from risk.scoring import Scorer
    from risk.synth import SampleConfig, generate_portfolio
    from risk.train import train_levels

    portfolio = generate_portfolio(SampleConfig(customers=customers, years=years, seed=7))
    store = registry.Store.resolve(f"sqlite:///{tmp}/mlruns/mlflow.db")
    train_levels(portfolio.ledger, store)
    return Scorer.from_registry(store), portfolio.ledger


def timings(client: Any, method: str, path: str, repeats: int, **kw: Any) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        answer = client.request(method, path, **kw)
        out.append((time.perf_counter() - start) * 1000)
        if answer.status_code not in (200, 303):
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="300 customers, 10 requests")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    customers = args.customers or (300 if args.quick else 100_000)
    repeats = args.repeats or (10 if args.quick else 30)

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from risk.serving.audit import AuditLog
    from risk.serving.auth import hash_key
    from risk.web.app import create_app

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        start = time.perf_counter()
        scorer, ledger = build(tmp, customers, years=3)
        print(f"{customers:,} customers, {len(ledger.invoices):,} invoices: trained in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        context = SimpleNamespace(
            scorer=scorer, ledger=ledger, audit=AuditLog(f"sqlite:///{tmp}/audit.db"), not_ready=""
        )
        env = {
            "RISK_API_KEYS": f"bench:{hash_key(KEY)}:collector",
            "RISK_ACTIONS_URL": f"sqlite:///{tmp}/actions.db",
        }
        web = create_app(lambda: context, env)
        state = web.state.web.state()
        start = time.perf_counter()
        snap = state.snapshot()
        state_s = time.perf_counter() - start
        start = time.perf_counter()
        state.wait_history()
        history_s = time.perf_counter() - start + state_s
        print(
            f"portfolio state: {state_s:.1f} s; with the 24 month-end scorings: {history_s:.1f} s"
        )
        app = Starlette(routes=[Mount("/app", app=web)])
        customer_id = str(snap.customers.sort_values("at_risk").index[-1])
        with TestClient(app) as client:
            page = client.get("/app/signin")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            client.post("/app/signin", data={"csrf": token, "key": KEY})
            sheet = client.get(f"/app/customers/{customer_id}").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', sheet).group(1)
            pages = {
                "signin (floor)": ("GET", "/app/signin", {}),
                "dashboard": ("GET", "/app/dashboard", {}),
                "worklist": ("GET", "/app/worklist", {}),
                "worklist grade E, page 2": ("GET", "/app/worklist?grade=E&page=2", {}),
                "customer sheet": ("GET", f"/app/customers/{customer_id}", {}),
                "statement": ("GET", f"/app/customers/{customer_id}/statement", {}),
                "record a call (htmx)": (
                    "POST",
                    f"/app/customers/{customer_id}/actions",
                    {
                        "data": {"csrf": csrf, "kind": "call", "note": "bench"},
                        "headers": {"HX-Request": "true"},
                    },
                ),
            }
            results: dict[str, dict[str, float]] = {}
            print(f"\n{'page':<28}{'median ms':>12}{'p95 ms':>10}{'x floor':>10}")
            for label, (method, path, kw) in pages.items():
                times = timings(client, method, path, repeats, **kw)
                results[label] = {
                    "median_ms": round(median(times), 1),
                    "p95_ms": round(float(np.percentile(times, 95)), 1),
                }
            floor = results["signin (floor)"]["median_ms"]
            for label, figures in results.items():
                ratio = figures["median_ms"] / floor if floor else float("nan")
                print(f"{label:<28}{figures['median_ms']:>12.1f}{figures['p95_ms']:>10.1f}"
                      f"{ratio:>10.1f}")  # fmt: skip
        slowest = max(v["median_ms"] for k, v in results.items() if k != "signin (floor)")
        print(
            f"\nslowest page median {slowest:.0f} ms (target {TARGET_MS:.0f} ms on 100k customers)"
        )
        figures = {
            "customers": customers,
            "invoices": len(ledger.invoices),
            "repeats": repeats,
            "state_build_s": round(state_s, 2),
            "state_with_history_s": round(history_s, 2),
            "pages": results,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        print(f"results: {write_results('bench_web' + ('_quick' if args.quick else ''), figures)}")


if __name__ == "__main__":
    main()

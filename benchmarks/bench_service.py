"""HTTP service throughput and latency on loopback, against the framework's ceiling, plus
inline-ledger scoring in process and the time for a batch of ledger events to reach a score.

Trains a small model store in a temporary folder, starts ``bentoml serve`` on a free port, then
drives, with the same duration and connections (wrk when installed, else an httpx load
generator):

1. ``/score_customer`` by id (cached scores of the current ledger version) from N connections;
2. ``/livez`` of the same service and worker settings (what the framework alone can do);
3. in process: one customer with 50 invoices sent inline (validation + scoring), calls/s;
4. ``POST /ledger/events`` with 1,000 new invoices, until a score carries the new version.

Targets (issue 14): (1) >= 50 % of (2)'s throughput, p99 <= 2x, no errors; (3) >= 50 calls/s;
(4) < 1 s.

    uv run python benchmarks/bench_service.py --quick    # 5 s per phase, 32 connections
    uv run python benchmarks/bench_service.py            # 60 s per phase, 32 connections
    uv run python benchmarks/bench_service.py --store /tmp/bench-store   # reuse trained models
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
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


def reuse_or_train(store: Path | None, tmp: Path, customers: int) -> tuple[str, Path, list[str]]:
    """Models and a copy of the ledger (events are appended to it): from ``store`` when it was
    trained before, else trained (into ``store`` when given, kept for the next run)."""
    from risk.io import load_ledger

    home = store or tmp / "trained"
    if not (home / "mlruns" / "mlflow.db").exists():
        print(f"training models on {customers} customers ...", flush=True)
        home.mkdir(parents=True, exist_ok=True)
        train_store(home, customers)
    ledger = tmp / "ledger-copy"
    shutil.copytree(home / "ledger", ledger)
    ids = load_ledger(ledger).customers["customer_id"].tolist()
    return f"sqlite:///{home}/mlruns/mlflow.db", ledger, ids


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
        # this checkout's code, whatever the environment's editable install points at
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
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
    deadline = time.monotonic() + 600  # start-up is slow on a busy machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                wait_for_warm_up(tmp / "server.log", deadline + 480, process.pid)
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"service did not become ready; see {tmp / 'server.log'}")


WARM_UP_DONE = (
    "web pages ready",
    "web pages: portfolio state failed",
    "month-end history ready",
    "month-end history failed",
    "month-end history from",
)
#: CPU seconds the service may use over ``IDLE_WINDOW_S`` and still count as idle
IDLE_CPU_S, IDLE_WINDOW_S = 0.3, 5.0


def wait_for_warm_up(log: Path, deadline: float, pid: int | None = None) -> None:
    """Wait until the web pages' start-up work (portfolio state; the month-end history when
    the pages ask for it) is over, so that it does not run during the measured phases: a line
    saying so in the log, or the service's processes idle for ``IDLE_WINDOW_S`` (the pages may
    build nothing at start)."""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if any(marker in text for marker in WARM_UP_DONE):
            return
        if pid is not None:
            before = tree_cpu_seconds(pid)
            time.sleep(IDLE_WINDOW_S)
            if tree_cpu_seconds(pid) - before < IDLE_CPU_S:
                return
        else:
            time.sleep(0.5)
    print("warning: the web warm-up did not finish; figures include it", flush=True)


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
    # no call finished (a warm-up on an overloaded machine): percentiles are NaN, not an error
    ms = np.array(latencies or [np.nan]) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
bodies = {%(bodies)s}
request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
"""


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_load(
    url: str,
    path: str,
    bodies: list[dict[str, Any]] | None,
    seconds: float,
    connections: int,
    tmp: Path,
) -> dict[str, Any]:
    """The same figures as ``load``, measured by wrk (2 threads, --latency)."""
    import json

    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if bodies is not None:
        script = tmp / "post.lua"
        quoted = ", ".join(json.dumps(json.dumps(b)) for b in bodies)
        script.write_text(WRK_SCRIPT % {"key": KEY, "bodies": quoted})
        command += ["-s", str(script)]
    out = subprocess.run(
        [*command, f"{url}{path}"], capture_output=True, text=True, check=True
    ).stdout
    percentiles = {
        int(p): _ms(v, u)
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    return {
        "tool": "wrk",
        "requests": requests,
        "errors": errors,
        "seconds": seconds,
        "throughput_rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": round(percentiles[50], 2),
        "p99_ms": round(percentiles[99], 2),
    }


def inline_customer(n_invoices: int = 50) -> dict[str, Any]:
    """An inline ledger of one customer with ``n_invoices`` invoices (most settled)."""
    rng = random.Random(3)
    invoices = []
    for i in range(n_invoices):
        issued = f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}"
        due = f"2024-{1 + i % 12:02d}-28"
        row = {
            "invoice_id": f"B{i}",
            "customer_id": "X1",
            "issued_on": issued,
            "due_on": due,
            "amount": round(rng.uniform(100, 5000), 2),
        }
        if i < n_invoices - 5:
            row |= {
                "paid_on": f"2025-{1 + i % 12:02d}-{1 + rng.randrange(27):02d}",
                "amount_paid": row["amount"],
            }
        invoices.append(row)
    return {
        "customers": [
            {
                "customer_id": "X1",
                "naf_code": "47.11F",
                "legal_form": "SAS",
                "created_on": "2015-01-01",
                "payment_terms_days": 30,
                "credit_limit": 20000,
            }
        ],
        "invoices": invoices,
    }


def in_process_inline(tracking_uri: str, seconds: float) -> dict[str, Any]:
    """Inline-ledger scoring as the service does it: validate with the contracts, then score."""
    import pandas as pd

    from risk import registry
    from risk.scoring import Scorer
    from risk.serving import schemas
    from risk.serving.app import inline_ledger

    scorer = Scorer.from_registry(registry.Store.resolve(tracking_uri))
    request = schemas.CustomerScoreRequest.model_validate(
        {"ledger": inline_customer(50), "as_of": "2026-01-15"}
    )
    times: list[float] = []
    cpu: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        start, start_cpu = time.perf_counter(), time.process_time()
        ledger = inline_ledger(request.ledger, 1000)  # type: ignore[arg-type]
        scorer.score_customers(ledger, pd.Timestamp("2026-01-15"), ["X1"], explain=True)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "invoices": 50,
        "calls": len(times),
        "calls_per_s": round(len(times) / sum(times), 1),
        "median_ms": round(median(times) * 1000, 2),
        # CPU time: what the call costs, whatever the other processes of the machine do
        "median_cpu_ms": round(median(cpu) * 1000, 2),
        "calls_per_cpu_s": round(len(cpu) / sum(cpu), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total = {pid}, 0.0
    for _ in range(8):  # a few generations: bentoml's arbiter, its workers
        tree |= {child for child, (parent, _) in stats.items() if parent in tree}
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


def event_visibility(
    url: str, ledger_dir: Path, server_pid: int, rows: int = 1000
) -> dict[str, Any]:
    """Seconds (wall, and the service's CPU) from sending ``rows`` new invoices until a score
    carries the new ledger version."""
    from risk.io import load_ledger

    ledger = load_ledger(ledger_dir)
    cutoff = ledger.date_range[1]
    customers = ledger.customers["customer_id"].head(20).tolist()
    issued = (cutoff - np.timedelta64(10, "D")).date().isoformat()
    due = (cutoff + np.timedelta64(20, "D")).date().isoformat()
    invoices = [
        {
            "invoice_id": f"EV{i:05d}",
            "customer_id": customers[i % len(customers)],
            "issued_on": issued,
            "due_on": due,
            "amount": 100.0 + i,
        }
        for i in range(rows)
    ]
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        cpu_before = tree_cpu_seconds(server_pid)
        start = time.perf_counter()
        stored = client.post("/ledger/events", json={"invoices": invoices})
        stored.raise_for_status()
        version = stored.json()["ledger_version"]
        accepted = time.perf_counter() - start
        while True:
            score = client.post("/score_customer", json={"customer_id": customers[0]}).json()
            if score["ledger_version"] == version:
                break
        visible = time.perf_counter() - start
        cpu = tree_cpu_seconds(server_pid) - cpu_before
    return {
        "rows": rows,
        "kept": stored.json()["kept"],
        "post_seconds": round(accepted, 3),
        "visible_seconds": round(visible, 3),
        # the service's CPU over that interval (its other work included: none during this phase)
        "service_cpu_seconds": round(cpu, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 s per phase")
    parser.add_argument("--seconds", type=float, default=None, help="duration of each phase")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--customers", type=int, default=300, help="size of the trained portfolio")
    parser.add_argument("--no-wrk", action="store_true", help="use the httpx load generator")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="reuse the models and ledger trained in this folder (trained there when absent)",
    )
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 60.0)
    connections = args.connections
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="bench-service-") as name:
        tmp = Path(name)
        tracking_uri, ledger_dir, ids = reuse_or_train(args.store, tmp, args.customers)
        process, url = start_server(tmp, tracking_uri, ledger_dir)
        try:
            bodies = [{"customer_id": i} for i in ids]
            asyncio.run(load(url, "/score_customer", bodies[:5], 1.0, 2))  # warm-up
            phases: dict[str, dict[str, Any]] = {}
            for phase, path, phase_bodies in (
                ("score_customer", "/score_customer", bodies),
                ("livez", "/livez", None),
            ):
                cpu_before = tree_cpu_seconds(process.pid)
                if use_wrk:
                    f = wrk_load(url, path, phase_bodies, seconds, connections, tmp)
                else:
                    f = asyncio.run(load(url, path, phase_bodies, seconds, connections))
                # the service's CPU per answered request: what the load average does not change
                f["service_cpu_ms_per_request"] = round(
                    (tree_cpu_seconds(process.pid) - cpu_before) * 1000 / max(f["requests"], 1), 3
                )
                f["load_average"] = [round(x, 2) for x in os.getloadavg()]
                phases[phase] = f
            scoring, ceiling = phases["score_customer"], phases["livez"]
            events = event_visibility(url, ledger_dir, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker busy scoring: stop it for good
                process.kill()
                process.wait(timeout=30)
        local = in_process_inline(tracking_uri, seconds)
    figures = {
        "seconds_per_phase": seconds,
        "connections": connections,
        "load_generator": "wrk" if use_wrk else "httpx",
        "workers": 1,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "score_customer": scoring,
        "livez": ceiling,
        "throughput_ratio": round(scoring["throughput_rps"] / ceiling["throughput_rps"], 3),
        "p99_ratio": round(scoring["p99_ms"] / ceiling["p99_ms"], 2),
        "in_process_inline_50_invoices": local,
        "event_batch": events,
        "peak_rss_mb_client": round(peak_rss_mb(), 1),
    }
    for phase in ("score_customer", "livez"):
        f = figures[phase]
        print(
            f"{phase:>15}: {f['throughput_rps']:8.1f} req/s  p50 {f['p50_ms']:7.1f} ms  "
            f"p99 {f['p99_ms']:7.1f} ms  errors {f['errors']}  "
            f"service CPU {f['service_cpu_ms_per_request']:.2f} ms/request"
        )
    print(
        f"{'score/livez':>15}: throughput {figures['throughput_ratio']:.0%} (target >= 50 %), "
        f"p99 x{figures['p99_ratio']} (target <= 2)"
    )
    print(
        f"{'inline (50 inv)':>15}: {local['calls_per_s']:8.1f} calls/s  median {local['median_ms']:.1f} ms "
        f"(CPU {local['median_cpu_ms']:.1f} ms, {local['calls_per_cpu_s']:.1f} calls per CPU-s; "
        "target >= 50/s)"
    )
    print(
        f"{'1,000 events':>15}: visible after {events['visible_seconds']:.2f} s wall, "
        f"{events['service_cpu_seconds']:.2f} s of the service's CPU (target < 1 s)"
    )
    print(f"load average {figures['load_average']} on {figures['cpus']} CPUs")
    print(f"results: {write_results('bench_service', figures)}")


if __name__ == "__main__":
    main()

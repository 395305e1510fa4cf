"""Server-side render times of the web pages (dashboard, worklist, customer sheet, statement,
a recorded action), against the sign-in page (the framework and template floor) in the same run.

Set up as the service does: the ledger folder read by a ``LedgerState`` whose ``prepare`` hook
caches every customer's and open invoice's scores (``risk.serving.cache``, timed apart: the
service pays it when a ledger version is published); the pages build their state from those
scores (timed apart: paid in a background thread at start-up), then each page is asked N times
through the ASGI app in-process (no network), signed in as a collector. A recorded action goes
through the ledger-events path (a new ledger version, the customer rescored). Each page's CPU
time (the process's, nothing else running) is printed beside its wall time: on the shared
machine only the CPU figure holds. With the month-end history (``--history``, ``--quick``) a few
pages are asked while it runs (they answer from the scores they have) and its CPU is reported.
The worklist's paging step is timed before (filter and sort of the whole table per request) and
now (the view prepared once per version) on the run's rows.

    uv run python benchmarks/bench_web.py --quick    # 300 customers, 10 requests per page
    uv run python benchmarks/bench_web.py --ledger /tmp/h15/l10k --store /tmp/h15/store300
                                                     # an existing ledger folder and model store
    uv run python benchmarks/bench_web.py            # 100k customers generated (the issue's
                                                     # target: every page under 300 ms)
    uv run python benchmarks/bench_web.py --paging 100000   # the paging step alone, synthetic
                                                     # rows, no model (seconds)
    ... --profile                                    # cProfile of the sheet's data steps
    ... --baseline-src DIR                           # the same run first on the src/ in DIR
                                                     # (before/after of the same run)
    uv run python benchmarks/bench_web.py --store-only --ledger DIR   # the ledger's part of
                                                     # the event path alone (no models)

Every run also times the event path (``event_phases``): a recorded call and a batch of 1,000
new invoices, in CPU time, until published and until the background rescoring is over.
"""

from __future__ import annotations

import argparse
import os
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


def model_store(tmp: Path, store: Path | None, customers: int) -> Any:
    """A trained store: ``store`` when given (its mlflow.db), else trained here."""
    from risk import registry
    from risk.synth import SampleConfig, generate_portfolio
    from risk.train import train_levels

    if store is not None:
        return registry.Store.resolve(f"sqlite:///{store}/mlflow.db")
    found = registry.Store.resolve(f"sqlite:///{tmp}/mlruns/mlflow.db")
    portfolio = generate_portfolio(SampleConfig(customers=min(customers, 2000), years=3, seed=7))
    train_levels(portfolio.ledger, found)
    return found


def ledger_folder(tmp: Path, given: Path | None, customers: int) -> Path:
    """A copy of ``given`` (recorded actions rewrite its reminders), else a generated one."""
    import shutil

    from risk.io import write_ledger
    from risk.synth import SampleConfig, generate_portfolio

    folder = tmp / "ledger"
    if given is not None:
        shutil.copytree(given, folder, ignore=shutil.ignore_patterns("truth"))
        return folder
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=7))
    write_ledger(portfolio.ledger, folder, fmt="parquet")
    return folder


def timings(
    client: Any, method: str, path: str, repeats: int, **kw: Any
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``repeats`` requests. CPU is the whole process's
    (``time.process_time``: the client, the ASGI thread and the worker threads; nothing else
    runs in the process meanwhile), the figure that holds on a loaded machine."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        answer = client.request(method, path, **kw)
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
        if answer.status_code not in (200, 303):
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
    return wall, cpu


ACTIONS = ["courtesy_reminder", "first_reminder", "call", "formal_notice", "declare_claim", "wait"]


def synthetic_rows(n: int, seed: int = 7) -> Any:
    """``n`` customer rows with the worklist page's columns (random values, no scoring): the
    paging step alone at a size the scoring pipeline cannot reach here."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    owed = rng.lognormal(8, 1.5, n).round(2)
    return pd.DataFrame(
        {
            "grade": pd.Categorical(rng.choice(list("ABCDE"), n), categories=list("ABCDE")),
            "sector": rng.choice(list("ACFGHJMNQ"), n).astype(object),
            "action": rng.choice(ACTIONS, n),
            "owner": rng.choice(["collector", "credit_manager"], n),
            "total_owed": owed,
            "at_risk": (owed * rng.uniform(0, 0.5, n)).round(2),
            "max_days_past_due": rng.integers(-30, 200, n),
            "action_date": pd.Timestamp("2025-12-31")
            + pd.to_timedelta(rng.integers(-20, 40, n), unit="D"),
            "name": [f"Client {i:06d}" for i in rng.permutation(n)],
        },
        index=pd.Index([f"C{i:06d}" for i in range(n)], name="customer_id"),
    )


PAGING_QUERIES = {
    "grade E, by amount owed, page 2": {"grades": ("E",), "sort": "total_owed", "page": 2},
    "no filter, by name, page 1": {"sort": "name"},
    "owner + amount >= 1000, by date, page 3": {
        "owner": "collector",
        "min_amount": 1000.0,
        "sort": "action_date",
        "page": 3,
    },
}


def whole_table_page(rows: Any, query: Any, page_size: int = 25) -> Any:
    """One page by filtering and sorting the whole table (the former per-request ``select``)."""
    from risk.web.worklist import SORTS

    keep = np.ones(len(rows), dtype=bool)
    if query.grades:
        keep &= rows["grade"].isin(query.grades).to_numpy()
    for column in ("sector", "action", "owner"):
        if getattr(query, column):
            keep &= (rows[column] == getattr(query, column)).to_numpy()
    if query.min_amount > 0:
        keep &= (rows["total_owed"] >= query.min_amount).to_numpy()
    column, ascending = SORTS[query.sort]
    matched = rows[keep].sort_values(
        [column, "at_risk"], ascending=[ascending, False], kind="stable"
    )
    start = (query.page - 1) * page_size
    return matched.iloc[start : start + page_size]


def paging_baseline(rows: Any, repeats: int) -> dict[str, Any]:
    """CPU ms per worklist page request: filtering and sorting the whole table (before) against
    paging the prepared view (now), for a few filter and sort combinations; the pages are
    checked equal."""
    from risk.web.worklist import Query, prepare

    start = time.process_time()
    prepared = prepare(rows)
    out: dict[str, Any] = {"prepare_once_ms": round((time.process_time() - start) * 1000, 1)}
    for label, fields in PAGING_QUERIES.items():
        query = Query(**fields)
        if not whole_table_page(rows, query).index.equals(prepared.page(query)[0].index):
            raise RuntimeError(f"{label}: the prepared page differs from the whole-table page")
        figures = {}
        for name, run in (
            ("whole_table_ms", lambda q=query: whole_table_page(rows, q)),
            ("prepared_ms", lambda q=query: prepared.page(q)),
        ):
            times = []
            for _ in range(repeats):
                begin = time.process_time()
                run()
                times.append((time.process_time() - begin) * 1000)
            figures[name] = round(median(times), 2)
        out[label] = figures
    return out


def print_paging(paging: dict[str, Any], rows: int) -> None:
    print(f"\nworklist paging on {rows:,} customer rows, CPU ms per request "
          f"(prepared once per version: {paging['prepare_once_ms']} ms)")  # fmt: skip
    print(f"{'query':<42}{'whole table':>12}{'prepared':>10}")
    for label, figures in paging.items():
        if isinstance(figures, dict):
            print(f"{label:<42}{figures['whole_table_ms']:>12.2f}{figures['prepared_ms']:>10.2f}")


def profile_sheet(state: Any, customer_id: str, repeats: int = 20) -> None:
    """cProfile of the customer sheet's data steps (the page minus HTTP and the template):
    the sheet, the customer's recorded actions, the view's chart."""
    import cProfile
    import pstats

    from risk.web import views
    from risk.web.i18n import Translator
    from risk.web.sheet import customer_sheet

    snap, t = state.snapshot(), Translator("fr")

    def steps() -> None:
        for _ in range(repeats):
            sheet = customer_sheet(snap, customer_id, state.actions.read(customer_id))
            views.customer_view(snap, sheet, t)

    profiler = cProfile.Profile()
    start = time.process_time()
    profiler.runcall(steps)
    print(f"\nsheet data steps: {(time.process_time() - start) / repeats * 1000:.1f} ms CPU "
          f"per sheet (under cProfile)")  # fmt: skip
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def event_batch(ledger: Any, rows: int, customers: int = 20) -> dict[str, Any]:
    """``rows`` new invoices for the first ``customers`` customers, issued 10 days before the
    cut-off (the batch of ``bench_service.event_visibility``), as ``POST /ledger/events`` text."""
    import pandas as pd

    cutoff = ledger.date_range[1]
    ids = ledger.customers["customer_id"].head(customers).tolist()
    issued = (cutoff - pd.Timedelta(days=10)).date().isoformat()
    due = (cutoff + pd.Timedelta(days=20)).date().isoformat()
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"EV{i:06d}" for i in range(rows)],
            "customer_id": [ids[i % len(ids)] for i in range(rows)],
            "issued_on": issued,
            "due_on": due,
            "amount": [f"{100.0 + i}" for i in range(rows)],
        },
        dtype="str",
    )
    return {"invoices": invoices}


def event_phases(
    client: Any, ledgers: Any, customer_id: str, csrf: str, repeats: int
) -> dict[str, Any]:
    """CPU time of the event path: a recorded call (the htmx POST: ledger event checked,
    stored, published with the customer rescored, the pages decided again) and a batch of
    1,000 new invoices for 20 customers (``LedgerState.append``: checked, stored and
    published with its customers rescored, i.e. visible to the next score). Each is timed
    until it answers (the publishing thread's CPU for the batch) and until the background
    rescoring of the touched customers' open invoices is over (the process's CPU)."""
    out: dict[str, Any] = {}
    answer_cpu, settled_cpu = [], []
    for _ in range(repeats):
        start = time.process_time()
        answer = client.post(
            f"/app/customers/{customer_id}/actions",
            data={"csrf": csrf, "kind": "call", "note": "bench"},
            headers={"HX-Request": "true"},
        )
        answer_cpu.append((time.process_time() - start) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"record a call: {answer.status_code} {answer.text[:300]}")
        ledgers.settle()
        settled_cpu.append((time.process_time() - start) * 1000)
    out["record a call"] = {
        "cpu_median_ms": round(median(answer_cpu), 1),
        "cpu_p95_ms": round(float(np.percentile(answer_cpu, 95)), 1),
        "cpu_with_background_median_ms": round(median(settled_cpu), 1),
    }
    published, settled = [], []
    for round_ in range(3):
        batch = event_batch(ledgers.snapshot.ledger, 1000)
        batch["invoices"]["invoice_id"] = "R" + str(round_) + batch["invoices"]["invoice_id"]
        start, start_thread = time.process_time(), time.thread_time()
        check, snapshot = ledgers.append(batch)
        published.append((time.thread_time() - start_thread) * 1000)
        if check.kept.get("invoices") != 1000 or ledgers.snapshot is not snapshot:
            raise RuntimeError(f"event batch: kept {check.kept}, issues {check.issues.head()}")
        ledgers.settle()
        settled.append((time.process_time() - start) * 1000)
    out["1,000 new invoices"] = {
        "published_cpu_ms": [round(x, 1) for x in published],
        "with_background_cpu_ms": [round(x, 1) for x in settled],
    }
    for label, figures in out.items():
        print(f"{label:<28}{figures}")
    return out


def compaction_phases(
    ledgers: Any, source: Any, folder: Path, customer_id: str, open_ids: list[str], batches: int
) -> dict[str, Any]:
    """``batches`` more recorded calls stored as event batches, then the folder read whole
    (``FolderSource.read``: every batch applied) before and after the batches are folded into
    the tables (``risk.store.compact``, when this src has it). CPU of this thread."""
    from risk.web.actions import CollectionAction, action_events

    as_of = ledgers.snapshot.ledger.date_range[1]
    for i in range(batches):
        action = CollectionAction(
            customer_id=customer_id,
            invoice_ids=open_ids or ledgers.snapshot.ledger.invoices["invoice_id"].head(1).tolist(),
            kind="call",
            effective_on=(as_of + pd_days(1 + i % 20)).date(),
            key_name="bench",
            note=f"bench {i}",
        )
        ledgers.append(action_events(action))
    out: dict[str, Any] = {}
    begin = time.thread_time()
    source.read()
    out[f"folder read with {batches} more batches (s)"] = round(time.thread_time() - begin, 2)
    if not hasattr(source, "compact"):
        return out
    version = source.fingerprint()
    begin = time.thread_time()
    folded = source.compact()
    out[f"compaction of {folded} batches (s)"] = round(time.thread_time() - begin, 2)
    begin = time.thread_time()
    _, after = source.read()
    out["folder read after compaction (s)"] = round(time.thread_time() - begin, 2)
    if after != version:
        raise RuntimeError("the compaction changed the folder's version")
    return out


def store_phases(folder: Path, repeats: int, batches: int = 0) -> dict[str, Any]:
    """The ledger's part of the event path, without models (so that it runs at 100,000
    customers where caching every score takes most of an hour on the shared machine): a
    ``LedgerState`` on a copy of the folder; a recorded call (one reminder row per open
    invoice of a customer, ``risk.web.actions.action_events``) checked, stored and published,
    then that customer's rows cut three times as the service's cache, its background
    completion and the pages do; and the 1,000-invoice batch with its 20 customers cut once.
    CPU of this thread (``time.thread_time``)."""
    import datetime as dt
    import inspect

    from risk.ledger import subset_ledger
    from risk.ledger_index import build_index
    from risk.portfolio import open_amounts
    from risk.store import FolderSource, LedgerState
    from risk.web.actions import CollectionAction, action_events

    options = inspect.signature(FolderSource).parameters
    source = (
        FolderSource(folder, compact_in_background=False)
        if "compact_in_background" in options
        else FolderSource(folder)
    )
    start = time.thread_time()
    ledgers = LedgerState(source)
    ledgers.refresh()
    out: dict[str, Any] = {"read_cpu_s": round(time.thread_time() - start, 2)}
    ledger = ledgers.snapshot.ledger
    begin = time.thread_time()
    build_index(ledger)
    out["index build (once per version read)"] = round((time.thread_time() - begin) * 1000, 1)
    as_of = ledger.date_range[1]
    customer_id = str(ledger.customers["customer_id"].iloc[7])
    open_ids = open_amounts(subset_ledger(ledger, [customer_id]), as_of)["invoice_id"].tolist()
    append_cpu, cut_cpu = [], []
    for _ in range(repeats):
        action = CollectionAction(
            customer_id=customer_id,
            invoice_ids=open_ids or ledger.invoices["invoice_id"].head(1).tolist(),
            kind="call",
            effective_on=(as_of + pd_days(1)).date(),
            key_name="bench",
            note="bench",
        )
        begin = time.thread_time()
        check, snapshot = ledgers.append(action_events(action))
        append_cpu.append((time.thread_time() - begin) * 1000)
        begin = time.thread_time()
        for _ in range(3):
            subset_ledger(snapshot.ledger, [customer_id])
        cut_cpu.append((time.thread_time() - begin) * 1000)
        if not check.kept.get("reminders"):
            raise RuntimeError(f"recorded call refused: {check.issues}")
    out["recorded call: check + store + publish"] = round(median(append_cpu), 1)
    out["recorded call: the customer cut 3 times"] = round(median(cut_cpu), 1)
    batch = event_batch(ledgers.snapshot.ledger, 1000)
    begin = time.thread_time()
    check, snapshot = ledgers.append(batch)
    out["1,000 invoices: check + store + publish"] = round((time.thread_time() - begin) * 1000, 1)
    touched = sorted(check.customers)
    begin = time.thread_time()
    subset_ledger(snapshot.ledger, touched)
    out["1,000 invoices: the 20 customers cut"] = round((time.thread_time() - begin) * 1000, 1)
    if batches:
        out.update(compaction_phases(ledgers, source, folder, customer_id, open_ids, batches))
    out["when"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for label, value in out.items():
        print(f"{label:<44}{value}")
    return out


def pd_days(n: int) -> Any:
    import pandas as pd

    return pd.Timedelta(days=n)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="300 customers, 10 requests")
    parser.add_argument("--customers", type=int, default=None, help="customers to generate")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--ledger", type=Path, default=None, help="an existing ledger folder")
    parser.add_argument("--store", type=Path, default=None, help="a trained store (mlflow.db)")
    parser.add_argument(
        "--history", action="store_true", help="also time the 24 month-end scorings"
    )
    parser.add_argument(
        "--paging",
        type=int,
        default=None,
        metavar="N",
        help="only the worklist paging step on N synthetic customer rows (no model, no ledger)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile of the customer sheet's steps"
    )
    parser.add_argument(
        "--batches",
        type=int,
        default=0,
        help="with --store-only: store N more recorded calls, then time reading the folder "
        "before and after folding its event batches (risk compact)",
    )
    parser.add_argument("--tag", default="", help="suffix of the results file (e.g. before)")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        metavar="DIR",
        help="first run the same benchmark on another copy of src/ (e.g. `git archive` of the "
        "base commit) in a subprocess, for before/after figures of the same run",
    )
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="only the ledger's part of the event path (no models; needs --ledger)",
    )
    args = parser.parse_args()
    if args.baseline_src is not None:
        import subprocess

        argv = [a for a in sys.argv[1:]]
        at = argv.index("--baseline-src")
        del argv[at : at + 2]
        env = {**os.environ, "PYTHONPATH": str(args.baseline_src)}
        print(f"--- before: src from {args.baseline_src}", flush=True)
        subprocess.run([sys.executable, __file__, *argv, "--tag", "before"], env=env, check=True)
        print("--- after: this checkout's src", flush=True)
        args.tag = args.tag or "after"
    customers = args.customers or (300 if args.quick else 100_000)
    repeats = args.repeats or (10 if args.quick else 30)
    if args.paging:
        paging = paging_baseline(synthetic_rows(args.paging), repeats)
        print_paging(paging, args.paging)
        print(f"load average {os.getloadavg()[0]:.1f} (synthetic rows, no model, no ledger)")
        write_results(f"bench_web_paging_{args.paging}", {"paging_cpu": paging})
        return

    load_start = os.getloadavg()
    if args.store_only:
        import shutil

        with tempfile.TemporaryDirectory(
            dir="/tmp/h15" if Path("/tmp/h15").is_dir() else None
        ) as name:
            folder = Path(name) / "ledger"
            shutil.copytree(args.ledger, folder, ignore=shutil.ignore_patterns("truth"))
            figures = store_phases(folder, min(repeats, 5), args.batches)
        load_end = os.getloadavg()
        print(f"load average: {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end")
        figures["load_average"] = [round(load_start[0], 1), round(load_end[0], 1)]
        figures["src"] = str(Path(sys.modules["risk"].__file__).parent)
        figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
        tag = f"bench_web_store_{args.ledger.name}" + (f"_{args.tag}" if args.tag else "")
        print(f"results: {write_results(tag, figures)}")
        return
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from risk.scoring import Scorer
    from risk.serving.audit import AuditLog
    from risk.serving.auth import hash_key
    from risk.serving.cache import fill_invoices, update_cache
    from risk.store import FolderSource, LedgerState
    from risk.web.app import create_app

    with tempfile.TemporaryDirectory(dir="/tmp/h15" if Path("/tmp/h15").is_dir() else None) as name:
        tmp = Path(name)
        start = time.perf_counter()
        scorer = Scorer.from_registry(model_store(tmp, args.store, customers))
        folder = ledger_folder(tmp, args.ledger, customers)
        print(f"models and ledger ready in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        # as the service sets it up: an event's customers rescored before it is published,
        # their open invoices right after in a background thread
        ledgers = LedgerState(
            FolderSource(folder),
            prepare=lambda s, c, p: update_cache(scorer, s, c, p, invoices_later=True),
            complete=lambda s, cache: fill_invoices(scorer, s, cache),
        )
        ledgers.refresh()
        ledger = ledgers.snapshot.ledger
        cache_s = time.perf_counter() - start
        n_customers = len(ledger.customers)
        print(f"{n_customers:,} customers, {len(ledger.invoices):,} invoices: read and scores "
              f"cached in {cache_s:.1f} s")  # fmt: skip
        audit = AuditLog(f"sqlite:///{tmp}/audit.db")
        context = SimpleNamespace(scorer=scorer, ledgers=ledgers, audit=audit, not_ready="")
        env = {
            "RISK_API_KEYS": f"bench:{hash_key(KEY)}:collector",
            "RISK_ACTIONS_URL": f"sqlite:///{tmp}/actions.db",
            "RISK_AUDIT_URL": f"sqlite:///{tmp}/audit.db",
        }
        web = create_app(lambda: context, env)
        state = web.state.web.state()
        state._history_wanted = args.history or args.quick
        start, start_cpu = time.perf_counter(), time.process_time()
        snap = state.snapshot()
        state_s = time.perf_counter() - start
        state_cpu_s = time.process_time() - start_cpu  # the history thread starts at the end
        print(f"portfolio state from the cached scores: {state_s:.1f} s ({state_cpu_s:.1f} s CPU)")
        app = Starlette(routes=[Mount("/app", app=web)])
        customer_id = str(snap.customers.sort_values("at_risk").index[-1])
        history_s = history_cpu_s = None
        during: dict[str, dict[str, Any]] = {}
        with TestClient(app) as client:
            page = client.get("/app/signin")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            client.post("/app/signin", data={"csrf": token, "key": KEY})
            if state._history_wanted:
                # pages asked while the 24 month-end scorings run: they must answer from the
                # scores they have, not wait (wall clock; the CPU is shared with the thread)
                start_cpu = time.process_time()
                for label, path in (
                    ("customer sheet", f"/app/customers/{customer_id}"),
                    ("worklist", "/app/worklist"),
                ):
                    wall, _ = timings(client, "GET", path, 3)
                    busy = state._history_thread is not None and state._history_thread.is_alive()
                    during[label] = {"median_wall_ms": round(median(wall), 1), "history_busy": busy}
                start = time.perf_counter()
                state.wait_history()
                history_s = time.perf_counter() - start + state_s
                history_cpu_s = time.process_time() - start_cpu
                print(f"month-end history (24 scorings, background): {history_s:.1f} s after "
                      f"start, {history_cpu_s:.1f} s CPU; pages meanwhile: {during}")  # fmt: skip
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
            print(f"\n{'page':<28}{'CPU ms':>9}{'CPU p95':>9}{'wall ms':>9}{'wall p95':>10}"
                  f"{'x floor':>9}")  # fmt: skip
            for label, (method, path, kw) in pages.items():
                n = min(repeats, 10) if label.startswith("record") else repeats
                wall, cpu = timings(client, method, path, n, **kw)
                results[label] = {
                    "cpu_median_ms": round(median(cpu), 1),
                    "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 1),
                    "median_ms": round(median(wall), 1),
                    "p95_ms": round(float(np.percentile(wall, 95)), 1),
                }
            floor = results["signin (floor)"]["cpu_median_ms"]
            for label, figures in results.items():
                ratio = figures["cpu_median_ms"] / floor if floor else float("nan")
                print(f"{label:<28}{figures['cpu_median_ms']:>9.1f}{figures['cpu_p95_ms']:>9.1f}"
                      f"{figures['median_ms']:>9.1f}{figures['p95_ms']:>10.1f}{ratio:>9.1f}")  # fmt: skip
            events = event_phases(client, ledgers, customer_id, csrf, min(repeats, 10))
            paging = paging_baseline(state.snapshot().customers, repeats)
            print_paging(paging, len(state.snapshot().customers))
        if args.profile:
            profile_sheet(state, customer_id)
        ledgers.stop()
        audit.close()
        slowest = max(
            v["cpu_median_ms"]
            for k, v in results.items()
            if k != "signin (floor)" and not k.startswith("record")
        )
        print(
            f"\nslowest page median {slowest:.0f} ms CPU (target {TARGET_MS:.0f} ms on 100k "
            f"customers; this run: {n_customers:,})"
        )
        load_end = os.getloadavg()
        print(f"load average: {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end")
        figures = {
            "load_average": [round(load_start[0], 1), round(load_end[0], 1)],
            "customers": n_customers,
            "invoices": len(ledger.invoices),
            "repeats": repeats,
            "scores_cached_s": round(cache_s, 2),
            "state_build_s": round(state_s, 2),
            "state_build_cpu_s": round(state_cpu_s, 2),
            "state_with_history_s": None if history_s is None else round(history_s, 2),
            "history_cpu_s": None if history_cpu_s is None else round(history_cpu_s, 2),
            "pages_during_history": during,
            "pages": results,
            "worklist_paging_cpu": paging,
            "events": events,
            "src": str(Path(sys.modules["risk"].__file__).parent),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        tag = ("_quick" if args.quick else f"_{n_customers}") + (f"_{args.tag}" if args.tag else "")
        print(f"results: {write_results('bench_web' + tag, figures)}")


if __name__ == "__main__":
    main()

"""Benchmark: fit time and memory of the payment-timing model on N snapshot rows (target: 1M
rows in under 2 minutes on this machine).

    uv run python benchmarks/bench_timing_fit.py            # 1M snapshot rows, 1 then 2 threads
    uv run python benchmarks/bench_timing_fit.py --quick    # 200k snapshot rows

The snapshot rows of a generated portfolio (300 customers, seed 11, weekly snapshots) are built
once (their CPU time per row is reported), then repeated with fresh invoice and customer ids up
to ``--rows`` rows, and the hazard model (``fit_hazard``: (row, week) pairs, LightGBM with early
stopping, calibration) and the lost-outcome model (``fit_lost_share``) are fitted on them, then
both refitted on the training and validation rows with the rounds chosen (``refit_timing``), as
``fit_timing`` fits them, once per ``--threads`` value, step by step (pairs, LightGBM Datasets,
boosting, calibration, lost share, refit, lost-share refit). OpenMP's wait policy is the
package's (``OMP_WAIT_POLICY=passive`` unless set in the environment, ``risk/__init__.py``). Repeated rows cost LightGBM what distinct rows cost
(histograms are built over every row), but early stopping may stop at another round than on a
genuinely larger ledger: the CPU seconds per tree are printed beside the total.

Baseline, in the same run: at ``--baseline-rows`` rows, the previous fit (without the refit) (the whole (row,
week) pair frame built in pandas and handed to LightGBM, which copies it into a float64 matrix)
against this one, with their peak memory, and a check that both give the same trees.

CPU time (all threads) is the figure to read on a shared machine; the load average is recorded
with it. Peak RSS is the process's peak during each phase (Linux: the peak is reset between
phases), the rows' frame included.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import logging
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

# as ``risk/__init__.py`` sets it, but lightgbm is imported here before the package: libgomp
# reads the wait policy once, when it is loaded
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import lightgbm as lgb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from risk.features import FeatureConfig
from risk.model.bundle import RiskModel
from risk.model.calibration import fit_calibrator
from risk.model.lgbm import LightGBMConfig
from risk.synth import SampleConfig, generate_portfolio
from risk.timing.hazard import (
    LOST_MODEL,
    LOST_PARAMS,
    TIMING_PARAMS,
    HazardConfig,
    blank_model,
    exit_pairs,
    fit_hazard,
    fit_lost_share,
    fit_params,
    refit_timing,
    training_pairs,
)
from risk.timing.outcomes import exit_dates
from risk.timing.snapshots import snapshot_frame
from risk.timing.train import TimingConfig, timing_windows

TARGET_SECONDS = 120.0


def cpu_seconds() -> float:
    """User + system CPU of this process and all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> tuple[float, float]:
    """(current, peak since the last ``reset_peak``) resident memory, MiB (Linux)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                fields[line.split(":")[0]] = int(line.split()[1]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", peak_rss_mb())


def reset_peak() -> None:
    """Return freed memory to the system (glibc), then restart the peak from the current RSS."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


class Steps(logging.Handler):
    """CPU, wall and peak RSS at each log line of the hazard fit (the steps' ends)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.marks: list[tuple[str, float, float, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.marks.append((record.getMessage(), cpu_seconds(), time.perf_counter(), rss_mb()[1]))


@contextmanager
def phase(figures: dict[str, Any]) -> Iterator[None]:
    """Fill ``figures`` with the CPU, wall, peak RSS and load average of the block."""
    reset_peak()
    figures["rss_before_mb"] = round(rss_mb()[0])
    figures["load_average_before"] = os.getloadavg()
    cpu, wall = cpu_seconds(), time.perf_counter()
    yield
    figures["cpu_seconds"] = round(cpu_seconds() - cpu, 2)
    figures["wall_seconds"] = round(time.perf_counter() - wall, 2)
    figures["peak_rss_mb"] = round(rss_mb()[1])
    figures["load_average_after"] = os.getloadavg()


def repeated(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``frame`` repeated (fresh invoice and customer ids per copy) to ``rows`` rows; fewer
    rows than ``frame`` has are a random sample of its rows (all dates, both windows)."""
    if rows < len(frame):
        return frame.sample(n=rows, random_state=0).sort_index().reset_index(drop=True)
    copies = []
    for k in range(int(np.ceil(rows / len(frame)))):
        copy = frame.copy()
        copy["invoice_id"] = copy["invoice_id"].astype("str") + f"~{k}"
        copy["customer_id"] = copy["customer_id"].astype("str") + f"~{k}"
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).head(rows)


Windows = tuple[pd.DataFrame, pd.Timestamp, pd.DataFrame, pd.Timestamp]


def previous_fit(data: Windows, features: FeatureConfig, config: HazardConfig) -> RiskModel:
    """The fit before the pairs were streamed (commit 36da80c): the whole pair frame of
    ``training_pairs`` / ``exit_pairs`` handed to LightGBM, which copies it into a matrix."""
    train, end, valid, valid_end = data
    model = blank_model(train, features)
    X, y, w = training_pairs(model, train, end, config.weeks)  # noqa: N806
    Xv, yv, wv = training_pairs(model, valid, valid_end, config.weeks)  # noqa: N806
    train_set = lgb.Dataset(X, label=y, weight=w)
    model.booster = lgb.train(
        fit_params(model, features, config.lightgbm, config.seed), train_set,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[lgb.Dataset(Xv, label=yv, weight=wv, reference=train_set)],
        callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
    )  # fmt: skip
    model.calibrator = fit_calibrator(model.raw_score(Xv), yv, "sigmoid")
    del X, Xv, train_set
    X, y, w = exit_pairs(model, train, end, config.weeks)  # noqa: N806
    Xv, yv, wv = exit_pairs(model, valid, valid_end, config.weeks)  # noqa: N806
    settings = LightGBMConfig(params=dict(LOST_PARAMS), num_threads=config.lightgbm.num_threads)
    lost_set = lgb.Dataset(X, label=y, weight=w)
    lost = lgb.train(
        fit_params(model, features, settings, config.seed), lost_set, num_boost_round=200,
        valid_sets=[lgb.Dataset(Xv, label=yv, weight=wv, reference=lost_set)],
        callbacks=[lgb.early_stopping(20, verbose=False)],
    )  # fmt: skip
    model.metadata[LOST_MODEL] = lost.model_to_string(num_iteration=lost.best_iteration or None)
    return model


def current_fit(
    data: Windows,
    features: FeatureConfig,
    config: HazardConfig,
    steps: Steps | None = None,
    rows: pd.DataFrame | None = None,
) -> RiskModel:
    """``fit_hazard`` then ``fit_lost_share``, then (``rows``: the training and validation
    rows together, with ``config.refit``) ``refit_timing``, as ``fit_timing`` runs them."""
    model = fit_hazard(*data, features, config)
    if steps is not None:
        steps.marks.append(("calibrated", cpu_seconds(), time.perf_counter(), rss_mb()[1]))
    fit_lost_share(model, *data, features, config)
    if steps is not None:
        steps.marks.append(("lost share", cpu_seconds(), time.perf_counter(), rss_mb()[1]))
    if rows is not None and config.refit:
        model = refit_timing(model, rows, data[3], features, config)
    return model


def split(frame: pd.DataFrame, rows: int, windows: Any) -> tuple[Windows, pd.DataFrame]:
    """The training and validation windows of ``rows`` repeated rows, and all of them (what
    the refit reads)."""
    big = repeated(frame, rows)
    train = (big["as_of"] < windows.train_end).to_numpy()
    return (big[train], windows.train_end, big[~train], windows.valid_end), big


def timed_fit(
    name: str, fit: Callable[[], RiskModel], extra: dict[str, Any]
) -> tuple[dict[str, Any], RiskModel]:
    figures: dict[str, Any] = {"fit": name, **extra}
    with phase(figures):
        model = fit()
    figures["trees"] = model.booster.num_trees()
    figures["cpu_seconds_per_tree_all"] = round(figures["cpu_seconds"] / figures["trees"], 3)
    print(
        f"  {name}: {figures['cpu_seconds']:.1f} CPU-s, {figures['wall_seconds']:.1f} s wall, "
        f"{figures['trees']} trees, peak RSS {figures['peak_rss_mb']} MiB (from "
        f"{figures['rss_before_mb']}); load {figures['load_average_before'][0]:.1f} -> "
        f"{figures['load_average_after'][0]:.1f}",
        flush=True,
    )
    return figures, model


def step_figures(steps: Steps, start_cpu: float, start_wall: float) -> dict[str, Any]:
    """CPU and wall of each step between the log marks of the fit."""
    names = {
        "lost outcome refitted": "lost_share_refit",
        "model refitted": "refit",
        "training pairs": "pairs",
        "datasets built": "lightgbm_datasets",
        "trees": "boosting",
        "calibrated": "calibration",
        "lost share": "lost_share",
    }
    out: dict[str, Any] = {}
    cpu, wall = start_cpu, start_wall
    for message, mark_cpu, mark_wall, peak in steps.marks:
        key = next((v for k, v in names.items() if k in message), None)
        if key is None:
            continue
        out[key] = {"cpu_seconds": round(mark_cpu - cpu, 2), "wall_seconds": round(
            mark_wall - wall, 2), "peak_rss_mb_so_far": round(peak)}  # fmt: skip
        cpu, wall = mark_cpu, mark_wall
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k snapshot rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="LightGBM threads")
    parser.add_argument(
        "--baseline-rows", type=int, default=None,
        help="rows of the previous-fit baseline (default 50k, --quick 20k; 0: none)",
    )  # fmt: skip
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    baseline_rows = (
        args.baseline_rows if args.baseline_rows is not None else 20_000 if args.quick else 50_000
    )
    portfolio = generate_portfolio(SampleConfig(customers=args.customers, years=3, seed=11))
    ledger = portfolio.ledger

    def config(threads: int) -> HazardConfig:
        return HazardConfig(lightgbm=LightGBMConfig(params=dict(TIMING_PARAMS),
            num_boost_round=600, early_stopping_rounds=30, num_threads=threads))  # fmt: skip

    timing = TimingConfig()
    features = timing.features
    windows = timing_windows(ledger, timing)
    cpu = cpu_seconds()
    frame = snapshot_frame(ledger, windows.valid_end, features, timing.snapshots)
    snapshot_cpu = cpu_seconds() - cpu
    exits = exit_dates(ledger).set_index("invoice_id")
    frame["paid_on"] = frame["invoice_id"].map(exits["paid_on"])
    frame["lost_on"] = frame["invoice_id"].map(exits["lost_on"])
    print(f"{len(frame):,} snapshot rows of {args.customers} customers built in "
          f"{snapshot_cpu:.1f} CPU-s ({snapshot_cpu / len(frame) * 1e6:.0f} CPU-s per 1M rows)",
          flush=True)  # fmt: skip
    results: dict[str, Any] = {
        "snapshot_rows": rows,
        "source_rows": len(frame),
        "customers": args.customers,
        "snapshot_cpu_seconds_per_1m_rows": round(snapshot_cpu / len(frame) * 1e6, 1),
        "target_seconds": TARGET_SECONDS,
    }

    if baseline_rows:
        data, _ = split(frame, baseline_rows, windows)
        threads = args.threads[0]
        print(f"baseline at {baseline_rows:,} snapshot rows, {threads} thread(s):", flush=True)
        extra = {"snapshot_rows": baseline_rows, "threads": threads}
        # the streamed fit first: its peak is measured from the rows' frame alone
        # the fits on the training window only (no refit): the previous fit had none
        selection = replace(config(threads), refit=False)
        new, new_model = timed_fit("streamed pairs", lambda: current_fit(
            data, features, selection), extra)  # fmt: skip
        old, old_model = timed_fit("previous (pair frame)", lambda: previous_fit(
            data, features, selection), extra)  # fmt: skip
        same = (
            old_model.booster.model_to_string() == new_model.booster.model_to_string()
            and old_model.metadata.get(LOST_MODEL) == new_model.metadata.get(LOST_MODEL)
        )
        print(f"  same trees (hazard and lost share): {same}", flush=True)
        results["baseline"] = {"previous": old, "current": new, "same_model": same}
        del data, old_model, new_model

    data, all_rows = split(frame, rows, windows)
    del frame
    results["runs"] = []
    threads_tag = "-".join(str(t) for t in args.threads)
    name = f"bench_timing_fit-{rows}rows-{args.customers}c-{threads_tag}t"
    for threads in args.threads:
        steps = Steps()
        hazard_logger = logging.getLogger("risk.timing.hazard")
        hazard_logger.addHandler(steps)
        hazard_logger.setLevel(logging.INFO)
        start_cpu, start_wall = cpu_seconds(), time.perf_counter()
        print(f"{rows:,} snapshot rows, {threads} LightGBM thread(s):", flush=True)
        fit = functools.partial(current_fit, data, features, config(threads), steps, all_rows)
        extra = {"snapshot_rows": rows, "threads": threads}
        figures, model = timed_fit("streamed pairs", fit, extra)
        hazard_logger.removeHandler(steps)
        figures["pairs"] = model.metadata["pairs_train"] + model.metadata["pairs_valid"]
        figures["pairs_refit"] = model.metadata.get("pairs_refit")
        figures["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
        figures["steps"] = step_figures(steps, start_cpu, start_wall)
        boosting = figures["steps"].get("boosting", {}).get("cpu_seconds", float("nan"))
        figures["boosting_cpu_seconds_per_tree"] = round(boosting / figures["trees"], 3)
        figures["target_met_wall"] = figures["wall_seconds"] < TARGET_SECONDS
        figures["target_met_cpu"] = figures["cpu_seconds"] < TARGET_SECONDS
        for step, value in figures["steps"].items():
            print(f"    {step}: {value['cpu_seconds']:.1f} CPU-s, {value['wall_seconds']:.1f} s "
                  f"wall (peak RSS so far {value['peak_rss_mb_so_far']} MiB)")  # fmt: skip
        print(f"  {figures['pairs']:,} pairs, boosting {figures['boosting_cpu_seconds_per_tree']}"
              f" CPU-s per tree; target < {TARGET_SECONDS:.0f} s: wall "
              f"{figures['target_met_wall']}, CPU {figures['target_met_cpu']}", flush=True)  # fmt: skip
        results["runs"].append(figures)
        results["peak_rss_mb_process"] = round(peak_rss_mb())
        path = write_results(name, results)  # after each run: a long run keeps what it measured
        del model
    print(f"results: {path}")


if __name__ == "__main__":
    main()

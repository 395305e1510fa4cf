"""Benchmark: coverage and width of the cash-in forecast's 80 % band in back-tests.

    uv run python benchmarks/bench_forecast_band.py --customers 5000 --train-customers 2000
    uv run python benchmarks/bench_forecast_band.py --quick        # 300 customers

The generated portfolio of ``bench_timing.py`` (seed 11), the payment-timing model trained the
same way on the first ``--train-customers`` customers, then back-tests of the 13-week forecast
at two sets of past dates: **calibration dates**, every 14 days, the last one 13 weeks before the
first reported date (their weeks end before it: out of time), and the **reported dates**, the
four assessment dates of ``bench_timing.py``. On the reported dates: the coverage (share of the
weeks whose received cash fell inside the band) and mean relative width ``(high - low) /
expected`` of the weekly and the cumulative band, for the band of invoices paid independently
(before), the default band (``risk.timing.forecast.BAND``) and the band calibrated on the
calibration dates (``risk.timing.backtest.calibrate_band``). Target: coverage 70-90 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from risk.ledger import subset_ledger
from risk.model.bundle import RiskModel
from risk.model.lgbm import LightGBMConfig
from risk.synth import SampleConfig, generate_portfolio
from risk.timing.backtest import backtest_frame, band_scores, calibrate_band, rebanded
from risk.timing.forecast import BAND, INDEPENDENT
from risk.timing.hazard import TIMING_PARAMS, HazardConfig
from risk.timing.score import score_open_invoices
from risk.timing.train import TimingConfig, fit_timing, timing_windows

SEED = 11
TARGET = (0.70, 0.90)
HORIZON_WEEKS = 13


def scores_of(frames: list[pd.DataFrame]) -> dict[str, float]:
    """Coverage and width pooled over the weeks of all ``frames``, plus the worst date."""
    pooled = band_scores(pd.concat(frames, ignore_index=True))
    per_date = pd.DataFrame([band_scores(f) for f in frames])
    for name in ("forecast_band_coverage", "forecast_band_coverage_cumulative"):
        pooled[f"{name}_min"] = float(per_date[name].min())
        pooled[f"{name}_max"] = float(per_date[name].max())
    return pooled


def line(name: str, found: dict[str, float]) -> str:
    return (
        f"{name:<34} weekly {found['forecast_band_coverage']:6.1%} "
        f"(dates {found['forecast_band_coverage_min']:.0%}-{found['forecast_band_coverage_max']:.0%}) "
        f"width {found['forecast_band_width']:6.1%} | cumulative "
        f"{found['forecast_band_coverage_cumulative']:6.1%} "
        f"(dates {found['forecast_band_coverage_cumulative_min']:.0%}-"
        f"{found['forecast_band_coverage_cumulative_max']:.0%}) width "
        f"{found['forecast_band_width_cumulative']:6.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--train-customers", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    parser.add_argument("--calibration-dates", type=int, default=6)
    parser.add_argument(
        "--model-dir", type=Path, default=None,
        help="reuse the timing model and back-tests saved here (made and saved when absent)",
    )  # fmt: skip
    args = parser.parse_args()
    customers = args.customers or (300 if args.quick else 5_000)
    cpu0 = time.process_time()
    print(f"generating {customers:,} customers ...", flush=True)
    ledger = generate_portfolio(SampleConfig(customers=customers, years=3, seed=SEED)).ledger
    lgbm = LightGBMConfig(params=dict(TIMING_PARAMS), num_boost_round=600,
                          early_stopping_rounds=30, num_threads=args.threads)  # fmt: skip
    config = TimingConfig(hazard=HazardConfig(lightgbm=lgbm))
    windows = timing_windows(ledger, config)
    ids = sorted(ledger.customers["customer_id"].astype("str"))[: args.train_customers]
    if args.model_dir is not None and (args.model_dir / "model.txt").exists():
        model = RiskModel.load(args.model_dir)
        print(f"timing model read from {args.model_dir}", flush=True)
    else:
        print(f"payment-timing model on {len(ids):,} customers ...", flush=True)
        train = subset_ledger(ledger, ids) if len(ids) < customers else ledger
        model = fit_timing(train, config, windows)
        del train
        if args.model_dir is not None:
            model.save(args.model_dir)
    cpu_fit = time.process_time() - cpu0
    reported = list(windows.eval_dates)
    last_calibration = reported[0] - pd.Timedelta(days=7 * HORIZON_WEEKS)
    calibration = [
        last_calibration - pd.Timedelta(days=14 * k)
        for k in reversed(range(args.calibration_dates))
    ]
    cpu1 = time.process_time()
    frames: dict[pd.Timestamp, pd.DataFrame] = {}
    for date in [*calibration, *reported]:
        kept = (
            None if args.model_dir is None else args.model_dir / f"backtest-{date.date()}.parquet"
        )
        if kept is not None and kept.exists():  # the same model's back-test, read again
            frames[date] = pd.read_parquet(kept)
            continue
        scored = score_open_invoices(model, ledger, date)
        frames[date] = backtest_frame(ledger, scored, windows.cutoff, HORIZON_WEEKS)
        if kept is not None:
            frames[date].to_parquet(kept)
        print(f"  back-test {date.date()}: {len(scored.scores):,} open invoices", flush=True)
    cpu_backtests = time.process_time() - cpu1
    band = calibrate_band([frames[d] for d in calibration])
    at_reported = [frames[d] for d in reported]
    bands = {"independent (before)": INDEPENDENT, "default (BAND)": BAND, "calibrated": band}
    results = {name: scores_of([rebanded(f, b) for f in at_reported]) for name, b in bands.items()}
    results["calibrated, on its own dates"] = scores_of(
        [rebanded(frames[d], band) for d in calibration]
    )
    load = os.getloadavg()
    print(f"calibration dates {calibration[0].date()} .. {calibration[-1].date()} "
          f"({len(calibration)}), reported {reported[0].date()} .. {reported[-1].date()}")  # fmt: skip
    print(f"calibrated band: customer_dependence {band.customer_dependence:g}, common_shock "
          f"{band.common_shock:.4f}, cumulative_shock {band.cumulative_shock:.4f}")  # fmt: skip
    for name, found in results.items():
        print(line(name, found))
    errors = []
    for d in reported:
        f = frames[d]
        errors.append(abs(f["expected"].sum() - f["received"].sum()) / f["received"].sum())
    cpu_total = time.process_time() - cpu0
    print(f"13-week error of the mean at the reported dates: {np.mean(errors):.2%} (unchanged by "
          f"the band); target coverage {TARGET[0]:.0%}-{TARGET[1]:.0%}")  # fmt: skip
    print(f"CPU: fit or load {cpu_fit:.0f} s, {len(frames)} back-tests {cpu_backtests:.0f} s, "
          f"total {cpu_total:.0f} s; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
          f"peak RSS {peak_rss_mb():.0f} MiB")  # fmt: skip
    trained = f"-train{min(len(ids), customers)}c"
    path = write_results(
        f"bench_forecast_band-{customers}c{trained}-seed{SEED}",
        {
            "customers": customers,
            "train_customers": min(len(ids), customers),
            "calibration_dates": [str(d.date()) for d in calibration],
            "reported_dates": [str(d.date()) for d in reported],
            "calibrated_band": band.__dict__,
            "default_band": BAND.__dict__,
            "results": results,
            "error_13w_mean": float(np.mean(errors)),
            "cpu_seconds": {"fit": cpu_fit, "backtests": cpu_backtests, "total": cpu_total},
            "load_average": load,
            "peak_rss_mb": round(peak_rss_mb()),
        },
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()

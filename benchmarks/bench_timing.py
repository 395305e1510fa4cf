"""Benchmark: the payment-timing model of open invoices against the issue-date model.

    uv run python benchmarks/bench_timing.py            # 20k customers (the issue's targets)
    uv run python benchmarks/bench_timing.py --quick    # 300 customers
    uv run python benchmarks/bench_timing.py --refit    # with the refit on training + validation rows

At four past scoring dates every open invoice is scored as of that date by the payment-timing
model and by the issue-date invoice model (the baseline, trained on the same ledger), and
compared with what happened: AUC, Brier and mean predicted vs realised late rate (L = 30) by
days-past-due bucket, the very-late amount (paid > 60 days late) captured in the top 10 % of
open amount and very-late invoices among the top 50 (ranked as the worklist ranks them, by
``expected_at_risk``, and by P(> 60 days late) x open amount alone; the capture also among the
invoices not yet 60 days past due; and, for scale, by the generator's true P(> 60 days late)
x open amount and by open amount x (days past due + 1) without a model), and the cash-in forecast
error at 4 and 13 weeks against the two naive forecasts. Speed: the hazard fit, extrapolated to
1M snapshot rows (target: under 2 minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from risk.features import FeatureConfig
from risk.ledger import subset_ledger
from risk.model.calibration import Calibrator
from risk.model.dataset import training_data
from risk.model.fit import FitConfig, fit_models
from risk.model.lgbm import LightGBMConfig
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio
from risk.synth.open_truth import with_customer_latent
from risk.timing.assess import ISSUE_COLUMN, assess
from risk.timing.evaluate import BUCKETS, capture_top_amount
from risk.timing.hazard import IDENTITY, TIMING_PARAMS, HazardConfig
from risk.timing.train import TimingConfig, fit_timing, timing_windows

TARGET_FIT_SECONDS_PER_1M = 120.0
TARGET_BUCKET_GAP = 0.02
TARGET_ERROR = {"4w": 0.05, "13w": 0.03}
TARGET_CAPTURE_RATIO = 2.5
TARGET_TRUTH_GAP = 0.03
SEED = 11


def release_memory() -> None:
    """Collect and hand freed heap pages back to the system (glibc keeps them otherwise, and
    the next phase's peak would add to the previous one's)."""
    gc.collect()
    with contextlib.suppress(OSError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def generate(sample: SampleConfig):  # type: ignore[no-untyped-def]
    """The generated ledger and its ``invoice_truth`` carrying the ``customer_latent`` table
    (what the full truth and the fair ceiling read; the customer truth is dropped)."""
    portfolio = generate_portfolio(sample)
    truth = with_customer_latent(
        portfolio.truth["invoice_truth"], portfolio.truth["customer_latent"]
    )
    return portfolio.ledger, truth


def issue_date_model(ledger, threads: int):  # type: ignore[no-untyped-def]
    """Today's invoice model: trained on each invoice as of its issue date."""
    data = training_data(ledger, "invoice", FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    fit = FitConfig(seed=42, lightgbm=LightGBMConfig(num_threads=threads))
    return fit_models(data, masks, windows, fit).model


def top_count(  # type: ignore[no-untyped-def]
    scored, column: str, n: int = 50, times_amount: bool = True
) -> float:
    """Mean over dates of the very-late invoices among the ``n`` highest ``column`` (times the
    open amount when ``times_amount``; the worklist's ``expected_at_risk`` already is)."""
    counts = []
    for _, rows in scored.groupby("as_of"):
        known = rows[rows["very_late"].notna()]
        score = known[column] * (known["open_amount"] if times_amount else 1.0)
        counts.append(known.loc[score.nlargest(n).index, "very_late"].sum())
    return float(np.mean(counts))


def bucket_gap(found) -> float:  # type: ignore[no-untyped-def]
    """Largest |mean predicted - realised| of the payment-timing model over the buckets."""
    rows = found.buckets[found.buckets["model"] == "payment-timing"]
    return float((rows["mean_predicted"] - rows["realised"]).abs().max())


def other_calibration(model, ledger, windows, issue, truth) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The refitted model assessed with the calibration it was not given (identity <->
    the training-only booster's out-of-time sigmoid): the figures that chose the default."""
    other = "identity" if model.metadata["refit_calibration"] == "out_of_time" else "out_of_time"
    calibrator = (
        IDENTITY if other == "identity" else Calibrator.from_dict(
            model.metadata["calibration_out_of_time"]
        )
    )  # fmt: skip
    variant = replace(model, calibrator=calibrator)
    found = assess(variant, ledger, windows.eval_dates, windows.cutoff, issue, truth)
    m = found.metrics
    ratio = m["test_capture_very_late_top10"] / m["issue_model_capture_very_late_top10"]
    rows = found.buckets[found.buckets["model"] == "payment-timing"]
    print(f"with the {other} calibration instead: AUC {m['test_auc']:.3f}, largest bucket gap "
          f"{bucket_gap(found):.3f}, capture {m['test_capture_very_late_top10']:.1%} (x{ratio:.2f}), "
          f"forecast 4w {m['forecast_error_model_4w']:.1%} / 13w {m['forecast_error_model_13w']:.1%}")  # fmt: skip
    print(rows[["bucket", "mean_predicted", "realised", "auc"]].round(3).to_string(index=False))
    return {
        "calibration": other,
        "max_bucket_gap": bucket_gap(found),
        "capture_ratio": ratio,
        "metrics": m,
        "buckets": found.buckets.to_dict("records"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads")
    parser.add_argument(
        "--train-customers",
        type=int,
        default=None,
        help="train both models on the first N customers only (all by default); every "
        "customer's open invoices are still scored at the dates: the assessment at a "
        "portfolio size whose snapshot rows would not fit in memory",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="refit the boosters on training + validation rows with the rounds chosen on "
        "validation (HazardConfig.refit, off by default: it measured worse)",
    )
    parser.add_argument(
        "--row-weights",
        choices=["snapshot", "none"],
        default="none",
        help="training row weights: none (default: every row 1) or 1 / (1 + j) per snapshot "
        "(the former default) (HazardConfig.row_weights)",
    )
    parser.add_argument(
        "--partial-week",
        choices=["counted", "censored"],
        default="censored",
        help="an exit in the week the censoring day cuts short: censored (default, the "
        "unbiased rule) or counted (the former default) (HazardConfig.partial_week)",
    )
    parser.add_argument(
        "--compare-calibration",
        action="store_true",
        help="also assess the refitted model with the other calibration (identity vs the "
        "training-only booster's out-of-time sigmoid): bucket gaps and capture of both",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write the scored rows, back-tests and the payment-timing model here",
    )
    args = parser.parse_args()
    customers = args.customers or (300 if args.quick else 20_000)
    print(f"generating {customers:,} customers ...", flush=True)
    sample = SampleConfig(customers=customers, years=3, seed=SEED)
    ledger, truth = generate(sample)
    train_ledger = ledger
    sampled = bool(args.train_customers and args.train_customers < customers)
    lgbm = LightGBMConfig(params=dict(TIMING_PARAMS), num_boost_round=600,
                          early_stopping_rounds=30, num_threads=args.threads)  # fmt: skip
    config = TimingConfig(
        hazard=HazardConfig(
            lightgbm=lgbm,
            refit=args.refit,
            row_weights=args.row_weights,
            partial_week=args.partial_week,
        )
    )
    windows = timing_windows(ledger, config)
    if sampled:
        ids = sorted(ledger.customers["customer_id"].astype("str"))[: args.train_customers]
        train_ledger = subset_ledger(ledger, ids)
        # the whole ledger is generated again for the assessment (same seed, same rows): the
        # fit's peak and the 20k-customer ledger never share the memory
        del ledger, truth
        release_memory()
    print("issue-date model ...", flush=True)
    issue = issue_date_model(train_ledger, args.threads)
    print("payment-timing model ...", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    model = fit_timing(train_ledger, config, windows)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    rows = model.metadata["rows_train"] + model.metadata["rows_valid"]
    per_million = seconds / rows * 1_000_000
    if sampled:
        release_memory()
        print(f"generating {customers:,} customers again for the assessment ...", flush=True)
        ledger, truth = generate(sample)
    found = assess(model, ledger, windows.eval_dates, windows.cutoff, issue, truth)
    m = found.metrics
    figures: dict[str, object] = {
        "customers": customers,
        "train_customers": len(train_ledger.customers),
        "invoices": len(ledger.invoices),
        "quick": args.quick,
        "threads": args.threads,
        "eval_dates": [str(d.date()) for d in windows.eval_dates],
        "fit_seconds": seconds,
        "snapshot_rows": rows,
        "pairs": model.metadata["pairs_train"] + model.metadata["pairs_valid"],
        "fit_seconds_per_1m_snapshot_rows": per_million,
        "fit_cpu_seconds": cpu_seconds,
        "fit_cpu_seconds_per_1m_snapshot_rows": cpu_seconds / rows * 1_000_000,
        "trees": model.booster.num_trees(),
        "refit": bool(model.metadata.get("refit", False)),
        "row_weights": args.row_weights,
        "partial_week": args.partial_week,
        "pairs_refit": model.metadata.get("pairs_refit"),
        "refit_calibration": model.metadata.get("refit_calibration"),
        "calibration_out_of_time": model.metadata.get("calibration_out_of_time"),
        "load_average_1m": os.getloadavg()[0],
        "metrics": m,
        "buckets": found.buckets.to_dict("records"),
        "very_late_in_top50_timing": top_count(
            found.scored, "expected_at_risk", times_amount=False
        ),
        "very_late_in_top50_timing_p_late_60": top_count(found.scored, "p_late_60"),
        "very_late_in_top50_issue": top_count(found.scored, ISSUE_COLUMN),
    }
    print(f"fit: {seconds:.1f} s for {rows:,} snapshot rows ({figures['pairs']:,} pairs) -> "
          f"{per_million:.0f} s per 1M snapshot rows (target < {TARGET_FIT_SECONDS_PER_1M:.0f} s); "
          f"CPU {cpu_seconds:.1f} s ({figures['fit_cpu_seconds_per_1m_snapshot_rows']:.0f} CPU-s per "
          f"1M rows), {figures['trees']} trees, load average {figures['load_average_1m']:.1f}")  # fmt: skip
    if figures["refit"]:
        print(f"refitted on training + validation rows: {figures['pairs_refit']:,} pairs, "
              f"{model.metadata['refit_rounds']} rounds chosen on validation, calibration "
              f"{figures['refit_calibration']} (out-of-time sigmoid of the training-only booster: "
              f"{figures['calibration_out_of_time']})")  # fmt: skip
    print(f"all open invoices, L=30: AUC {m['test_auc']:.3f} vs issue-date {m['issue_model_auc']:.3f}; "
          f"Brier {m['test_brier']:.3f} vs {m['issue_model_brier']:.3f}")  # fmt: skip
    print(f"generator's full truth (uses facts after the date): AUC {m['test_truth_auc']:.3f}; "
          f"gap to the model {m['test_auc_gap_to_truth']:+.3f} (target <= {TARGET_TRUTH_GAP})")  # fmt: skip
    figures["truth_auc_gap"] = m["test_auc_gap_to_truth"]
    print(f"fair ceiling (knowable at the date): AUC {m['test_fair_ceiling_auc']:.3f}; "
          f"gap to the model {m['test_auc_gap_to_fair_ceiling']:+.3f} (the room left)")  # fmt: skip
    figures["fair_ceiling_auc_gap"] = m["test_auc_gap_to_fair_ceiling"]
    table = found.buckets.pivot(
        index="bucket", columns="model", values=["mean_predicted", "realised", "auc"]
    )
    order = ["all", *(b[0] for b in BUCKETS)]
    print(table.reindex(order).round(3).to_string())
    gap = bucket_gap(found)
    figures["max_bucket_gap"] = gap
    print(
        f"largest |mean predicted - realised| over buckets: {gap:.3f} (target <= {TARGET_BUCKET_GAP})"
    )
    ratio = m["test_capture_very_late_top10"] / m["issue_model_capture_very_late_top10"]
    figures["capture_ratio"] = ratio
    print(f"very-late amount in the top 10 % of open amount: {m['test_capture_very_late_top10']:.1%} "
          f"vs issue-date {m['issue_model_capture_very_late_top10']:.1%} (x{ratio:.1f}, target "
          f">= x{TARGET_CAPTURE_RATIO}); very-late invoices in the top 50: "
          f"{figures['very_late_in_top50_timing']:.1f} vs {figures['very_late_in_top50_issue']:.1f}"
          f" (ranked as the worklist ranks: expected_at_risk)")  # fmt: skip
    ratio_60 = (
        m["test_capture_very_late_top10_p_late_60"] / m["issue_model_capture_very_late_top10"]
    )
    figures["capture_ratio_p_late_60"] = ratio_60
    print(f"  ranked by P(> 60 days late) x open amount alone: "
          f"{m['test_capture_very_late_top10_p_late_60']:.1%} (x{ratio_60:.1f}); top 50: "
          f"{figures['very_late_in_top50_timing_p_late_60']:.1f}")  # fmt: skip
    ratio_ahead = (
        m["test_capture_very_late_top10_not_yet_60"]
        / m["issue_model_capture_very_late_top10_not_yet_60"]
    )
    figures["capture_ratio_not_yet_60"] = ratio_ahead
    print(f"  among invoices not yet 60 days past due (very late still a forecast): "
          f"{m['test_capture_very_late_top10_not_yet_60']:.1%} vs issue-date "
          f"{m['issue_model_capture_very_late_top10_not_yet_60']:.1%} (x{ratio_ahead:.1f})")  # fmt: skip
    base = m["issue_model_capture_very_late_top10"]
    naive = m["naive_days_past_due_capture_very_late_top10"]
    figures["capture_ratio_naive_days_past_due"] = naive / base
    print(
        f"  without a model, open amount x (days past due + 1): {naive:.1%} (x{naive / base:.2f})"
    )
    # like for like, for scale (not the headline): both models ranked by their probability
    # alone, the greedy order when the budget is counted in open amount
    amount = found.scored["open_amount"].to_numpy(dtype="float64")
    very_late = found.scored["very_late"].to_numpy(dtype="float64")
    alone = {
        name: capture_top_amount(found.scored[column].to_numpy(dtype="float64"), amount, very_late)
        for name, column in (("timing", "p_late_60"), ("issue", ISSUE_COLUMN))
    }
    figures["capture_p_alone_timing"], figures["capture_p_alone_issue"] = alone.values()
    print(f"  both ranked by the probability alone: P(> 60 days late) {alone['timing']:.1%} vs "
          f"issue-date {alone['issue']:.1%} (x{alone['timing'] / alone['issue']:.2f})")  # fmt: skip
    if "truth_capture_very_late_top10" in m:
        truth_capture = m["truth_capture_very_late_top10"]
        figures["capture_ratio_truth"] = truth_capture / base
        print(f"  the same rule with the generator's true P(> 60 days late) x open amount: "
              f"{truth_capture:.1%} (x{truth_capture / base:.2f}); not yet 60 days past due: "
              f"{m['truth_capture_very_late_top10_not_yet_60']:.1%}")  # fmt: skip
    for h, target in TARGET_ERROR.items():
        print(f"cash-in forecast error {h}: model {m[f'forecast_error_model_{h}']:.1%} (worst "
              f"{m[f'forecast_error_model_{h}_worst']:.1%}, target < {target:.0%}), due date "
              f"{m[f'forecast_error_due_date_{h}']:.1%}, historical delay "
              f"{m[f'forecast_error_historical_delay_{h}']:.1%}")  # fmt: skip
    print(
        f"80 % band coverage of the weekly cash received: {m['forecast_band_coverage']:.0%}; "
        f"payment-date concordance {m['test_concordance_paid_on']:.3f}"
    )
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        found.scored.to_parquet(args.keep / "scored.parquet")
        model.save(args.keep / "timing-model")  # the bundle: re-score offline without a refit
        backtests = [frame.assign(as_of=date) for date, frame in found.backtests.items()]
        pd.concat(backtests, ignore_index=True).to_parquet(args.keep / "backtests.parquet")
    figures["peak_rss_mb"] = round(peak_rss_mb())
    # one file per configuration: a 5k and a 20k run (or two helpers' runs) never overwrite
    trained = f"-train{len(train_ledger.customers)}c" if sampled else ""
    refit = "-refit" if figures["refit"] else ""
    refit += "-unweighted" if args.row_weights == "none" else ""
    refit += "-partial-censored" if args.partial_week == "censored" else ""
    name = f"bench_timing-{customers}c{trained}{refit}-seed{SEED}-{args.threads}t"
    print(f"peak RSS {figures['peak_rss_mb']} MiB; results: {write_results(name, figures)}")
    if args.compare_calibration and figures["refit"]:  # last: the figures above are written
        figures["other_calibration"] = other_calibration(model, ledger, windows, issue, truth)
        write_results(name, figures)


if __name__ == "__main__":
    main()

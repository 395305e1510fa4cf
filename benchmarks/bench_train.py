"""Benchmark: model quality and training speed on a generated portfolio.

    uv run python benchmarks/bench_train.py             # 20k customers, both levels, 1M-row fit
    uv run python benchmarks/bench_train.py --quick     # 1.5k customers, a few seconds

Quality (out-of-time test window): LightGBM AUC and its gap to the oracle AUC (the generator's
true probabilities, invoice level), expected calibration error, and the logistic-regression
baseline on the same rows (the baseline every model must beat). Speed: LightGBM with default
parameters on 1M invoice rows (target: under 2 minutes on 2 cores), against the baseline's fit
time on the same rows, and the same fit with ``lightgbm.dask`` on a two-worker LocalCluster
(``risk train --engine dask``; skip it with ``--no-dask``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from risk.cluster import dask_client
from risk.evaluate.calibration import grade_table
from risk.evaluate.metrics import classification_metrics
from risk.features import FeatureConfig
from risk.features.registry import monotone_constraints
from risk.model.baseline import fit_scorecard
from risk.model.dataset import training_data
from risk.model.distributed import train_lightgbm_dask
from risk.model.fit import VOLUME_BASELINE, FitConfig, fit_models, score_test
from risk.model.lgbm import train_lightgbm
from risk.model.split import derive_windows, split_masks, validation_halves
from risk.synth import SampleConfig, generate_portfolio

TARGET_FIT_SECONDS = 120.0
TARGET_ORACLE_GAP = 0.03
TARGET_ECE = 0.02


def quality(portfolio, level: str, compare: bool = True) -> dict[str, object]:
    """Fit on the derived windows and measure the test window."""
    data = training_data(portfolio.ledger, level, FeatureConfig())  # type: ignore[arg-type]
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    start = time.perf_counter()
    fitted = fit_models(data, masks, windows, FitConfig(seed=42))
    fit_seconds = time.perf_counter() - start
    probs = score_test(fitted, data, masks.test)
    y = data.y[masks.test]
    lgbm = classification_metrics(y, probs["LightGBM (calibrated)"])
    base = classification_metrics(y, probs["logistic baseline"])
    out = {
        "rows_train": int(masks.train.sum()),
        "rows_test": int(masks.test.sum()),
        "auc": lgbm["auc"],
        "ece": lgbm["ece"],
        "mean_p": float(probs["LightGBM (calibrated)"].mean()),
        "test_rate": float(y.mean()),
        "calibration_rate": float(data.y[validation_halves(data.as_of, masks.valid)[1]].mean()),
        "brier": lgbm["brier"],
        "baseline_auc": base["auc"],
        "baseline_ece": base["ece"],
        "scorecard_auc": classification_metrics(y, probs["WoE scorecard"])["auc"],
        **(
            {"volume_baseline_auc": classification_metrics(y, probs[VOLUME_BASELINE])["auc"]}
            if VOLUME_BASELINE in probs
            else {}
        ),
        "refit_rows": fitted.rows.get("refit", 0),
        "grades": grade_rows(y, probs["LightGBM (calibrated)"]),
        **(previous_calibration(data, masks, windows, y) if compare else {}),
        "rounds": fitted.rounds,
        "calibration": fitted.model.calibrator.method,
        "fit_seconds": fit_seconds,
    }
    if level == "invoice":
        truth = portfolio.truth["invoice_truth"].set_index("invoice_id")["p_late"]
        p_true = data.frame.loc[masks.test, "invoice_id"].map(truth).to_numpy()
        out["oracle_auc"] = float(roc_auc_score(y, p_true))
        out["oracle_gap"] = out["oracle_auc"] - out["auc"]
        fair = portfolio.truth["invoice_truth"].set_index("invoice_id")["p_late_at_issue"]
        p_fair = data.frame.loc[masks.test, "invoice_id"].map(fair).to_numpy()
        out["fair_oracle_auc"] = float(roc_auc_score(y, p_fair))
        out["fair_oracle_gap"] = out["fair_oracle_auc"] - out["auc"]
    return out


def grade_rows(y, p) -> list[dict[str, object]]:
    """Per grade of the default master scale: rows, mean predicted and observed late rate,
    the Jeffreys p-value and whether the grade is underestimated (p < 0.05)."""
    table = grade_table(y, p)
    columns = ["grade", "n", "p_mean", "observed_rate", "jeffreys_p_value", "underestimated"]
    return table[columns].to_dict("records")


def grades_line(rows: list[dict[str, object]]) -> str:
    return "; ".join(
        f"{r['grade']} n={r['n']:,} predicted {r['p_mean']:.3f} observed {r['observed_rate']:.3f} "
        f"Jeffreys p={r['jeffreys_p_value']:.3f}{' UNDERESTIMATED' if r['underestimated'] else ''}"
        for r in rows
        if r["n"]
    )


def previous_calibration(data, masks, windows, y) -> dict[str, object]:
    """Baseline of the calibration: the same fit with the calibration rows scored out of time
    by one booster on the rows matured before them (the method before the customer folds)."""
    fitted = fit_models(data, masks, windows, FitConfig(seed=42, calibration_scores="time"))
    p = score_test(fitted, data, masks.test)["LightGBM (calibrated)"]
    m = classification_metrics(y, p)
    return {
        "ece_time_scored_calibration": m["ece"],
        "mean_p_time_scored_calibration": float(p.mean()),
        "grades_time_scored_calibration": grade_rows(y, p),
    }


def fit_speed(portfolio, rows: int, dask: bool) -> dict[str, float]:
    """LightGBM (default parameters, 2 threads), the baseline and (``dask``) LightGBM on a
    two-worker LocalCluster, on the first ``rows`` rows."""
    data = training_data(portfolio.ledger, "invoice", FeatureConfig())
    n = min(rows, len(data.frame))
    frame = data.frame.head(n)
    y = data.y[:n]
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    fitted = fit_models(data, masks, windows, FitConfig(seed=42))  # for the input preparation
    inputs = fitted.model.prepare(frame)
    monotone = monotone_constraints(list(inputs.columns))
    start = time.perf_counter()
    booster = train_lightgbm(inputs, y, None, None, monotone=monotone, seed=42)
    lgb_seconds = time.perf_counter() - start
    numeric = [c for c in inputs.columns if c not in fitted.model.categories]
    start = time.perf_counter()
    fit_scorecard(inputs, y, numeric, list(fitted.model.categories), 42)
    baseline_seconds = time.perf_counter() - start
    trees = booster.num_trees()
    out = {
        "rows": n,
        "lightgbm_seconds": lgb_seconds,
        "lightgbm_trees": trees,
        "lightgbm_rows_per_s": n / lgb_seconds,
        "baseline_seconds": baseline_seconds,
    }
    if dask:
        groups = frame["customer_id"].to_numpy()
        start = time.perf_counter()
        with dask_client() as client:
            started = time.perf_counter()
            distributed = train_lightgbm_dask(
                client, inputs, y, None, None, monotone=monotone, seed=42, groups=groups
            )
        out["dask_cluster_start_seconds"] = started - start
        out["dask_fit_seconds"] = time.perf_counter() - started
        out["dask_trees"] = distributed.num_trees()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run of a few seconds")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--fit-rows", type=int, default=None)
    parser.add_argument("--no-dask", action="store_true", help="skip the lightgbm.dask fit")
    parser.add_argument(
        "--level", choices=["invoice", "customer"], default=None, help="one level's quality only"
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the fit-speed figures")
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the second fit with the out-of-time-scored calibration",
    )
    args = parser.parse_args()
    customers = args.customers or (1_500 if args.quick else 20_000)
    fit_rows = args.fit_rows or (50_000 if args.quick else 1_000_000)
    print(f"generating {customers:,} customers ...", flush=True)
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11))
    figures: dict[str, object] = {
        "customers": customers,
        "invoices": len(portfolio.ledger.invoices),
        "quick": args.quick,
    }
    for level in [args.level] if args.level else ["invoice", "customer"]:
        q = quality(portfolio, level, compare=not args.no_compare)
        time_scored = "ece_time_scored_calibration" in q
        figures[f"{level}_quality"] = q
        gap = (
            f", oracle {q['oracle_auc']:.4f}, gap {q['oracle_gap']:.4f} (target <= {TARGET_ORACLE_GAP})"
            if "oracle_auc" in q
            else ""
        )
        print(
            f"{level:8s}: AUC {q['auc']:.4f} vs baseline {q['baseline_auc']:.4f}{gap}; "
            f"ECE {q['ece']:.4f} (target <= {TARGET_ECE}"
            + (
                f"; out-of-time-scored calibration {q['ece_time_scored_calibration']:.4f}"
                if time_scored
                else ""
            )
            + f") vs baseline {q['baseline_ece']:.4f}; "
            f"{q['rows_train']:,} train / {q['rows_test']:,} test rows"
        )
        print(
            f"{level:8s}: mean prediction {q['mean_p']:.4f}, late rate: calibration half "
            f"{q['calibration_rate']:.4f}, test {q['test_rate']:.4f}"
        )
        print(f"{level:8s}: grades (customer folds): {grades_line(q['grades'])}")
        if time_scored:
            print(
                f"{level:8s}: out-of-time-scored calibration: mean prediction "
                f"{q['mean_p_time_scored_calibration']:.4f}; grades "
                f"{grades_line(q['grades_time_scored_calibration'])}"
            )
    if args.no_speed:
        print(f"results: {write_results('bench_train', figures)}")
        return
    if fit_rows > len(portfolio.ledger.invoices):
        print(
            f"(only {len(portfolio.ledger.invoices):,} invoices: fit speed measured on fewer rows)"
        )
    speed = fit_speed(portfolio, fit_rows, dask=not args.no_dask)
    figures["fit_speed"] = speed
    scaled_target = TARGET_FIT_SECONDS * speed["rows"] / 1_000_000
    print(
        f"LightGBM fit on {speed['rows']:,} rows: {speed['lightgbm_seconds']:.1f} s "
        f"({speed['lightgbm_trees']} trees, {speed['lightgbm_rows_per_s']:,.0f} rows/s); "
        f"target {scaled_target:.1f} s at this size; baseline fit {speed['baseline_seconds']:.1f} s"
    )
    if "dask_fit_seconds" in speed:
        print(
            f"lightgbm.dask on a 2-worker LocalCluster: {speed['dask_fit_seconds']:.1f} s "
            f"({speed['dask_trees']} trees; cluster start {speed['dask_cluster_start_seconds']:.1f} s)"
            f" vs {speed['lightgbm_seconds']:.1f} s in one process"
        )
    figures["peak_rss_mb"] = round(peak_rss_mb())
    print(
        f"peak RSS {figures['peak_rss_mb']} MiB; results: {write_results('bench_train', figures)}"
    )


if __name__ == "__main__":
    main()

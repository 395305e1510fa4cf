"""Benchmark: out-of-time AUC gain of each new feature group, over several seeds.

    uv run python benchmarks/bench_feature_gain.py            # 5,000 customers, 3 seeds
    uv run python benchmarks/bench_feature_gain.py --quick    # 1,500 customers, 3 seeds
    uv run python benchmarks/bench_feature_gain.py --levels customer   # one level only

For each group (due-month seasonality, exponentially weighted lateness, due-cohort on-time
shares) a LightGBM (default parameters, the registry's monotone constraints) is fitted on the
training window with every feature and again without the group, early-stopped on the
validation window, on the same windows and seeds; the gain is the out-of-time test AUC with the
group minus without it (the model without the group is the baseline of the same run). AUC is
unchanged by a monotone calibration, so none is fitted.
Invoice level for every group; customer level for the groups it has (``due_month`` is an
invoice feature).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sklearn.metrics import roc_auc_score

from _common import write_results
from risk.features import FeatureConfig
from risk.features.payment_weights import DUE_COHORTS, HALF_LIVES
from risk.features.registry import monotone_constraints
from risk.model.dataset import TrainingData, training_data
from risk.model.lgbm import raw_score, train_lightgbm
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio

GROUPS: dict[str, tuple[str, ...]] = {
    "due_month": ("due_month",),
    "exponentially weighted lateness": tuple(f"days_late_ewm_{h}d" for h in HALF_LIVES),
    "due-cohort on-time shares": tuple(f"on_time_share_due_{lo}_{hi}d" for lo, hi in DUE_COHORTS),
}


def out_of_time_auc(data: TrainingData, seed: int) -> float:
    """Out-of-time test AUC of a LightGBM fitted on train, early-stopped on validation."""
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    inputs = data.frame[data.features].astype(dict.fromkeys(data.categorical, "category"))
    y = data.y
    booster = train_lightgbm(
        inputs[masks.train], y[masks.train], inputs[masks.valid], y[masks.valid],
        monotone=monotone_constraints(list(data.features)), seed=seed,
    )  # fmt: skip
    return float(roc_auc_score(y[masks.test], raw_score(booster, inputs[masks.test])))


def without(data: TrainingData, names: tuple[str, ...]) -> TrainingData:
    return replace(
        data,
        features=[f for f in data.features if f not in names],
        categorical=[f for f in data.categorical if f not in names],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,500 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--levels", default="invoice,customer", help="comma-separated: invoice, customer"
    )
    args = parser.parse_args()
    customers = args.customers or (1_500 if args.quick else 5_000)
    seeds = list(range(1, args.seeds + 1))
    print(f"generating {customers:,} customers ...", flush=True)
    ledger = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11)).ledger
    figures: dict[str, object] = {"customers": customers, "seeds": seeds}
    figures["levels"] = levels = args.levels.split(",")
    for level in levels:
        data = training_data(ledger, level, FeatureConfig())  # type: ignore[arg-type]
        full = [out_of_time_auc(data, seed) for seed in seeds]
        figures[f"{level}_auc_all_features"] = full
        print(f"{level}: AUC with every feature {statistics.mean(full):.4f} ({full})", flush=True)
        for group, names in GROUPS.items():
            present = tuple(n for n in names if n in data.features)
            if not present:
                continue
            less = [out_of_time_auc(without(data, present), seed) for seed in seeds]
            gains = [a - b for a, b in zip(full, less, strict=True)]
            figures[f"{level}_{group}"] = {"auc_without": less, "gains": gains}
            print(
                f"{level}: {group}: gain {statistics.mean(gains):+.4f} "
                f"(per seed {', '.join(f'{g:+.4f}' for g in gains)}; "
                f"without it {statistics.mean(less):.4f})",
                flush=True,
            )
    print(f"results: {write_results('bench_feature_gain', figures)}")


if __name__ == "__main__":
    main()

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
import os
import pickle
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from _common import write_results
from risk.features import FeatureConfig
from risk.features.payment_weights import DUE_COHORTS, HALF_LIVES
from risk.features.recent_state import LAST_SETTLED
from risk.features.registry import monotone_constraints
from risk.model.dataset import TrainingData, training_data
from risk.model.lgbm import LightGBMConfig, raw_score, train_lightgbm
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio
from risk.train import fair_oracle_auc, oracle_auc

GROUPS: dict[str, tuple[str, ...]] = {
    "due_month": ("due_month",),
    "exponentially weighted lateness": tuple(f"days_late_ewm_{h}d" for h in HALF_LIVES),
    "due-cohort on-time shares": tuple(f"on_time_share_due_{lo}_{hi}d" for lo, hi in DUE_COHORTS),
    # the customer's recent state (risk.features.recent_state), one feature group at a time
    "days late of the last settled": (f"days_late_last_{LAST_SETTLED}_settled",),
    "open invoices past due": ("n_open_past_due", "open_past_due_share"),
}
#: the recent-state groups together
RECENT_STATE = ("days late of the last settled", "open invoices past due")


THREADS = [1]


def test_rows(data: TrainingData) -> np.ndarray:
    """The out-of-time test rows (mask over ``data.frame``)."""
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    return split_masks(data.as_of, data.matured_on, windows).test


#: the diagnostic column of ``--diagnose-latent`` (not a feature: the generator's truth)
LATENT = "oracle_latent_in_issue_month"


def out_of_time_auc(data: TrainingData, seed: int) -> float:
    """Out-of-time test AUC of a LightGBM fitted on train, early-stopped on validation."""
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    inputs = data.frame[data.features].astype(dict.fromkeys(data.categorical, "category"))
    y = data.y
    registered = [f for f in data.features if f != LATENT]
    monotone = iter(monotone_constraints(registered))
    booster = train_lightgbm(
        inputs[masks.train], y[masks.train], inputs[masks.valid], y[masks.valid],
        monotone=[0 if f == LATENT else next(monotone) for f in data.features], seed=seed,
        config=LightGBMConfig(num_threads=THREADS[0]),
    )  # fmt: skip
    return float(roc_auc_score(y[masks.test], raw_score(booster, inputs[masks.test])))


def with_latent(data: TrainingData, latent: pd.DataFrame) -> TrainingData:
    """``data`` plus the customer's true latent lateness in the invoice's issue month (what the
    fair ceiling knows and the model must infer from the payment history)."""
    month = data.as_of.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    keys = pd.MultiIndex.from_arrays([data.frame["customer_id"].astype(str).to_numpy(), month])
    table = latent.set_index(["customer_id", "month"])["latent"]
    values = table.reindex(keys).to_numpy()
    frame = data.frame.assign(**{LATENT: values})
    return replace(data, frame=frame, features=[*data.features, LATENT])


def without(data: TrainingData, names: tuple[str, ...]) -> TrainingData:
    return replace(
        data,
        features=[f for f in data.features if f not in names],
        categorical=[f for f in data.categorical if f not in names],
    )


def diagnose_latent(customers: int, seeds: list[int], figures: dict[str, object]) -> None:
    """Every feature, then every feature plus the true latent in the issue month."""
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11))
    data = training_data(portfolio.ledger, "invoice", FeatureConfig())
    test = test_rows(data)
    late_after = FeatureConfig().late_after_days
    fair = fair_oracle_auc(portfolio.truth["invoice_truth"], data, test, late_after)
    plus = with_latent(data, portfolio.truth["customer_latent"])
    alone = float(roc_auc_score(data.y[test], plus.frame.loc[test, LATENT].to_numpy()))
    figures.update(fair_ceiling_auc=fair, latent_alone_auc=alone)
    print(f"fair ceiling {fair:.4f}; the latent alone {alone:.4f}", flush=True)
    for name, arm in (("every feature", data), ("every feature + latent", plus)):
        aucs = [out_of_time_auc(arm, seed) for seed in seeds]
        figures[name] = aucs
        print(f"{name}: AUC {statistics.mean(aucs):.4f} ({aucs})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,500 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--levels", default="invoice,customer", help="comma-separated: invoice, customer"
    )
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads (CPU-bound)")
    parser.add_argument(
        "--ledger-cache",
        type=Path,
        default=None,
        help="pickle of the generated ledger: read when present, written otherwise",
    )
    parser.add_argument(
        "--groups",
        default="due_month,exponentially weighted lateness,due-cohort on-time shares",
        help="comma-separated group names (GROUPS), or 'recent state' for the recent-state "
        "groups, each alone and together",
    )
    parser.add_argument(
        "--diagnose-latent",
        action="store_true",
        help="invoice level: every feature plus the true latent in the issue month (regenerates"
        " the portfolio; the room a perfect reading of the customer's state would close)",
    )
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args()
    THREADS[0] = args.threads
    customers = args.customers or (1_500 if args.quick else 5_000)
    seeds = list(range(1, args.seeds + 1))
    cpu0 = time.process_time()
    if args.ledger_cache is not None and args.ledger_cache.exists():
        print(f"reading the ledger from {args.ledger_cache} ...", flush=True)
        ledger, truth = pickle.loads(args.ledger_cache.read_bytes())
    else:
        print(f"generating {customers:,} customers ...", flush=True)
        portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11))
        ledger, truth = portfolio.ledger, portfolio.truth["invoice_truth"]
        if args.ledger_cache is not None:
            args.ledger_cache.write_bytes(pickle.dumps((ledger, truth)))
    if args.diagnose_latent:
        diagnose_latent(customers, seeds, figures := {"customers": customers, "seeds": seeds})
        figures["cpu_seconds"] = cpu = time.process_time() - cpu0
        figures["load_end"] = load = os.getloadavg()
        print(f"CPU {cpu:.1f} s, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"results: {write_results('bench_feature_gain_latent', figures)}")
        return
    groups = dict(GROUPS)
    if args.groups == "recent state":
        groups = {name: GROUPS[name] for name in RECENT_STATE}
        groups["recent state (all)"] = tuple(n for name in RECENT_STATE for n in GROUPS[name])
    else:
        groups = {name: GROUPS[name] for name in args.groups.split(",")}
    figures: dict[str, object] = {
        "customers": customers,
        "seeds": seeds,
        "threads": args.threads,
        "load_start": os.getloadavg(),
    }
    figures["levels"] = levels = args.levels.split(",")
    for level in levels:
        data = training_data(ledger, level, FeatureConfig())  # type: ignore[arg-type]
        print(
            f"{level}: {len(data.frame):,} rows, {len(data.features)} features "
            f"(CPU so far {time.process_time() - cpu0:.1f} s)",
            flush=True,
        )
        if level == "invoice":
            test = test_rows(data)
            late_after = FeatureConfig().late_after_days
            figures["test_rows"] = int(test.sum())
            figures["fair_ceiling_auc"] = fair = fair_oracle_auc(truth, data, test, late_after)
            figures["full_truth_auc"] = full_truth = oracle_auc(truth, data, test, late_after)
            print(f"invoice: fair ceiling AUC {fair}, full truth {full_truth}", flush=True)
        full = [out_of_time_auc(data, seed) for seed in seeds]
        figures[f"{level}_auc_all_features"] = full
        print(f"{level}: AUC with every feature {statistics.mean(full):.4f} ({full})", flush=True)
        for group, names in groups.items():
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
    figures["cpu_seconds"] = cpu = time.process_time() - cpu0
    figures["load_end"] = load = os.getloadavg()
    print(f"CPU {cpu:.1f} s, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"results: {write_results('bench_feature_gain' + (f'_{args.tag}' if args.tag else ''), figures)}"
    )


if __name__ == "__main__":
    main()

"""The credit-limit leak, measured: customer-model AUC with the export's snapshot limit used at
every date (the old behaviour) against the dated limit history (the fix).

The generator cuts a liquidated customer's limit to 0 at the end; used at earlier dates,
``credit_limit_utilisation`` tells the model who will fail. Same generated portfolio, same
features otherwise, same LightGBM, same out-of-time split (train on as-of dates before the
split, test after); only the limit the features read differs.

    uv run python benchmarks/bench_credit_limit_leak.py --quick      # 800 customers
    uv run python benchmarks/bench_credit_limit_leak.py              # 5,000 customers
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import lightgbm as lgb
import pandas as pd
from sklearn.metrics import roc_auc_score

from risk.features import FeatureConfig, customer_training_frame
from risk.ledger import Ledger
from risk.synth import SampleConfig, generate_portfolio

KEYS = ("customer_id", "as_of")
RESULTS = Path(__file__).parent / "results"


def leaky(ledger: Ledger) -> Ledger:
    """The old behaviour: the export's snapshot limit valid from the first day of the ledger."""
    start = ledger.date_range[0]
    snapshot = ledger.customers[["customer_id", "credit_limit"]].dropna()
    history = snapshot.assign(valid_from=start).reset_index(drop=True)
    return ledger.with_tables(credit_limits=history)


def auc(frame: pd.DataFrame, label: str, seed: int) -> float:
    """Out-of-time AUC: fit on the first 70 % of as-of dates, test on the rest."""
    dates = sorted(frame["as_of"].unique())
    split = dates[int(len(dates) * 0.7)]
    features = [c for c in frame.columns if c not in (*KEYS, label) and not c.startswith("label")]
    x = frame[features]
    train, test = frame["as_of"] < split, frame["as_of"] >= split
    model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, random_state=seed, verbose=-1)
    model.fit(x[train], frame.loc[train, label])
    return float(roc_auc_score(frame.loc[test, label], model.predict_proba(x[test])[:, 1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="800 customers instead of 5,000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    customers = 800 if args.quick else 5000
    ledger = generate_portfolio(SampleConfig(customers=customers, seed=args.seed)).ledger
    config = FeatureConfig()
    out: dict[str, object] = {"customers": customers, "seed": args.seed}
    for name, variant in (("snapshot_limit_leak", leaky(ledger)), ("dated_limit", ledger)):
        started = time.perf_counter()
        frame = customer_training_frame(variant, config)
        out[f"rows_{name}"] = len(frame)
        for label in ("label_event", "label_proceeding"):
            known = frame[frame[label].notna()].astype({label: "int64"})
            out[f"auc_{label}_{name}"] = round(auc(known, label, args.seed), 4)
            print(f"{name:>20} {label:>16}: AUC {out[f'auc_{label}_{name}']:.4f} on "
                  f"{len(known):,} customer-months ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"credit_limit_leak{'_quick' if args.quick else ''}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written {path}")


if __name__ == "__main__":
    main()

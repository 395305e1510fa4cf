"""Grades and credit limits of a (large, generated) ledger from the default model alone.

    uv run risk sample --customers 5000 --years 3 --seed 7 --out /tmp/l5k --fmt parquet
    uv run python docs/credit_grades.py /tmp/l5k --tracking-uri sqlite:////tmp/store/mlflow.db

Only the customer default model (``payment-risk-default``, trained on the sample with
``risk train --level default``) is needed: grades (master scale) and credit limits come from its
PD, so the scorer is built with it in every model slot and the late-payment ``probability``
column it prints is not used. Features are the scoring core's (``Scorer.score_customers``),
computed with the default model's own feature settings. Prints CPU time and load average.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from risk import registry
from risk.decisions.credit import CreditPolicy
from risk.io import load_ledger
from risk.scoring import Scorer, load_default_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--examples", type=int, default=3, help="largest changes shown")
    args = parser.parse_args()
    started = time.process_time()
    ledger = load_ledger(args.ledger)
    loaded = time.process_time()
    model = load_default_model(registry.Store.resolve(args.tracking_uri))
    policy = CreditPolicy.load()
    scorer = Scorer(model, model, policy=policy, scale=policy.grade_scale(), default_model=model)
    for warning in scorer.policy_warnings():
        print("warning:", warning)
    scores = scorer.score_customers(ledger, ledger.cutoff, explain=False)
    done = time.process_time()
    print(
        f"{len(scores):,} customers, {len(ledger.invoices):,} invoices, as of "
        f"{ledger.cutoff.date()}; default model v{model.metadata.get('model_version')}"
    )
    print("grades (all):", scores["grade"].value_counts().sort_index().to_dict())
    exposed = scores[scores["exposure"] > 0]
    counts = exposed["grade"].value_counts().sort_index().to_dict()
    print(f"grades (with exposure, {len(exposed):,}):", counts)
    print(
        f"pd_default mean {scores['pd_default'].mean():.4f}, "
        f"median {scores['pd_default'].median():.4f}"
    )
    current = scores[scores["current_limit"] > 0]
    ratio = current["suggested_limit"] / current["current_limit"]
    print(
        f"suggestion within 0.5x-2x of the current limit: {ratio.between(0.5, 2).sum():,} of "
        f"{len(current):,} ({ratio.between(0.5, 2).mean():.1%}); below 0.5x "
        f"{(ratio < 0.5).sum():,}, above 2x {(ratio > 2).sum():,}"
    )
    print("decisions:", scores["decision"].value_counts().to_dict())
    shown = ["customer_id", "grade", "pd_default", "exposure", "current_limit", "suggested_limit"]
    change = current.assign(change=current["suggested_limit"] - current["current_limit"])
    for title, rows in (
        ("largest decreases", change.nsmallest(args.examples, "change")),
        ("largest increases", change.nlargest(args.examples, "change")),
    ):
        print(f"{title}:")
        for row in rows.itertuples():
            print("  ", {name: getattr(row, name) for name in shown})
            print("     ", row.rules)
    print(
        f"CPU: load {loaded - started:.1f} s, scoring {done - loaded:.1f} s; "
        f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()

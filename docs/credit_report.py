"""Credit report figures on the sample (run in the worktree after `uv run risk run`)."""

from dataclasses import replace
from pathlib import Path

import pandas as pd
from default_base_rate import label_queries  # docs/, the script's folder

from risk import registry
from risk.decisions.credit import CreditPolicy
from risk.features import FeatureConfig
from risk.io import load_ledger
from risk.labels import default_labels
from risk.model.default_level import default_training_frame
from risk.scoring import Scorer

pd.set_option("display.width", 250)
pd.set_option("display.max_colwidth", 400)
ledger = load_ledger(Path("data/sample"))
frame = default_training_frame(ledger, FeatureConfig())
cols = [
    "label_default",
    "label_default_proceeding",
    "label_default_past_due",
    "label_default_write_off",
]
print("default label rows", len(frame), frame[cols].mean().round(4).to_dict())


def label_steps() -> None:
    """Base rate of the default event, one treatment of the EBA guidelines at a time."""
    cutoff, queries = label_queries(ledger)
    policy = CreditPolicy.load().default_definition()
    before = replace(policy, public_past_due_days=None, disputes_suspend=False, probation_days=0)
    parts = ["label_default_proceeding", "label_default_past_due", "label_default_write_off"]
    steps = [
        ("before: 90 days, EUR 500 and 1 %, every snapshot", before, False),
        ("+ disputes out while open", replace(before, disputes_suspend=True), False),
        ("+ public buyers at 180 days (alone)", replace(before, public_past_due_days=180), False),
        ("+ both", replace(policy, probation_days=0), False),
        ("+ snapshots in default left out (probation 0)", replace(policy, probation_days=0), True),
        ("policy (probation 90 days)", policy, True),
    ]
    for name, definition, performing in steps:
        found = default_labels(ledger, queries, cutoff, materiality=definition)
        label = found["label_default"] if performing else found[parts].max(axis=1)
        kept = label.notna()
        print(f"  {name}: {label[kept].mean():.1%} of {int(kept.sum())} customer-months")


print("default event, step by step:")
label_steps()
scorer = Scorer.from_registry(registry.Store.resolve())
s = scorer.score_customers(ledger, ledger.cutoff, explain=False)
print("customers", len(s))
print("grades (all):", s["grade"].value_counts().sort_index().to_dict())
exp = s[s["exposure"] > 0]
print("grades (with exposure):", exp["grade"].value_counts().sort_index().to_dict(), len(exp))
print(
    "pd_default mean", s["pd_default"].mean().round(4), "median", s["pd_default"].median().round(4)
)
print("late probability mean", s["probability"].mean().round(4))
cur = s[s["current_limit"] > 0]
ratio = cur["suggested_limit"] / cur["current_limit"]
within = ratio.between(0.5, 2.0)
print(f"within 0.5x-2x of current: {within.sum()} / {len(cur)} = {within.mean():.1%}")
print("below 0.5x:", (ratio < 0.5).sum(), "above 2x:", (ratio > 2).sum())
print("decisions:", s["decision"].value_counts().to_dict())
print(
    "exposure over current limit:", (exp["exposure"] > exp["current_limit"]).sum(), "of", len(exp)
)
print(
    "exposure over suggested (reduce):",
    (exp["reduce_by"] > 0).sum(),
    "reduce total",
    exp["reduce_by"].sum().round(0),
)
print(
    "zero suggestions:",
    (s["suggested_limit"] == 0).sum(),
    "of which with proceeding rule:",
    s.loc[s["suggested_limit"] == 0, "rules"].str.contains("cash in advance").sum(),
)
cur = cur.assign(ratio=ratio, diff=cur["suggested_limit"] - cur["current_limit"])
show = [
    "customer_id",
    "grade",
    "pd_default",
    "probability",
    "exposure",
    "current_limit",
    "suggested_limit",
    "decision",
    "rules",
]
print("\nLargest decreases:")
print(cur.nsmallest(6, "diff")[show].to_string(index=False))
print("\nLargest increases:")
print(cur.nlargest(6, "diff")[show].to_string(index=False))
print("\nLowest ratios:")
print(cur.nsmallest(5, "ratio")[show].to_string(index=False))
print("\nC000209:")
print(s[s["customer_id"] == "C000209"][show].to_string(index=False))
inv = ledger.invoices
small = inv.groupby("customer_id")["amount"].median().sort_values().head(3)
print("\nsmallest typical invoices:", small.round(2).to_dict())
print(
    s[s["customer_id"].isin(small.index)][
        ["customer_id", "suggested_limit", "current_limit", "exposure", "rules"]
    ].to_string(index=False)
)

"""Issue 16, item 8: the project on a one-file export against a careful hand-written reference.

The reference reads the export's text itself (month/day/year split by hand, amounts without
their thousands commas) and builds, for each invoice at its issue date, point-in-time features
from that customer's invoices **settled strictly before** that date: how many, mean and max
days late, share more than 30 days late, days to pay, open count and amount at the date and the
largest days past due among them, days since the previous invoice, plus the invoice's amount,
terms, month, billing method, country and whether the customer was paperless before the date.
The dispute flag is left out (undated: it would leak). Label: paid more than 30 days after due;
invoices still open less than 30 days past due at the export date have no label.

The project is run as a new user would: the suggested mapping as it is, ``import_files``, the
ledger validation, ``invoice_training_frame``. Both feature sets go through the same LightGBM
and the same time split (train on invoices issued before the split date, test after), so the
AUCs compare the features.

    uv run python benchmarks/bench_import_reference.py --quick   # tests/data/ar_export.csv
    uv run python benchmarks/bench_import_reference.py           # a 600-customer export
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.data.make_ar_export import write_export  # noqa: E402

from risk.features import FeatureConfig, invoice_training_frame  # noqa: E402
from risk.imports.mapping import parse_mapping_text  # noqa: E402
from risk.imports.suggest import suggest_mapping  # noqa: E402
from risk.imports.table import import_files  # noqa: E402

LATE_AFTER = 30
RESULTS = Path(__file__).parent / "results"
PARAMS = {"n_estimators": 300, "learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 10}


def mdy(text: str) -> date | None:
    if not text:
        return None
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def reference_frame(path: Path) -> pd.DataFrame:
    """One row per invoice with a known outcome: hand-written point-in-time features, label."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["issued"], row["due"] = mdy(row["InvoiceDate"]), mdy(row["DueDate"])
        row["paid"], row["paperless"] = mdy(row["SettledDate"]), mdy(row["PaperlessDate"])
        row["amount"] = float(row["InvoiceAmount"].replace(",", ""))
    export_day = max(d for r in rows for d in (r["issued"], r["paid"]) if d is not None)
    by_customer: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["issued"], r["InvoiceNo"])):
        by_customer.setdefault(row["CustomerID"], []).append(row)
    out = []
    for history in by_customer.values():
        for i, row in enumerate(history):
            t = row["issued"]
            earlier = history[:i]
            settled = [r for r in earlier if r["paid"] is not None and r["paid"] < t]
            late = [(r["paid"] - r["due"]).days for r in settled]
            unpaid = [r for r in earlier if r["paid"] is None or r["paid"] >= t]
            past_due = [(t - r["due"]).days for r in unpaid]
            if row["paid"] is not None:
                label = int((row["paid"] - row["due"]).days > LATE_AFTER)
            elif (export_day - row["due"]).days > LATE_AFTER:
                label = 1
            else:
                continue  # outcome unknown at the export date
            out.append(
                {
                    "invoice_id": row["InvoiceNo"],
                    "issued_on": pd.Timestamp(t),
                    "n_settled": len(settled),
                    "late_mean": np.mean(late) if late else np.nan,
                    "late_max": max(late) if late else np.nan,
                    "share_late_30": np.mean([x > 30 for x in late]) if late else np.nan,
                    "days_to_pay_mean": (
                        np.mean([(r["paid"] - r["issued"]).days for r in settled])
                        if settled
                        else np.nan
                    ),
                    "n_open": len(unpaid),
                    "open_amount": sum(r["amount"] for r in unpaid),
                    "past_due_max": max(past_due) if past_due else np.nan,
                    "days_since_previous": (t - earlier[-1]["issued"]).days if earlier else np.nan,
                    "amount": row["amount"],
                    "terms": (row["due"] - t).days,
                    "month": t.month,
                    "electronic": int(row["BillingMethod"] == "Electronic"),
                    "foreign": int(row["Country"] != "FR"),
                    "paperless": int(row["paperless"] is not None and row["paperless"] < t),
                    "label": label,
                }
            )
    return pd.DataFrame(out)


def project_frame(path: Path) -> pd.DataFrame:
    """The project's invoice frame, through the suggested mapping, the import and validation."""
    mapping = parse_mapping_text(suggest_mapping(path), "suggested.yaml")
    ledger = import_files(mapping, [path]).validation.ledger
    frame = invoice_training_frame(ledger, FeatureConfig(late_after_days=LATE_AFTER))
    return frame.rename(columns={"label_late": "label"}).drop(columns=["label_days_late"])


def split_auc(frame: pd.DataFrame, split: pd.Timestamp, seed: int) -> tuple[float, int, int]:
    drop = {"invoice_id", "customer_id", "issued_on", "as_of", "label"}
    features = [c for c in frame.columns if c not in drop]
    train, test = frame["issued_on"] < split, frame["issued_on"] >= split
    model = lgb.LGBMClassifier(**PARAMS, random_state=seed, verbose=-1)
    model.fit(frame.loc[train, features], frame.loc[train, "label"])
    scores = model.predict_proba(frame.loc[test, features])[:, 1]
    return float(roc_auc_score(frame.loc[test, "label"], scores)), int(train.sum()), int(test.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the committed 747-invoice export")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            path = ROOT / "tests" / "data" / "ar_export.csv"
        else:
            path = write_export(Path(tmp) / "ar_export.csv", customers=600, seed=args.seed)
        reference = reference_frame(path)
        project = project_frame(path)
    common = set(reference["invoice_id"]) & set(project["invoice_id"])
    reference = reference[reference["invoice_id"].isin(common)]
    project = project[project["invoice_id"].isin(common)]
    split = reference["issued_on"].quantile(0.7).normalize()
    result: dict[str, object] = {"export": "quick" if args.quick else "600 customers"}
    for name, frame in (("reference", reference), ("project", project)):
        auc, n_train, n_test = split_auc(frame, split, args.seed)
        result[f"auc_{name}"] = round(auc, 4)
        print(f"{name:>9}: AUC {auc:.4f} (train {n_train}, test {n_test}, split {split.date()})")
    result["split"] = str(split.date())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"import_reference{'_quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""Issue 16, item 8: the project on a one-file export against a careful hand-written reference.

The reference reads the export's text itself (month/day/year split by hand, amounts without
their thousands commas) and builds, for each invoice at its issue date, point-in-time features
from that customer's invoices **settled strictly before** that date: how many, mean and max
days late, share more than 30 days late, days to pay, open count and amount at the date and the
largest days past due among them, days since the previous invoice, plus the invoice's amount,
terms, month, billing method, country and whether the customer was paperless before the date.
The dispute flag is left out (undated: it would leak). Label: paid more than 30 days after due;
an invoice's label is known (matured) on its due date + 31 days.

Two comparisons, on the same rows:

1. **New-user path** (the target of item 8): the ``risk`` commands as a new user runs them
   (``import table --suggest``, one edit of the mapping, ``import table``, ``validate``,
   ``train --level invoice``, ``evaluate``); the project's AUC is the one ``risk evaluate``
   prints. The reference is fitted on the same time split, the windows ``risk train`` chose:
   every invoice issued before the test window whose label matured by then, scored on the
   test window's invoices. Being careful, it picks its number of trees by early stopping on the
   last quarter (by issue date) of its own training rows, then refits on all of them.
2. **Feature paths**: the project's ``invoice_training_frame`` and the reference's features
   through one and the same LightGBM and split (train before the 70 % date, test after).

    uv run python benchmarks/bench_import_reference.py           # tests/data/ar_export_600.csv
    uv run python benchmarks/bench_import_reference.py --quick   # tests/data/ar_export.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk.features import FeatureConfig, invoice_training_frame  # noqa: E402
from risk.imports.mapping import parse_mapping_text  # noqa: E402
from risk.imports.suggest import suggest_mapping  # noqa: E402
from risk.imports.table import import_files  # noqa: E402

LATE_AFTER = 30
RESULTS = Path(__file__).parent / "results"
EXPORT = ROOT / "tests" / "data" / "ar_export_600.csv"
SMALL_EXPORT = ROOT / "tests" / "data" / "ar_export.csv"
PARAMS = {"n_estimators": 300, "learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 10}
#: The careful reference's LightGBM: small trees, row and column sampling, rounds chosen by
#: early stopping on its own last quarter (see ``reference_auc``).
CAREFUL = {
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
}
NOT_FEATURES = {"invoice_id", "customer_id", "issued_on", "as_of", "label", "matured_on"}


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
                    "matured_on": pd.Timestamp(row["due"]) + pd.Timedelta(days=LATE_AFTER + 1),
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
    features = [c for c in frame.columns if c not in NOT_FEATURES]
    train, test = frame["issued_on"] < split, frame["issued_on"] >= split
    model = lgb.LGBMClassifier(**PARAMS, random_state=seed, verbose=-1)
    model.fit(frame.loc[train, features], frame.loc[train, "label"])
    scores = model.predict_proba(frame.loc[test, features])[:, 1]
    return float(roc_auc_score(frame.loc[test, "label"], scores)), int(train.sum()), int(test.sum())


@dataclass(frozen=True)
class ReferenceResult:
    auc: float
    n_train: int
    n_test: int
    rounds: int


def reference_auc(
    frame: pd.DataFrame, valid_end: pd.Timestamp, cutoff: pd.Timestamp, seed: int
) -> ReferenceResult:
    """The careful reference on the project's split: fitted on the invoices issued before
    ``valid_end`` whose label matured by then, scored on those issued from ``valid_end`` whose
    label matured by ``cutoff``. Its rounds come from early stopping on the last quarter (by
    issue date) of its training rows, fitted on the rows matured before that quarter starts."""
    features = [c for c in frame.columns if c not in NOT_FEATURES]
    issued, matured = frame["issued_on"], frame["matured_on"]
    train = frame[(issued < valid_end) & (matured <= valid_end)]
    test = frame[(issued >= valid_end) & (matured <= cutoff)]
    inner = train["issued_on"].quantile(0.75).normalize()
    early = (train["issued_on"] < inner) & (train["matured_on"] <= inner)
    stop = train["issued_on"] >= inner
    probe = lgb.LGBMClassifier(**CAREFUL, n_estimators=2000, random_state=seed, verbose=-1)
    probe.fit(
        train.loc[early, features],
        train.loc[early, "label"],
        eval_X=(train.loc[stop, features],),
        eval_y=(train.loc[stop, "label"],),
        eval_metric="auc",
        callbacks=[lgb.early_stopping(100, verbose=False)],
    )
    rounds = max(1, int(probe.best_iteration_))
    model = lgb.LGBMClassifier(**CAREFUL, n_estimators=rounds, random_state=seed, verbose=-1)
    model.fit(train[features], train["label"])
    scores = model.predict_proba(test[features])[:, 1]
    return ReferenceResult(
        float(roc_auc_score(test["label"], scores)), len(train), len(test), rounds
    )


def edit_mapping(suggested: str) -> str:
    """The new user's edit of the suggested mapping: every line checked and kept (the dispute
    flag stays ``known_from: cutoff``, since the export does not say when disputes were raised),
    and ``currency: EUR`` declared, so that an amount in another currency is quarantined."""
    edited = suggested.replace("\ntables:\n", "\ncurrency: EUR\ntables:\n", 1)
    if edited == suggested:
        raise ValueError("the suggested mapping has no 'tables:' line to put the currency above")
    return edited


def windows_from(train_output: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The test window ``risk train`` printed: (valid_end, test_end)."""
    found = {
        key: re.search(rf"'{key}': '(\d{{4}}-\d{{2}}-\d{{2}})'", train_output)
        for key in ("valid_end", "test_end")
    }
    if found["valid_end"] is None or found["test_end"] is None:
        raise ValueError(f"no windows in the output of risk train:\n{train_output}")
    return pd.Timestamp(found["valid_end"].group(1)), pd.Timestamp(found["test_end"].group(1))


def evaluated_auc(evaluate_output: str) -> float:
    """The AUC ``risk evaluate`` printed for the registered model."""
    found = re.search(r"v\d+: AUC (\d\.\d+)", evaluate_output)
    if found is None:
        raise ValueError(f"no AUC in the output of risk evaluate:\n{evaluate_output}")
    return float(found.group(1))


def new_user_path(export: Path, work: Path, seed: int) -> dict[str, object]:
    """The ``risk`` commands a new user runs, in a shell; the project's AUC and windows."""
    risk = str(Path(sys.executable).with_name("risk"))

    def run(*args: str) -> str:
        done = subprocess.run([risk, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"risk {' '.join(args)} exited {done.returncode}:\n{done.stdout}")
        return done.stdout

    mapping = work / "mapping.yaml"
    mapping.write_text(edit_mapping(run("import", "table", "--suggest", str(export))))
    ledger, tracking = work / "ledger", f"sqlite:///{work / 'mlflow.db'}"
    run("import", "table", "-m", str(mapping), "--out", str(ledger), str(export))
    run("validate", str(ledger), "--strict")
    common = ["--ledger", str(ledger), "--level", "invoice", "--tracking-uri", tracking]
    trained = run("train", *common, "--seed", str(seed), "--report-dir", str(work / "train"))
    evaluated = run("evaluate", *common, "--out", str(work / "evaluate"))
    valid_end, cutoff = windows_from(" ".join(trained.split()))
    return {
        "auc": evaluated_auc(" ".join(evaluated.split())),
        "valid_end": valid_end,
        "cutoff": cutoff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the 747-invoice export, feature paths only"
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of both LightGBMs")
    args = parser.parse_args()
    path = SMALL_EXPORT if args.quick else EXPORT
    reference = reference_frame(path)
    result: dict[str, object] = {"export": str(path.relative_to(ROOT)), "seed": args.seed}
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            project = new_user_path(path, Path(tmp), args.seed)
        ref = reference_auc(reference, project["valid_end"], project["cutoff"], args.seed)
        window = f"{project['valid_end'].date()} .. {project['cutoff'].date()}"
        print(f"new-user path, test window {window}:")
        print(f"  project (risk evaluate): AUC {project['auc']:.4f}")
        print(
            f"  careful reference: AUC {ref.auc:.4f} (train {ref.n_train}, test {ref.n_test}, "
            f"{ref.rounds} trees)"
        )
        result["new_user_path"] = {
            "test_window": window,
            "auc_project": project["auc"],
            "auc_reference": round(ref.auc, 4),
            "reference_train_rows": ref.n_train,
            "test_rows": ref.n_test,
            "reference_trees": ref.rounds,
        }
    project_features = project_frame(path)
    common = set(reference["invoice_id"]) & set(project_features["invoice_id"])
    reference = reference[reference["invoice_id"].isin(common)]
    project_features = project_features[project_features["invoice_id"].isin(common)]
    split = reference["issued_on"].quantile(0.7).normalize()
    print(f"feature paths, same LightGBM ({PARAMS}), split {split.date()}:")
    for name, frame in (("reference", reference), ("project", project_features)):
        auc, n_train, n_test = split_auc(frame, split, args.seed)
        result[f"features_auc_{name}"] = round(auc, 4)
        print(f"  {name:>9}: AUC {auc:.4f} (train {n_train}, test {n_test})")
    result["features_split"] = str(split.date())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"import_reference{'_quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()

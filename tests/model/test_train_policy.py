"""``risk train --policy``: the default model learns the default event of the policy file the
decisions read, and records it with the model (issue 13)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.decisions.credit import CreditPolicy
from risk.features import FeatureConfig
from risk.io import write_ledger
from risk.labels import default_labels
from risk.materiality import DefaultDefinition
from risk.model.dataset import training_data
from risk.synth import Portfolio
from risk.train import definition_from_metadata

POLICY = """\
default_past_due_days: 120
default_materiality_absolute: 1000
default_past_due_days_public: 200
default_disputes_suspend: false
default_probation_days: 30
"""


def test_train_default_level_with_a_policy_file(
    portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    ledger = tmp_path / "ledger"
    write_ledger(portfolio.ledger, ledger)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    common = ["train", "--ledger", str(ledger), "--tracking-uri", uri, "--level", "default"]
    done = CliRunner().invoke(
        app, [*common, "--policy", str(policy), "--report-dir", str(tmp_path / "rep")]
    )
    assert done.exit_code == 0, done.output
    model = registry.load_model(registry.Store.resolve(uri), "default")
    # the values written in the file, the others (relative threshold) the packaged default
    expected = DefaultDefinition(
        past_due_days=120,
        absolute=1000.0,
        relative=0.01,
        public_past_due_days=200,
        disputes_suspend=False,
        probation_days=30,
    )
    assert model.metadata["default_definition"] == asdict(expected)
    assert definition_from_metadata(model.metadata) == expected
    assert CreditPolicy.load(policy).default_definition() == expected


def test_a_bad_policy_file_is_refused_naming_the_field(tmp_path: Path) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text("default_probation_days: -1\n", encoding="utf-8")
    done = CliRunner().invoke(
        app, ["train", "--ledger", str(tmp_path), "--level", "default", "--policy", str(policy)]
    )
    assert done.exit_code == 2
    assert "probation_days" in done.output


def test_help_documents_the_option() -> None:
    done = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0 and "--policy" in done.output


def test_the_definition_given_is_the_one_labelled(portfolio: Portfolio) -> None:
    seen = []
    for definition in (DefaultDefinition(90, 0.0, 0.0), DefaultDefinition(180, 5000.0, 0.05)):
        data = training_data(portfolio.ledger, "default", FeatureConfig(), definition=definition)
        queries = data.frame[["customer_id", "as_of"]]
        again = default_labels(portfolio.ledger, queries, data.cutoff, materiality=definition)
        assert (data.y == again["label_default"].to_numpy(dtype="int64")).all()
        seen.append((len(data.frame), int(data.y.sum())))
    assert seen[0] != seen[1]  # the stricter trigger gives another training set


@pytest.mark.parametrize("command", ["worklist", "letters", "score"])
def test_the_decisions_read_the_same_policy_option(command: str, tmp_path: Path) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text("default_materiality_relative: 2\n", encoding="utf-8")
    sample = Path(__file__).parents[2] / "data" / "sample"
    args = [command, "--ledger", str(sample), "--policy", str(policy)]
    if command in ("letters", "score"):
        args += ["--out", str(tmp_path / "out")]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2, done.output
    assert "default_materiality_relative" in done.output

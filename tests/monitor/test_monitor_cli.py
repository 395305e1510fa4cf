"""``risk monitor`` end to end on a small generated portfolio: report, plot, MLflow run, and the
grade migration of a second run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.io import write_ledger
from risk.model.fit import FitConfig
from risk.model.lgbm import LightGBMConfig
from risk.synth import SampleConfig, generate_portfolio
from risk.train import TrainConfig, train


def test_monitor_writes_report_alerts_and_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    portfolio = generate_portfolio(SampleConfig(customers=200, years=3, seed=8))
    folder = tmp_path / "ledger"
    write_ledger(portfolio.ledger, folder)
    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    store = registry.Store.resolve(uri)
    fit = FitConfig(lightgbm=LightGBMConfig(num_boost_round=80))
    train(portfolio.ledger, TrainConfig(level="customer", fit=fit), store)
    out = tmp_path / "monitor"
    args = ["monitor", "--ledger", str(folder), "--as-of", "2025-06-01", "--out", str(out),
            "--tracking-uri", uri]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code in (0, 1), first.output  # 1: an alert was raised, said so
    assert "score PSI" in first.output and (first.exit_code == 0) == ("alert:" not in first.output)
    report = (out / "report.md").read_text()
    for section in ("Population stability", "Back-test by month and grade", "first run"):
        assert section in report
    assert (out / "psi.png").stat().st_size > 1000 and (out / "grades.csv").exists()
    args[args.index("2025-06-01")] = "2025-09-01"
    second = CliRunner().invoke(app, args)
    assert second.exit_code in (0, 1), second.output
    report = (out / "report.md").read_text()
    assert "first run" not in report and "previous grade" in report
    runs = store.client().search_runs(
        [registry.experiment_id(store, "customer")], "tags.kind = 'monitor'"
    )
    assert len(runs) == 2 and "score_psi" in runs[0].data.metrics


def test_monitor_without_a_model_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    done = CliRunner().invoke(
        app,
        ["monitor", "--as-of", "2025-01-01", "--out", str(tmp_path / "m"),
         "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"],
    )  # fmt: skip
    assert done.exit_code == 2 and "risk train" in done.output

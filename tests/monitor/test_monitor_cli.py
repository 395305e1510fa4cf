"""``risk monitor`` end to end on a small generated portfolio: report, plot, MLflow run, and the
grade migration of a second run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.io import write_ledger
from risk.ledger import Ledger
from risk.model.fit import FitConfig
from risk.model.lgbm import LightGBMConfig
from risk.monitor.run import monitor
from risk.synth import SampleConfig, generate_portfolio
from risk.train import TrainConfig, train


@dataclass(frozen=True)
class Trained:
    ledger: Ledger
    folder: Path
    uri: str
    store: registry.Store
    valid_end: pd.Timestamp


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A customer model trained on a small generated portfolio, in its own store."""
    root = tmp_path_factory.mktemp("monitor")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        portfolio = generate_portfolio(SampleConfig(customers=200, years=3, seed=8))
        folder = root / "ledger"
        write_ledger(portfolio.ledger, folder)
        uri = f"sqlite:///{root}/store/mlflow.db"
        store = registry.Store.resolve(uri)
        fit = FitConfig(lightgbm=LightGBMConfig(num_boost_round=80))
        result = train(portfolio.ledger, TrainConfig(level="customer", fit=fit), store)
    return Trained(portfolio.ledger, folder, uri, store, result.windows.valid_end)


def test_monitor_writes_report_alerts_and_migration(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    folder, uri, store = trained.folder, trained.uri, trained.store
    out = tmp_path / "monitor"
    args = ["monitor", "--ledger", str(folder), "--as-of", "2025-06-01", "--out", str(out),
            "--tracking-uri", uri]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code in (0, 1), first.output  # 1: an alert was raised, said so
    assert "score PSI" in first.output and (first.exit_code == 0) == ("alert:" not in first.output)
    report = (out / "report.md").read_text()
    for section in ("Population stability", "Back-test by month and grade", "first run"):
        assert section in report
    for plot in ("psi.png", "backtest.png"):
        assert f"]({plot})" in report and (out / plot).stat().st_size > 1000
    assert (out / "grades.csv").exists()
    args[args.index("2025-06-01")] = "2025-09-01"
    second = CliRunner().invoke(app, args)
    assert second.exit_code in (0, 1), second.output
    report = (out / "report.md").read_text()
    assert "first run" not in report and "previous grade" in report
    runs = store.client().search_runs(
        [registry.experiment_id(store, "customer")], "tags.kind = 'monitor'"
    )
    assert len(runs) == 2 and "score_psi" in runs[0].data.metrics


def test_backtest_reads_only_the_outcomes_known_at_the_date(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run at a past date back-tests the snapshots whose label had matured by that date
    (snapshot + H + L days, H = 180, L = 30), never an outcome known later."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    maturity = pd.Timedelta(days=180 + 30)
    late = monitor(trained.ledger, "customer", trained.ledger.cutoff, trained.store, tmp_path / "a")
    months = pd.to_datetime(late.backtest["month"])
    assert len(late.backtest) and months.min() >= trained.valid_end.replace(day=1)
    as_of = months.max() + maturity - pd.Timedelta(days=1)  # the last snapshot not matured
    early = monitor(trained.ledger, "customer", as_of, trained.store, tmp_path / "b")
    early_months = pd.to_datetime(early.backtest["month"])
    assert len(early.backtest) and early_months.max() < months.max()
    assert (early_months + maturity <= as_of).all()
    report = early.report.read_text()
    assert f"matured by {as_of.date()}" in report
    before = monitor(trained.ledger, "customer", trained.valid_end, trained.store, tmp_path / "c")
    assert before.backtest.empty and "no matured row yet" in before.report.read_text()


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

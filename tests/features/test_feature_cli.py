"""``risk features`` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from risk.cli.features import features


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risk.io import write_ledger
    from risk.synth import SampleConfig, generate_portfolio

    folder = tmp_path_factory.mktemp("ledger")
    write_ledger(generate_portfolio(SampleConfig(customers=25, years=2, seed=2)).ledger, folder)
    return folder


def _app() -> typer.Typer:
    try:
        from risk.cli import app

        if any(
            c.name == "features" or getattr(c.callback, "__name__", "") == "features"
            for c in app.registered_commands
        ):
            return app
    except ImportError:
        pass
    local = typer.Typer()
    local.command()(features)
    local.callback()(lambda: None)
    return local


@pytest.mark.parametrize(
    ("level", "label"), [("invoice", "label_late"), ("customer", "label_event")]
)
def test_cli_writes_parquet_and_prints_profile(
    ledger_dir: Path, tmp_path: Path, level: str, label: str
) -> None:
    out = tmp_path / f"{level}.parquet"
    args = ["features", "--ledger", str(ledger_dir), "--level", level, "--out", str(out),
            "--late-after-days", "15"]  # fmt: skip
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert label in frame.columns and len(frame) > 0
    assert "label rate" in result.output and "missing" in result.output
    assert f"{len(frame):,} rows" in result.output


def test_cli_reports_a_missing_ledger(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["features", "--ledger", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "error" in result.output

"""``risk score`` exits with one documented code per failure class, without a traceback for
expected failures, and says which run stays published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from risk.batch.publish import OutputBusyError, OutputError
from risk.batch.quarantine import QuarantineThresholdError
from risk.batch.state import IncrementalRunError
from risk.cli.batch import ExitCode, exit_code_for, score
from risk.cluster import DaskEngineError
from risk.errors import LedgerError, SchemaError
from risk.io import write_ledger
from risk.registry import ModelNotFoundError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (IncrementalRunError("other date"), ExitCode.usage),
        (LedgerError("folder 'x' does not exist"), ExitCode.unreadable_input),
        (SchemaError("invoices", "amount", "required column missing"), ExitCode.unusable_ledger),
        (QuarantineThresholdError("invoices: 40 of 100"), ExitCode.unusable_ledger),
        (OutputError("disk full"), ExitCode.io),
        (OutputBusyError("busy"), ExitCode.io),
        (PermissionError(13, "Permission denied"), ExitCode.io),
        (ModelNotFoundError("no champion"), ExitCode.models_or_engine),
        (DaskEngineError("no scheduler"), ExitCode.models_or_engine),
        (ZeroDivisionError("a bug"), ExitCode.internal),
    ],
)
def test_each_failure_class_has_its_code(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code
    assert len({int(c) for c in ExitCode}) == len(ExitCode)  # codes are distinct


def _invoke(args: list[str]):  # type: ignore[no-untyped-def]
    app = typer.Typer()
    app.command()(score)
    return CliRunner().invoke(app, args)


def test_expected_failures_exit_with_their_code_and_no_traceback(
    batch_store, batch_portfolio, tmp_path: Path
) -> None:
    base = ["--tracking-uri", batch_store.tracking_uri, "--top", "5"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    unwritable = _invoke(["--ledger", str(tmp_path), "--out", str(blocker / "out"), *base])
    assert unwritable.exit_code == ExitCode.io, unwritable.output
    assert "is not writable" in unwritable.output and "Traceback" not in unwritable.output

    broken = tmp_path / "broken"
    write_ledger(batch_portfolio.ledger, broken, "csv")
    invoices = pd.read_csv(broken / "invoices.csv", dtype=str)
    invoices.loc[: len(invoices) // 20, "amount"] = "n/a"  # 5 % of the invoices unreadable
    invoices.to_csv(broken / "invoices.csv", index=False)
    too_many = _invoke(["--ledger", str(broken), "--out", str(tmp_path / "out"), *base])
    assert too_many.exit_code == ExitCode.unusable_ledger, too_many.output
    assert "invoices:" in too_many.output and "above 1.0%" in too_many.output
    assert "no run was published" in too_many.output and "Traceback" not in too_many.output
    assert not (tmp_path / "out" / "latest").exists()

    lenient = ["--max-quarantined-share", "0.10"]
    done = _invoke(["--ledger", str(broken), "--out", str(tmp_path / "out"), *base, *lenient])
    assert done.exit_code == ExitCode.ok, done.output
    assert (tmp_path / "out" / "latest" / "quarantine" / "invoices.csv").is_file()

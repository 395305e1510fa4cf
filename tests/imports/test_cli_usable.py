"""``risk validate`` and ``risk train`` on unusable ledgers; ``risk --help`` stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from risk.cli import app

runner = CliRunner()
HEAVY = ("mlflow", "lightgbm", "bentoml")


def _ledger(tmp_path: Path, invoices: str) -> Path:
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id\nC1\n", encoding="utf-8")
    (folder / "invoices.csv").write_text(invoices, encoding="utf-8")
    return folder


def test_validate_exits_2_on_a_ledger_without_invoices(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, "invoice_id,customer_id,issued_on,due_on,amount\n")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "no invoice was kept" in " ".join(result.output.split())
    assert "ledger valid" not in result.output


def test_validate_exits_2_when_every_invoice_is_quarantined(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path, "invoice_id,customer_id,issued_on,due_on,amount\nI1,C9,2024-01-01,2024-01-31,10\n"
    )
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2, result.output


def test_train_says_what_is_missing_without_a_traceback(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, "invoice_id,customer_id,issued_on,due_on,amount\n")
    args = ["train", "--ledger", str(folder), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"]
    result = runner.invoke(app, [*args, "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "cannot train on" in said and "no invoice was kept" in said
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_help_and_validate_do_not_import_mlflow_lightgbm_or_bentoml(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path, "invoice_id,customer_id,issued_on,due_on,amount\nI1,C1,2024-01-01,2024-01-31,10\n"
    )
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from risk.cli import app\n"
        "r = CliRunner()\n"
        "assert r.invoke(app, ['--help']).exit_code == 0\n"
        f"assert r.invoke(app, ['validate', {str(folder)!r}]).exit_code == 0\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

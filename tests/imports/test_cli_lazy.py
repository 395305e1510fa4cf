"""The ``risk`` group imports a sub-command's module only when that command runs.

``risk --help`` must not import pandas, SQLAlchemy, MLflow, LightGBM or BentoML and ``risk
validate`` only what validation needs; every command keeps its ``--help``. The checks look at
``sys.modules`` in a fresh interpreter (no timing in tests; times are in docs/benchmarks.md).
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer.main
from typer import _click as click
from typer.testing import CliRunner

from risk.cli import SUBCOMMANDS, app
from risk.cli.lazy import listed_help, load_command

runner = CliRunner()
MODELS_AND_SQL = ("sqlalchemy", "mlflow", "lightgbm", "bentoml", "dask", "sklearn")


def _modules_after(args: list[str]) -> tuple[int, set[str]]:
    """Exit code of ``risk ARGS`` in a fresh interpreter and the modules it imported."""
    code = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from risk.cli import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "print(json.dumps([result.exit_code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    exit_code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return exit_code, {name.split(".")[0] for name in modules} | set(modules)


def test_help_imports_neither_pandas_nor_sql_nor_model_libraries() -> None:
    exit_code, modules = _modules_after(["--help"])
    assert exit_code == 0
    assert not modules & {"pandas", "numpy", *MODELS_AND_SQL}
    assert not {c.module for c in SUBCOMMANDS} & modules


def test_validate_imports_no_sql_nor_model_library(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n", encoding="utf-8")
    (tmp_path / "invoices.csv").write_text(
        "invoice_id,customer_id,issued_on,due_on,amount\nI1,C1,2024-01-01,2024-01-31,10\n",
        encoding="utf-8",
    )
    exit_code, modules = _modules_after(["validate", str(tmp_path)])
    assert exit_code == 0
    assert "pandas" in modules  # it did validate the ledger
    assert not modules & set(MODELS_AND_SQL)


def _all_paths(group: click.Command, prefix: list[str]) -> list[list[str]]:
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):  # type: ignore[attr-defined]
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        paths.append([*prefix, name])
        if hasattr(command, "list_commands"):
            paths.extend(_all_paths(command, [*prefix, name]))
    return paths


def test_every_command_and_sub_command_shows_its_help() -> None:
    paths = _all_paths(typer.main.get_command(app), [])
    assert {"validate", "train", "score", "import", "models"} <= {p[0] for p in paths}
    assert ["import", "table"] in paths  # sub-apps are walked too
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert f"risk {' '.join(path)}" in " ".join(result.output.split()), path


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def test_the_listed_help_is_each_commands_own_help() -> None:
    for lazy in SUBCOMMANDS:
        real = load_command(lazy)
        assert real.name == lazy.name
        assert _first_paragraph(listed_help(lazy)) == _first_paragraph(real.help or ""), lazy
        assert _first_paragraph(listed_help(lazy))  # never an empty line in `risk --help`
    listing = " ".join(runner.invoke(app, ["--help"]).output.split())
    for lazy in SUBCOMMANDS:
        assert _first_paragraph(listed_help(lazy))[:30] in listing, lazy.name


def test_a_mistyped_lazy_command_gets_a_suggestion() -> None:
    result = runner.invoke(app, ["tarin"])
    assert result.exit_code == 2
    assert "Did you mean 'train'?" in result.output

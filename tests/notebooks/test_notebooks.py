"""The notebooks run end to end on the sample ledger and are committed without outputs.

Each notebook is executed in a fresh ``python3`` kernel whose working directory is ``tmp_path``;
the MLflow store and the reports go to ``tmp_path`` too, so nothing is written to the working tree.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_explore_portfolio", "02_retrain_challenger", "03_cash_forecast"]
KERNEL = "python3"
# where a run could leak files into the working tree (MLflow's relative defaults, the default
# local store, the default report folder, the sample's quarantine)
WATCHED = [ROOT, NOTEBOOKS, ROOT / "models", ROOT / "data/sample"]


def ensure_kernel() -> None:
    """Make the ``python3`` kernelspec available (ipykernel ships it in the environment's prefix;
    install it there when an environment lacks it)."""
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(user=False, prefix=sys.prefix, kernel_name=KERNEL)


def snapshot() -> dict[str, set[str]]:
    return {
        str(folder): {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        for folder in WATCHED
    }


def result_line(nb: nbformat.NotebookNode) -> dict[str, object]:
    """The JSON the notebook's last cell prints after ``NOTEBOOK_RESULT``."""
    for cell in reversed(nb.cells):
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("NOTEBOOK_RESULT "):
                    return json.loads(line.removeprefix("NOTEBOOK_RESULT "))
    raise AssertionError("the notebook printed no NOTEBOOK_RESULT line")


def execute(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[nbformat.NotebookNode, float]:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    # set before the kernel starts: the kernel process inherits os.environ
    monkeypatch.setenv("RISK_NOTEBOOK_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("RISK_NOTEBOOK_OUTPUT", str(tmp_path / "reports"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ensure_kernel()
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(tmp_path)}}
    )
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


@pytest.fixture
def untouched_tree():
    """Fail when a notebook run created files in the working tree."""
    before = snapshot()
    yield
    after = snapshot()
    created = {
        folder: sorted(after[folder] - before[folder])
        for folder in after
        if after[folder] - before[folder]
    }
    assert not created, f"the notebook wrote into the working tree: {created}"


def test_explore_portfolio_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, untouched_tree: None
) -> None:
    nb, seconds = execute("01_explore_portfolio", tmp_path, monkeypatch)
    result = result_line(nb)
    assert result["n_invoices_labelled"] > 0
    assert 0 < result["label_rate"] < 1
    assert result["n_features"] > 0
    assert (tmp_path / "reports" / "label_rate_by_month.png").is_file()
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images or (tmp_path / "reports" / "label_rate_by_month.png").stat().st_size > 0
    print(f"01_explore_portfolio executed in {seconds:.1f} s")


def test_retrain_challenger_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, untouched_tree: None
) -> None:
    nb, seconds = execute("02_retrain_challenger", tmp_path, monkeypatch)
    result = result_line(nb)
    # fresh store: the notebook trains v1 as champion, then the challenger v2
    assert result["champion_before"] is None
    assert result["challenger_version"] == "2"
    assert result["n_versions"] == 2
    expected = "2" if result["promoted"] else "1"
    assert result["champion_version"] == expected, result["gate_reason"]
    assert result["gate_reason"]
    assert result["scored_rows"] > 0
    reports = sorted(
        p.relative_to(tmp_path).as_posix() for p in (tmp_path / "reports").rglob("report.md")
    )
    # section 6 monitors the champion: `risk monitor`'s report, plot and figures
    assert reports == [
        "reports/challenger/report.md",
        "reports/champion/report.md",
        "reports/monitor/report.md",
    ]
    assert sorted(result["reports"]) == [
        "challenger/report.md",
        "champion/report.md",
        "monitor/report.md",
    ]
    monitoring = result["monitoring"]
    assert monitoring["report"] == "monitor/report.md"
    assert (tmp_path / "reports" / "monitor" / "psi.png").stat().st_size > 0
    assert monitoring["variables"] == result["model_features"]  # a PSI per model input
    assert monitoring["score_psi"] >= 0 and monitoring["profile_score_psi"] >= 0
    assert monitoring["backtest_cells"] > 0
    assert (tmp_path / "mlflow.db").is_file()
    print(
        f"02_retrain_challenger executed in {seconds:.1f} s; MLflow files in tmp_path: "
        f"{sorted(p.name for p in tmp_path.iterdir())}"
    )


def test_cash_forecast_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, untouched_tree: None
) -> None:
    nb, seconds = execute("03_cash_forecast", tmp_path, monkeypatch)
    result = result_line(nb)
    assert result["weeks"] == 13 and result["open_invoices"] > 0 and result["sectors"] > 1
    # only the open invoices' cash is forecast: at most their open amount
    assert 0 < result["expected_13w"] <= result["open_amount"]
    four = result["scenario_4w"]
    assert four["top 10 customers +30 days"] < four["base"]
    assert min(v for k, v in four.items() if k.startswith("sector")) < four["base"]
    errors = result["backtest_errors"]
    assert {"forecast_error_model_4w", "forecast_error_due_date_13w"} <= set(errors)
    assert (tmp_path / "reports" / "cash_forecast.png").stat().st_size > 0
    assert (tmp_path / "reports" / "forecast_backtest.png").stat().st_size > 0
    print(f"03_cash_forecast executed in {seconds:.1f} s")


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "no code cell"
    assert "ROOT" in code[0].source and "pyproject.toml" in code[0].source
    for cell in code:
        assert cell.outputs == [], f"committed outputs in {name}: {cell.source[:60]!r}"
        assert cell.execution_count is None, (
            f"committed execution count in {name}: {cell.source[:60]!r}"
        )

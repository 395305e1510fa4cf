"""Start-up time of the ``risk`` command line (issue 16, Deliver 6: ``risk --help`` < 1.5 s).

Each command runs in a fresh interpreter, ``repeats`` times (5, or 3 with ``--quick``); the
figures are the median wall time and the median CPU time (user + system of the child, which
a loaded machine inflates much less than the wall time). Baselines in the same run: the bare
interpreter, ``import typer`` (the floor of any typer CLI), and ``risk.cli`` with every
sub-command module imported, which is what ``risk --help`` cost before the lazy group.

    uv run python benchmarks/bench_cli.py --quick
    uv run python benchmarks/bench_cli.py
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median, write_results

PYTHON = sys.executable
RISK = str(Path(PYTHON).with_name("risk"))
EAGER = (
    "import importlib, risk.cli\nfor c in risk.cli.SUBCOMMANDS: importlib.import_module(c.module)\n"
)


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (its output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def small_ledger(folder: Path) -> Path:
    (folder / "customers.csv").write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    (folder / "invoices.csv").write_text(
        "invoice_id,customer_id,issued_on,due_on,amount,paid_on\n"
        "I1,C1,2024-01-01,2024-01-31,100.00,2024-02-10\n"
        "I2,C2,2024-02-01,2024-03-02,250.50,\n",
        encoding="utf-8",
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per command instead of 5")
    args = parser.parse_args()
    repeats = 3 if args.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        ledger = small_ledger(Path(tmp))
        commands = {
            "python -c pass (interpreter floor)": [PYTHON, "-c", "pass"],
            "python -c 'import typer' (typer floor)": [PYTHON, "-c", "import typer"],
            "every sub-command imported (before: eager CLI)": [PYTHON, "-c", EAGER],
            "risk --help": [RISK, "--help"],
            "risk validate --help": [RISK, "validate", "--help"],
            "risk validate LEDGER (2 invoices)": [RISK, "validate", str(ledger)],
        }
        load_before = os.getloadavg()
        figures: dict[str, dict[str, float]] = {}
        for name, command in commands.items():
            runs = [run_once(command) for _ in range(repeats)]
            figures[name] = {
                "wall_s": median([wall for wall, _ in runs]),
                "cpu_s": median([cpu for _, cpu in runs]),
            }
        load_after = os.getloadavg()
    eager = figures["every sub-command imported (before: eager CLI)"]
    print(f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'command':50} {'wall s':>7} {'cpu s':>7} {'x eager cpu':>12}")
    for name, row in figures.items():
        ratio = row["cpu_s"] / eager["cpu_s"]
        print(f"{name:50} {row['wall_s']:7.2f} {row['cpu_s']:7.2f} {ratio:12.2f}")
    path = write_results(
        "cli",
        {
            "repeats": repeats,
            "load_average": {"before": load_before, "after": load_after},
            "figures": figures,
        },
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()

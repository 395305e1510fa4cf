"""``risk sample``: generate the synthetic portfolio and write it to a folder."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from risk.synth import SampleConfig, generate_portfolio
from risk.synth.export import write_truth


class SampleFormat(StrEnum):
    """File format of the written tables."""

    csv = "csv"
    parquet = "parquet"


def sample(
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 300,
    years: Annotated[int, typer.Option(min=1, help="Years of history, ending 2025-12-31.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("data/sample"),
    fmt: Annotated[SampleFormat, typer.Option(help="File format.")] = SampleFormat.csv,
    open_data: Annotated[
        Path | None,
        typer.Option(
            "--open-data",
            help="Also write the portfolio's BODACC export and SIRENE stock to this folder "
            "(inputs of `risk enrich`).",
        ),
    ] = None,
) -> None:
    """Generate a synthetic French B2B receivables ledger and its truth tables.

    Writes the ledger tables with ``risk.io.write_ledger`` into OUT and the truth tables
    (true late probabilities, latent discipline, failure dates) into OUT/truth.
    """
    from risk.io import write_ledger  # imported here: the CLI loads fast without pandas I/O

    console = Console()
    config = SampleConfig(customers=customers, years=years, seed=seed)
    started = time.perf_counter()
    with console.status(f"Generating {customers:,} customers over {years} years..."):
        portfolio = generate_portfolio(config)
    generated = time.perf_counter() - started
    with console.status(f"Writing {fmt.value} files to {out}..."):
        ledger_paths = write_ledger(portfolio.ledger, out, fmt=fmt.value)
        truth_paths = write_truth(portfolio.truth, out / "truth", fmt=fmt.value)
    summary = Table(title=f"Synthetic portfolio (seed {seed}, ends {config.end_date})")
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    summary.add_column("file")
    tables = {**portfolio.ledger.tables(), **portfolio.truth}
    for name, path in {**ledger_paths, **truth_paths}.items():
        rows = f"{len(tables[name]):,}" if name in tables else "-"
        summary.add_row(name, rows, str(path))
    console.print(summary)
    if open_data is not None:
        from risk.synth.open_data import write_open_data

        for name, path in write_open_data(portfolio.ledger, open_data).items():
            console.print(f"{name} open-data file: {path}")
    elapsed = time.perf_counter() - started
    console.print(f"generated in {generated:.1f} s, written in {elapsed - generated:.1f} s")

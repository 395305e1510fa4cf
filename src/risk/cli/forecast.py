"""``risk forecast`` (cash-in forecast of the open invoices) and the payment-timing training
used by ``risk train --level timing`` and ``risk run``."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from risk.cli.models import print_outcome
from risk.cli.options import view_date_of
from risk.errors import LedgerError, RiskError

if TYPE_CHECKING:
    from risk.timing.train import TimingResult

console = Console(width=None if sys.stdout.isatty() else 150)


class GroupBy(StrEnum):
    """How the forecast is broken down."""

    total = "total"
    customer = "customer"
    sector = "sector"
    grade = "grade"


def run_timing_training(
    ledger: Path, tracking_uri: str | None, report_dir: Path, seed: int = 42, every_days: int = 7
) -> TimingResult:
    """Train, assess, register and gate the payment-timing model with a progress display."""
    from risk import registry
    from risk.io import load_ledger
    from risk.synth.open_truth import read_open_truth
    from risk.timing.hazard import HazardConfig
    from risk.timing.snapshots import SnapshotConfig
    from risk.timing.train import TimingConfig, train_timing

    config = TimingConfig(
        snapshots=SnapshotConfig(every_days=every_days), hazard=HazardConfig(seed=seed)
    )
    loaded = load_ledger(ledger)
    store = registry.Store.resolve(tracking_uri)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("training the payment-timing model", total=None)
        return train_timing(
            loaded,
            store,
            config,
            report_dir,
            progress=lambda stage: bar.update(task, description=f"payment-timing model: {stage}"),
            truth=read_open_truth(ledger),
        )


def print_timing_result(result: TimingResult) -> None:
    console.print(
        f"[bold]payment-timing v{result.version}[/bold] windows {result.windows.as_dict()}"
    )
    print_outcome(list(result.summary()), result.promoted, result.gate_reason, result.report)


def forecast_table(frame: pd.DataFrame, title: str) -> Table:
    """Week, start, expected cash and the 80 % band (and the group when broken down)."""
    table = Table(title=title)
    columns = [c for c in ("group", "week", "week_start", "expected", "low", "high") if c in frame]
    for name in columns:
        table.add_column(name, justify="left" if name in ("group", "week_start") else "right")
    for row in frame[columns].itertuples(index=False):
        cells = []
        for name, value in zip(columns, row, strict=True):
            if name == "week_start":
                cells.append(str(pd.Timestamp(value).date()))
            elif isinstance(value, float):
                cells.append(f"{value:,.0f}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table


def _grades(ledger, store):  # type: ignore[no-untyped-def]
    """``as_of -> grade per customer`` from the registered customer model."""
    from risk.scoring import Scorer

    def grades(as_of: pd.Timestamp) -> pd.Series:
        scorer = Scorer.from_registry(store)
        frame = scorer.score_customers(ledger, as_of, explain=False)
        return frame.set_index("customer_id")["grade"]

    return grades


def forecast_command(
    ledger: Annotated[Path, typer.Option("--ledger", help="Ledger folder.")] = Path("data/sample"),
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Forecast date (default: last date in the ledger)."
        ),
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks forecast.")] = 13,
    by: Annotated[
        GroupBy, typer.Option(help="Break down by customer, sector or grade.")
    ] = GroupBy.total,
    top: Annotated[int, typer.Option(help="Groups shown (largest expected cash first).")] = 10,
    delay_top: Annotated[
        int, typer.Option(help="Scenario: the N largest customers pay later...")
    ] = 0,
    delay_days: Annotated[int, typer.Option(help="...by this many days.")] = 0,
    sector: Annotated[
        str | None,
        typer.Option(help="Scenario: NAF section letter whose payment hazard is scaled..."),
    ] = None,
    sector_hazard: Annotated[
        float, typer.Option(help="...by this factor (0.5 = half as fast).")
    ] = 1.0,
    backtest: Annotated[
        list[datetime] | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Back-test at this past date (repeatable) against what was received and the naive forecasts.",
        ),
    ] = None,
    csv: Annotated[Path | None, typer.Option(help="Write the forecast rows to this CSV.")] = None,
    report_dir: Annotated[
        Path | None, typer.Option(help="Back-test report and plots folder.")
    ] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI.")] = None,
) -> None:
    """Cash-in forecast ("prévision des encaissements") of the open invoices, week by week, with
    an 80 % band, from the payment-timing model; by customer, sector or grade; with stress
    scenarios; back-tested at past dates against the two naive forecasts (due date, the
    customer's historical delay)."""
    from risk import registry
    from risk.io import load_ledger
    from risk.timing.forecast import Scenario, forecast_cash_in

    try:
        loaded = load_ledger(ledger)
        store = registry.Store.resolve(tracking_uri)
        model = registry.load_model(store, "timing")
        date = view_date_of(ledger, loaded, as_of)
        scenario = Scenario(delay_top, delay_days, sector, sector_hazard)
        found = forecast_cash_in(
            model, loaded, date, weeks, by.value, scenario, _grades(loaded, store)
        )
        scored, frame = found.scored, found.rows
        if by == GroupBy.total:
            frame = frame.drop(columns="group")
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    title = f"cash-in forecast of {len(scored.scores):,} open invoices as of {date.date()}"
    if not scenario.is_base:
        title += f" (scenario: {scenario.describe()})"
    if by == GroupBy.total:
        console.print(forecast_table(frame, title))
        total = frame["expected"].sum()
        console.print(
            f"expected over {weeks} weeks: {total:,.0f} of {scored.scores['open_amount'].sum():,.0f} open"
        )
    else:
        sizes = frame.groupby("group")["expected"].sum().sort_values(ascending=False)
        shown = frame.groupby("group", as_index=False)[["expected", "low", "high"]].sum()
        shown = shown.set_index("group").loc[sizes.index[:top]].reset_index()
        console.print(
            forecast_table(
                shown, f"{title}, {weeks}-week totals by {by.value} (band: sum of weekly bands)"
            )
        )
    console.print(f"80 % band: {found.band_source}")
    if csv is not None:
        csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(csv, index=False)
        console.print(f"written: {csv}")
    if backtest:
        _backtest(loaded, model, [pd.Timestamp(d) for d in backtest], report_dir)


def _backtest(loaded, model, dates: list[pd.Timestamp], report_dir: Path | None) -> None:  # type: ignore[no-untyped-def]
    from risk.features.frames import default_cutoff
    from risk.timing.assess import assess, write_assessment

    found = assess(model, loaded, dates, default_cutoff(loaded))
    rows = [
        (name.removeprefix("forecast_error_"), value)
        for name, value in found.metrics.items()
        if name.startswith("forecast_error_") and not name.endswith("_worst")
    ]
    table = Table(title="back-test: |forecast - received| / received (mean over the dates)")
    table.add_column("forecast, horizon")
    table.add_column("error", justify="right")
    for name, value in rows:
        table.add_row(name, f"{value:.1%}")
    console.print(table)
    m = found.metrics
    console.print(
        f"80 % band: received inside it in {m['forecast_band_coverage']:.0%} of the weeks "
        f"(cumulative cash: {m['forecast_band_coverage_cumulative']:.0%}), mean width "
        f"{m['forecast_band_width']:.0%} of the expected weekly cash "
        f"({m['forecast_band_width_cumulative']:.0%} cumulative)"
    )
    out = report_dir or Path("reports") / f"forecast-{time.strftime('%Y%m%d-%H%M%S')}"
    path = write_assessment(
        found, out, "Cash-in forecast back-test", {"dates": ", ".join(str(d.date()) for d in dates)}
    )
    console.print(f"report: {path}")


def evaluate_timing(ledger: Path, tracking_uri: str | None, out: Path, version: str | None) -> None:
    """``risk evaluate --level timing``: re-assess a registered timing model (default: the
    champion) on a ledger at its scoring dates, against the issue-date champion when there is
    one; write the report."""
    from risk import registry
    from risk.features.frames import default_cutoff
    from risk.io import load_ledger
    from risk.timing.assess import assess, summary, write_assessment

    loaded = load_ledger(ledger)
    store = registry.Store.resolve(tracking_uri)
    model = registry.load_model(store, "timing", version=version)
    try:
        issue = registry.load_model(store, "invoice")
    except registry.ModelNotFoundError:
        issue = None
    from risk.synth.open_truth import read_open_truth

    dates = [pd.Timestamp(d) for d in model.metadata["windows"]["eval_dates"].split(",")]
    found = assess(model, loaded, dates, default_cutoff(loaded), issue, read_open_truth(ledger))
    name = f"payment-timing v{model.metadata.get('model_version')}"
    path = write_assessment(
        found,
        out,
        f"Evaluation of {name}",
        {"model": name, "dates": ", ".join(str(d.date()) for d in dates)},
    )
    for line in summary(found.metrics):
        console.print(line)
    console.print(f"report: {path}")

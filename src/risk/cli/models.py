"""``risk train``, ``risk evaluate``, ``risk models list`` and ``risk promote``."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from risk.cli.lazy import lazy_module
from risk.cli.options import EngineName, PolicyOption, SchedulerOption
from risk.cli.render import frame_table
from risk.errors import LedgerError, RiskError
from risk.io import load_ledger
from risk.validation.usable import training_problems

if TYPE_CHECKING:
    from risk.model.dataset import Level
    from risk.train import TrainConfig, TrainingResult

registry = lazy_module("risk.registry")

console = Console(width=None if sys.stdout.isatty() else 150)
models_app = typer.Typer(
    help="Registered models: list versions and their champion.", no_args_is_help=True
)

LedgerOption = Annotated[Path, typer.Option("--ledger", help="Ledger folder.")]
LevelOption = Annotated[
    str,
    typer.Option(
        help="Model level: invoice, customer (late payment), default (12-month default PD) or "
        "timing (payment-timing model)."
    ),
]
TrackingOption = Annotated[
    str | None,
    typer.Option(
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///models/mlflow.db)."
    ),
]


def _level(value: str, timing: bool = False) -> Level:
    allowed = ("invoice", "customer", "default", *(("timing",) if timing else ()))
    if value not in allowed:
        raise typer.BadParameter(f"--level must be {', '.join(allowed)}, not {value!r}")
    return value  # type: ignore[return-value]


TRUTH_COLUMNS = ("invoice_id", "p_late", "p_late_at_issue")


def read_truth(ledger: Path) -> pd.DataFrame | None:
    """The generator's invoice truth next to a generated ledger, when there is one."""
    for name in ("invoice_truth.csv", "invoice_truth.parquet"):
        path = ledger / "truth" / name
        if path.exists():
            if path.suffix == ".csv":
                return pd.read_csv(
                    path, usecols=lambda c: c in TRUTH_COLUMNS, dtype={"invoice_id": "str"}
                )
            frame = pd.read_parquet(path)
            return frame[[c for c in frame.columns if c in TRUTH_COLUMNS]]
    return None


def run_training(
    ledger: Path, config: TrainConfig, tracking_uri: str | None, report_dir: Path
) -> TrainingResult:
    """Train with a progress display; the shared path of ``risk train`` and ``risk run``."""
    loaded = load_ledger(ledger)
    problems = training_problems(loaded)
    if problems:
        raise LedgerError(
            f"cannot train on {ledger}: " + "; ".join(problems) + f" (see: risk validate {ledger})"
        )
    store = registry.Store.resolve(tracking_uri)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"training the {config.level} model", total=None)
        result = lazy_module("risk.train").train(
            loaded,
            config,
            store,
            truth=read_truth(ledger),
            report_dir=report_dir,
            progress=lambda stage: bar.update(task, description=f"{config.level} model: {stage}"),
        )
    return result


def print_result(result: TrainingResult) -> None:
    console.print(
        f"[bold]{registry.MODEL_NAMES[result.level]} v{result.version}[/bold] "
        f"windows {result.windows.as_dict()}"
    )
    report = result.report_dir / "report.md" if result.report_dir is not None else None
    print_outcome(result.summary(), result.promoted, result.gate_reason, report)


def print_outcome(lines: list[str], promoted: bool, gate_reason: str, report: Path | None) -> None:
    """A trained model's summary lines, the champion gate's verdict and the report path."""
    for line in lines:
        console.print(f"  {line}")
    verdict = "[green]promoted to champion[/green]" if promoted else "[yellow]not promoted[/yellow]"
    console.print(f"  gate: {verdict} — {gate_reason}")
    if report is not None:
        console.print(f"  report: {report}")


def train_command(
    ledger: LedgerOption = Path("data/sample"),
    level: LevelOption = "invoice",
    late_after_days: Annotated[
        int, typer.Option(help="L: late = paid more than L days after due.")
    ] = 30,
    horizon_days: Annotated[int, typer.Option(help="H: customer label horizon in days.")] = 180,
    tune: Annotated[
        int, typer.Option("--tune", help="Optuna trials (0 = default parameters).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="The one seed of the run.")] = 42,
    train_end: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="End of the training window.")
    ] = None,
    valid_end: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="End of the validation window.")
    ] = None,
    tracking_uri: TrackingOption = None,
    report_dir: Annotated[
        Path | None, typer.Option(help="Report folder (default reports/<level>-<time>).")
    ] = None,
    engine: Annotated[
        EngineName,
        typer.Option(
            help="Build features and fit LightGBM here (pandas) or on Dask (lightgbm.dask)."
        ),
    ] = EngineName.pandas,
    scheduler: SchedulerOption = None,
    policy: PolicyOption = None,
) -> None:
    """Train a model on time windows, evaluate it out of time, register it, apply the gate.

    The default level learns the default event as the credit policy defines it (--policy: the
    same file the decisions read; its days past due, materiality thresholds, public buyers'
    days, disputes and probation); the definition is recorded with the model.

    With --engine dask the features are built on the workers of a Dask cluster (a local
    two-worker cluster unless --scheduler is given), customer chunk by customer chunk, and the
    booster is fitted across them with lightgbm.dask; tuning trials, calibration and
    evaluation run here.
    """
    out = report_dir or Path("reports") / f"{level}-{time.strftime('%Y%m%d-%H%M%S')}"
    if _level(level, timing=True) == "timing":  # the payment-timing model (risk.timing)
        from risk.cli.forecast import print_timing_result, run_timing_training

        try:
            print_timing_result(run_timing_training(ledger, tracking_uri, out, seed))
        except (LedgerError, RiskError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        return
    config = lazy_module("risk.train").TrainConfig(
        level=_level(level),
        features=lazy_module("risk.features").FeatureConfig(
            late_after_days=late_after_days, horizon_days=horizon_days
        ),
        fit=lazy_module("risk.model.fit").FitConfig(seed=seed, n_trials=tune),
        train_end=pd.Timestamp(train_end) if train_end else None,
        valid_end=pd.Timestamp(valid_end) if valid_end else None,
        engine=engine.value,  # type: ignore[arg-type]
        scheduler=scheduler,
    )
    try:
        if policy is not None:
            chosen = lazy_module("risk.decisions.credit").CreditPolicy.load(policy)
            config = replace(config, default_definition=chosen.default_definition())
        print_result(run_training(ledger, config, tracking_uri, out))
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def evaluate_command(
    ledger: LedgerOption = Path("data/sample"),
    level: LevelOption = "invoice",
    version: Annotated[
        str | None, typer.Option(help="Model version (default: the champion).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports/evaluation"),
    tracking_uri: TrackingOption = None,
) -> None:
    """Evaluate a registered model on the ledger's out-of-time window; write report and plots.

    --level timing re-assesses the payment-timing model at its scoring dates (every open
    invoice, by days-past-due bucket, against the issue-date champion, forecast back-test).
    """
    if _level(level, timing=True) == "timing":
        from risk.cli.forecast import evaluate_timing

        try:
            evaluate_timing(ledger, tracking_uri, out, version)
        except (LedgerError, RiskError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        return
    try:
        path, lines = lazy_module("risk.train").evaluate_registered(
            load_ledger(ledger),
            _level(level),
            registry.Store.resolve(tracking_uri),
            out,
            version=version,
            truth=read_truth(ledger),
        )
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    for line in lines:
        console.print(line)
    console.print(f"report: {path}")


@models_app.command("list")
def list_command(
    level: Annotated[str | None, typer.Option(help="Only this level.")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Registered versions with their aliases, test metrics and promotion reasons."""
    store = registry.Store.resolve(tracking_uri)
    for name in [level] if level else ["invoice", "customer", "default", "timing"]:
        versions = registry.list_versions(store, _level(name, timing=True))
        if versions.empty:
            console.print(f"{registry.MODEL_NAMES[name]}: no version registered yet")
        else:
            console.print(frame_table(versions.drop(columns="model"), registry.MODEL_NAMES[name]))


def promote_command(
    version: Annotated[str, typer.Argument(help="Version to make champion.")],
    level: LevelOption = "invoice",
    force: Annotated[
        bool, typer.Option(help="Promote even if it does not beat the champion.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why (required with --force; logged on the version).")
    ] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Move the champion alias to VERSION: through the gate, or with --force and a reason."""
    store = registry.Store.resolve(tracking_uri)
    lvl = _level(level, timing=True)
    if force and not reason:
        raise typer.BadParameter("--force needs --reason 'why this version must be champion'")
    try:
        if not force:
            ok, why = registry.compare_recorded(store, lvl, version)
            if not ok:
                console.print(f"[yellow]not promoted:[/yellow] {why} (use --force --reason '...')")
                raise typer.Exit(1)
            reason = why
        registry.set_champion(store, lvl, version, reason or "", forced=force)
    except RiskError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{registry.MODEL_NAMES[lvl]} v{version} is champion: {reason}")

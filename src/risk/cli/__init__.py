"""The ``risk`` command line: one sub-command per job, ``--help`` on each."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from risk.cli.lazy import LazyCommand, lazy_group, lazy_module

# Sub-commands live in their own modules, imported only when they run (``risk --help`` and
# ``risk validate`` then import neither SQLAlchemy, MLflow, LightGBM nor BentoML).
SUBCOMMANDS = (
    LazyCommand("sample", "risk.cli.sample", "sample"),
    LazyCommand("features", "risk.cli.features", "features"),
    LazyCommand("train", "risk.cli.models", "train_command"),
    LazyCommand("evaluate", "risk.cli.models", "evaluate_command"),
    LazyCommand("promote", "risk.cli.models", "promote_command"),
    LazyCommand("worklist", "risk.cli.decisions", "worklist_command"),
    LazyCommand("letters", "risk.cli.letters", "letters_command"),
    LazyCommand("forecast", "risk.cli.forecast", "forecast_command"),
    LazyCommand("score", "risk.cli.batch", "score"),
    LazyCommand("serve", "risk.cli.serve", "serve"),
    LazyCommand("apikey", "risk.cli.serve", "apikey"),
    LazyCommand("bento", "risk.cli.serve", "bento"),
    LazyCommand("monitor", "risk.cli.monitor", "monitor_command"),
    LazyCommand("compact", "risk.cli.compact", "compact_command"),
    LazyCommand("models", "risk.cli.models", "models_app"),
    LazyCommand(
        "import", "risk.cli.imports", "import_app", "Bring your own ledger: ERP exports, SQL, FEC."
    ),
    LazyCommand(
        "enrich",
        "risk.cli.enrich",
        "enrich_app",
        "Enrich the ledger from open data: BODACC, SIRENE.",
    ),
)

app = typer.Typer(
    name="risk",
    help="Payment-risk toolkit for B2B receivables: ledgers, scores, credit limits, worklists.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=lazy_group(*SUBCOMMANDS),
)
console = Console(width=None if sys.stdout.isatty() else 150)

DEFAULT_LEDGER = Path("data/sample")

LedgerDir = Annotated[
    Path, typer.Option("--ledger", help="Ledger folder (CSV or Parquet, one file per table).")
]
AsOf = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Date of the view (default: last date in the ledger)."),
]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """Payment-risk toolkit for B2B receivables."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("mlflow").setLevel(logging.WARNING)


@app.command()
def validate(
    ledger_dir: Annotated[Path, typer.Argument(help="Ledger folder to check.")],
    quarantine: Annotated[
        Path | None,
        typer.Option(help="Folder for rejected rows (default: LEDGER_DIR/quarantine)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit with code 1 when any row is quarantined.")
    ] = False,
) -> None:
    """Check a ledger against its contracts; rejected rows go to quarantine with reasons.

    Exit codes: 0 valid (rows may be quarantined unless --strict), 1 rows quarantined with
    --strict, 2 fatal (folder, table or required column missing, unreadable file, no customer
    or no invoice kept).
    """
    from risk.cli.render import print_tables, validation_tables
    from risk.errors import LedgerError
    from risk.io import validate_ledger_dir, write_quarantine
    from risk.validation.usable import blocking_problems

    try:
        result = validate_ledger_dir(ledger_dir)
    except LedgerError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    print_tables(console, validation_tables(result))
    target = quarantine or ledger_dir / "quarantine"
    written = write_quarantine(result, target)
    for name, path in written.items():
        console.print(f"quarantined rows of {name}: {path}")
    problems = blocking_problems(result.ledger)
    if problems:
        for problem in problems:
            console.print(f"[red]error:[/red] {ledger_dir}: {problem}")
        raise typer.Exit(2)
    if result.n_quarantined == 0:
        console.print("[green]ledger valid: every row kept[/green]")
    elif strict:
        raise typer.Exit(1)


@app.command()
def overview(ledger: LedgerDir = DEFAULT_LEDGER, as_of: AsOf = None) -> None:
    """Portfolio overview: receivables, aged balance, DSO, late payers, top overdue customers."""
    from risk.cli.options import view_date_of
    from risk.cli.render import overview_tables, print_tables
    from risk.errors import LedgerError
    from risk.io import load_ledger
    from risk.portfolio import portfolio_overview

    try:
        loaded = load_ledger(ledger)
    except LedgerError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    print_tables(
        console, overview_tables(portfolio_overview(loaded, view_date_of(ledger, loaded, as_of)))
    )


def print_label_rates(ledger: Path) -> None:
    """Rows and label rates of both training frames (what the models learn from)."""
    from risk.features import FeatureConfig, customer_training_frame, invoice_training_frame
    from risk.io import load_ledger

    loaded = load_ledger(ledger)
    config = FeatureConfig()
    invoice_frame = invoice_training_frame(loaded, config)
    customer_frame = customer_training_frame(loaded, config)
    console.print(
        f"invoice frame: {len(invoice_frame):,} invoices with a known outcome, "
        f"{invoice_frame['label_late'].mean():.1%} paid more than "
        f"{config.late_after_days} days late"
    )
    console.print(
        f"customer frame: {len(customer_frame):,} customer-months with an invoice due in the "
        f"next {config.horizon_days} days, {customer_frame['label_event'].mean():.1%} with more "
        f"than {config.late_share_threshold:.0%} of that amount paid more than "
        f"{config.late_after_days} days late (or a proceeding); "
        f"{customer_frame.attrs['label_out_of_scope']:,} customer-months without an invoice due "
        "left out"
    )


@app.command(name="run")
def run_main_job(ledger: LedgerDir = DEFAULT_LEDGER, as_of: AsOf = None) -> None:
    """The main job on embedded defaults: sample, validation, overview, features, models."""

    from risk.cli.decisions import worklist_table
    from risk.cli.forecast import print_timing_result, run_timing_training
    from risk.cli.models import print_result, run_training
    from risk.cli.options import view_date_of
    from risk.cli.sample import sample
    from risk.io import load_ledger

    if not (ledger / "customers.csv").exists() and not (ledger / "customers.parquet").exists():
        console.rule(f"Generating the sample portfolio into {ledger}")
        sample(out=ledger)
    console.rule("Validation")
    validate(ledger, quarantine=None, strict=True)
    console.rule("Portfolio overview")
    overview(ledger, as_of)
    console.rule("Point-in-time training frames")
    print_label_rates(ledger)
    for level in ("invoice", "customer", "default"):
        console.rule(f"{level.capitalize()} model")
        config = lazy_module("risk.train").TrainConfig(level=level)
        report_dir = Path("reports") / f"{level}-latest"
        print_result(run_training(ledger, config, None, report_dir))
    console.rule("Payment-timing model (open invoices)")
    print_timing_result(run_timing_training(ledger, None, Path("reports") / "timing-latest"))
    console.rule("Today's worklist")
    loaded = load_ledger(ledger)
    registry, scoring = lazy_module("risk.registry"), lazy_module("risk.scoring")
    worklists = lazy_module("risk.decisions.worklist")
    scorer = scoring.Scorer.from_registry(registry.Store.resolve())
    date = view_date_of(ledger, loaded, as_of)
    worklist = worklists.build_worklist(scorer, loaded, date, worklists.WorklistFilters(top=10))
    console.print(worklist_table(worklist, shown=10))
    console.print(
        "Next: `uv run risk worklist --xlsx out/worklist.xlsx`, `uv run risk serve`; MLflow UI: "
        "uv run mlflow ui --backend-store-uri sqlite:///models/mlflow.db"
    )
    console.print(
        "Web pages (dashboard, worklist, customer sheets): "
        "`uv run risk serve --web-key me`, then open http://127.0.0.1:3000/app "
        "and sign in with the key it prints"
    )

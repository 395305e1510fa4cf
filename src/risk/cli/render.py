"""Rich renderings of reports for the terminal (the CLI's only output path)."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

from risk.portfolio import PortfolioOverview
from risk.validation import ValidationResult

MAX_ISSUES_SHOWN = 20


def money(value: float) -> str:
    """Format an amount as ``1,234,567.89`` (ledger currency)."""
    return "-" if math.isnan(value) else f"{value:,.2f}"


def percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1%}"


def validation_tables(result: ValidationResult) -> list[Table]:
    """The reconciliation table and, when rows were rejected, the first issues."""
    counts = Table(title="Validation: read = kept + quarantined (+ moved)")
    for header in ("table", "read", "kept", "quarantined", "moved to credit_notes", "reconciles"):
        counts.add_column(header, justify="right" if header != "table" else "left")
    for report in result.reports.values():
        counts.add_row(
            report.table,
            f"{report.read:,}",
            f"{report.kept:,}",
            f"{report.quarantined:,}",
            f"{report.moved_to_credit_notes:,}",
            "yes" if report.reconciles else "[red]NO[/red]",
        )
    tables = [counts]
    if not result.issues.empty:
        shown = result.issues.head(MAX_ISSUES_SHOWN)
        title = f"Issues ({len(result.issues):,} in all, first {len(shown)} shown)"
        issues = Table(title=title)
        for header in ("table", "row", "column", "value", "rule"):
            issues.add_column(header)
        for row in shown.itertuples(index=False):
            issues.add_row(row.table, str(row.row), row.column, str(row.value), row.rule)
        tables.append(issues)
    return tables


def overview_tables(overview: PortfolioOverview) -> list[Table]:
    """Headline figures, the aged balance and the top overdue customers."""
    as_of = overview.as_of.date().isoformat()
    head = Table(title=f"Portfolio as of {as_of}", show_header=False)
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row("customers", f"{overview.n_customers:,}")
    head.add_row("invoices issued", f"{overview.n_invoices:,}")
    head.add_row("open invoices", f"{overview.n_open_invoices:,}")
    head.add_row("open receivables", money(overview.open_receivables))
    head.add_row("of which overdue", money(overview.overdue_receivables))
    head.add_row(
        "DSO (days, 90-day sales)",
        "-" if math.isnan(overview.dso_days) else f"{overview.dso_days:.1f}",
    )
    head.add_row("settled invoices paid late", percent(overview.share_paid_late))
    head.add_row("mean days late (settled)", f"{overview.mean_days_late:.1f}")

    aged = Table(title="Aged balance (balance âgée)")
    for header, justify in (
        ("bucket", "left"),
        ("invoices", "right"),
        ("amount", "right"),
        ("share", "right"),
    ):
        aged.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in overview.aged_balance.itertuples(index=False):
        aged.add_row(row.label, f"{row.n_invoices:,}", money(row.amount), percent(row.share))

    top = Table(title="Top overdue customers")
    for header, justify in (
        ("customer", "left"),
        ("name", "left"),
        ("overdue amount", "right"),
        ("overdue invoices", "right"),
        ("max days past due", "right"),
    ):
        top.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in overview.top_overdue.itertuples(index=False):
        top.add_row(
            row.customer_id,
            getattr(row, "name", ""),
            money(row.overdue_amount),
            str(row.n_overdue),
            str(row.max_days_past_due),
        )
    return [head, aged, top]


def print_tables(console: Console, tables: list[Table]) -> None:
    for table in tables:
        console.print(table)


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A plain rich table of a small DataFrame."""
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(str(name))
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row))
    return table

"""``risk worklist``: today's reminder worklist in the terminal, as CSV and as Excel."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from risk.cli.options import PolicyOption, policy_of, view_date_of, warn
from risk.decisions.export import export_frame, write_csv, write_excel
from risk.decisions.ranking import customer_actions
from risk.errors import LedgerError, RiskError

console = Console(width=None if sys.stdout.isatty() else 150)
SHOWN = 15
_TITLES = {
    "en": ("Reminder worklist as of {as_of} ({n} {what})", "customers", "invoices"),
    "fr": ("Relances à faire au {as_of} ({n} {what})", "clients", "factures"),
}
_HEADERS = {
    "en": ("#", "customer", "invoices", "owed (net)", "expected loss", "days past due",
           "next action", "when", "why"),
    "fr": ("#", "client", "factures", "dû (net)", "perte attendue", "jours de retard", "action",
           "quand", "pourquoi"),
}  # fmt: skip
_JUSTIFY = ("right", "left", "left", "right", "right", "right", "left", "left", "left")


def _money(value: object) -> str:
    """``1,234.50``, or ``-`` when missing (no payment-timing model: no expected loss)."""
    return f"{float(value):,.2f}" if pd.notna(value) else "-"  # type: ignore[arg-type]


def _short_list(invoices: str, shown: int = 3) -> str:
    ids = invoices.split(", ")
    more = f" (+{len(ids) - shown})" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def worklist_table(
    worklist: pd.DataFrame, lang: str = "en", shown: int = SHOWN, per_customer: bool = False
) -> Table:
    """The first rows of a worklist (invoice rows or customer actions) as a rich table."""
    as_of = worklist["as_of"].iloc[0].date() if len(worklist) else "-"
    title, customers, invoices = _TITLES[lang]
    what = customers if per_customer else invoices
    table = Table(title=title.format(as_of=as_of, n=len(worklist), what=what))
    for header, justify in zip(_HEADERS[lang], _JUSTIFY, strict=True):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in worklist.head(shown).itertuples(index=False):
        when = row.action_date.date().isoformat() if pd.notna(row.action_date) else "-"
        who = f"{row.customer_id} {row.customer_name}".strip()
        listed = _short_list(row.invoices) if per_customer else row.invoice_id
        owed = row.total_open if per_customer else row.open_amount
        late = row.max_days_past_due if per_customer else row.days_past_due
        loss = getattr(row, "total_expected_loss" if per_customer else "expected_loss", None)
        why = str(getattr(row, f"why_{lang}") or "").split("; ")[0]
        table.add_row(str(row.rank), who, listed, f"{owed:,.2f}", _money(loss), str(late),
                      getattr(row, f"action_{lang}"), when, why)  # fmt: skip
    return table


def write_outputs(
    worklist: pd.DataFrame,
    csv: Path | None,
    xlsx: Path | None,
    lang: str = "en",
    per_customer: bool = False,
    csv_dialect: str = "en",
) -> list[Path]:
    """CSV and Excel copies of the worklist (headers and values in ``lang``)."""
    frame = export_frame(worklist, lang, per_customer)
    written = []
    if csv:
        written.append(write_csv(frame, csv, csv_dialect))
    if xlsx:
        written.append(write_excel(frame, xlsx, lang))
    return written


def worklist_command(
    ledger: Annotated[Path, typer.Option("--ledger", help="Ledger folder.")] = Path("data/sample"),
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Date (default: the ledger's last date)."),
    ] = None,
    top: Annotated[
        int, typer.Option(help="How many customers (or invoices with --by invoice); 0 = all.")
    ] = 50,
    by: Annotated[
        str, typer.Option(help="customer: one action per customer; invoice: one row each.")
    ] = "customer",
    grade: Annotated[
        list[str] | None, typer.Option(help="Only these grades (repeat the option).")
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option(help="Only these NAF sections, e.g. F (repeat).")
    ] = None,
    min_amount: Annotated[
        float, typer.Option(help="Only invoices with at least this open amount.")
    ] = 0.0,
    lang: Annotated[str, typer.Option(help="Language of headers, actions, reasons: en|fr.")] = "en",
    csv: Annotated[Path | None, typer.Option(help="Write the worklist as CSV here.")] = None,
    csv_dialect: Annotated[
        str, typer.Option(help="CSV convention: en (comma, point) or fr (semicolon, comma, BOM).")
    ] = "en",
    xlsx: Annotated[Path | None, typer.Option(help="Write the worklist as Excel here.")] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: local store).")
    ] = None,
    policy: PolicyOption = None,
) -> None:
    """What to chase today: legal deadlines first, then overdue amounts by expected loss, with
    the next dunning action, the net amounts, penalties and the customer's risk reasons."""
    from risk import registry
    from risk.decisions.worklist import WorklistFilters, build_worklist
    from risk.io import load_ledger
    from risk.scoring import Scorer

    if lang not in ("en", "fr"):
        raise typer.BadParameter("--lang must be en or fr")
    if by not in ("customer", "invoice") or csv_dialect not in ("en", "fr"):
        raise typer.BadParameter("--by must be customer or invoice, --csv-dialect en or fr")
    per_customer = by == "customer"
    try:
        loaded = load_ledger(ledger)
        scorer = Scorer.from_registry(
            registry.Store.resolve(tracking_uri), policy=policy_of(policy)
        )
        warn(scorer.policy_warnings(lang))
        date = view_date_of(ledger, loaded, as_of)
        filters = WorklistFilters(
            top=top or None,
            grades=tuple(grade or ()),
            sectors=tuple(sector or ()),
            min_amount=min_amount,
            per_customer=per_customer,
        )
        worklist = build_worklist(scorer, loaded, date, filters)
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    shown = customer_actions(worklist) if per_customer else worklist
    console.print(worklist_table(shown, lang, per_customer=per_customer))
    notes = worklist["penalty_note"].replace("", pd.NA).dropna() if len(worklist) else []
    if len(notes):
        console.print(f"[yellow]{len(notes)} row(s) carry a note on late-payment amounts[/yellow]")
    for path in write_outputs(shown, csv, xlsx, lang, per_customer, csv_dialect):
        console.print(f"written: {path}")

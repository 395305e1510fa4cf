"""``risk letters``: one letter per customer and action, and customer statements, as HTML."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from risk.cli.options import PolicyOption, policy_of, view_date_of, warn
from risk.errors import LedgerError, RiskError

console = Console(width=None if sys.stdout.isatty() else 150)


def letters_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the letters into.")],
    ledger: Annotated[Path, typer.Option("--ledger", help="Ledger folder.")] = Path("data/sample"),
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Date of the letters (default: the ledger's last date)."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the letters: fr or en.")] = "fr",
    customer: Annotated[
        list[str] | None, typer.Option(help="Only these customers (repeat the option).")
    ] = None,
    statements: Annotated[
        bool, typer.Option(help="Also write each customer's statement (HTML and Excel).")
    ] = False,
    creditor: Annotated[
        Path | None, typer.Option(help="Creditor file (default: the packaged example).")
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: local store).")
    ] = None,
    policy: PolicyOption = None,
) -> None:
    """Write the letters due at the date (reminders, penalties, formal notices, the public
    buyers' letters, proofs of claim) with the creditor's and debtor's details, net amounts,
    interest and indemnity per invoice; optionally the customers' statements."""
    from dataclasses import replace

    from risk import registry
    from risk.decisions.creditor import load_creditor
    from risk.decisions.letters import customer_details, render_statement, write_letters
    from risk.decisions.statements import customer_statement, write_statement_excel
    from risk.decisions.worklist import DecisionConfig, decide_rows, scored_items
    from risk.io import load_ledger
    from risk.scoring import Scorer

    if lang not in ("en", "fr"):
        raise typer.BadParameter("--lang must be en or fr")
    try:
        loaded = load_ledger(ledger)
        config = replace(DecisionConfig(), creditor=load_creditor(creditor))
        scorer = Scorer.from_registry(
            registry.Store.resolve(tracking_uri), policy=policy_of(policy)
        )
        warn(scorer.policy_warnings(lang))
        date = view_date_of(ledger, loaded, as_of)
        unknown = sorted(set(customer or ()) - set(loaded.customers["customer_id"]))
        if unknown:
            raise typer.BadParameter(f"unknown customer_id(s): {', '.join(unknown)}")
        items = scored_items(scorer, loaded, date)
        if customer:
            items = items[items["customer_id"].isin(customer)]
        decided = decide_rows(loaded, date, items, config) if len(items) else items
        written = write_letters(
            decided, loaded.customers, config.creditor, date.date(), out, lang
        ) if len(decided) else []  # fmt: skip
        for customer_id in customer or (sorted(set(decided["customer_id"])) if statements else []):
            if not statements:
                break
            statement = customer_statement(loaded, customer_id, date)
            debtor = customer_details(loaded.customers, customer_id)
            html = out / f"{customer_id}_statement_{lang}.html"
            html.write_text(render_statement(statement, debtor, config.creditor, lang), "utf-8")
            xlsx = write_statement_excel(
                statement, out / f"{customer_id}_statement_{lang}.xlsx", lang
            )
            written += [html, xlsx]
            if not statement.reconciles:
                console.print(
                    f"[yellow]{customer_id}: statement differs from the open items by {statement.difference}[/yellow]"
                )
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{len(written)} file(s) written to {out}")

"""Render the ledger contracts as Markdown: ``python -m risk.contracts_doc > docs/ledger.md``."""

from __future__ import annotations

from risk.contracts import TABLES, Column, Table

INTRO = """\
# Ledger contract

Generated from `src/risk/contracts.py` by `uv run python -m risk.contracts_doc > docs/ledger.md`
(a test fails when this file is out of date).

A ledger is a folder with one file per table, `<table>.csv` (UTF-8, comma separated, header row)
or `<table>.parquet`. Only `customers` and `invoices` are required. Dates are written
`YYYY-MM-DD` or `DD/MM/YYYY`; booleans `true/false`, `1/0`, `yes/no`, `oui/non`; decimals with a
dot. Empty cells are missing values; an optional column that is absent, or empty where a value is
needed, takes its default.

Rules beyond the columns: keys are unique (every row of a repeated key is quarantined, nobody can
tell which is right); foreign keys point at kept rows; `due_on >= issued_on`;
`paid_on >= issued_on`; `amount_paid <= amount`; `amount > 0` (a negative invoice is a credit
note and moves to `credit_notes`); SIREN is 9 digits with a valid Luhn key; a reminder with the
outcome `promise_to_pay` has a `promised_on` date. A missing required table or column is fatal;
any other failure quarantines the row with its reasons.
"""


def _rule(column: Column) -> str:
    parts = []
    if column.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in column.choices))
    if column.pattern:
        parts.append(f"matches `{column.pattern}`")
    if column.min_value is not None:
        parts.append(f"{'>' if column.exclusive_min else '>='} {column.min_value:g}")
    return "; ".join(parts)


def table_markdown(table: Table) -> str:
    """One table's section."""
    lines = [f"## `{table.name}`", "", table.description, ""]
    if table.key:
        lines.append(f"Key: `{'`, `'.join(table.key)}`.")
    for column, target in table.foreign_keys.items():
        lines.append(f"`{column}` refers to `{target}`.")
    lines += ["", "| column | type | required | empty allowed | default | rule | meaning |"]
    lines.append("|---|---|---|---|---|---|---|")
    for col in table.columns:
        default = "" if col.default is None else f"`{col.default}`"
        lines.append(
            f"| `{col.name}` | {col.kind} | {'yes' if col.required else 'no'} | "
            f"{'yes' if col.nullable else 'no'} | {default} | {_rule(col)} | {col.description} |"
        )
    return "\n".join(lines) + "\n"


def contracts_markdown() -> str:
    """The whole contract document."""
    return INTRO + "\n" + "\n".join(table_markdown(t) for t in TABLES.values())


if __name__ == "__main__":
    print(contracts_markdown(), end="")

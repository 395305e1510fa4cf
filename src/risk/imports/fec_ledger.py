"""Rebuild a receivables ledger from FEC lines on customer accounts (411).

* customers: one per auxiliary account (``CompAuxNum``/``CompAuxLib``), or per ``411xxx``
  sub-account when the line has no auxiliary account;
* invoices: debits on customer accounts in the sales journals, one per (customer, ``PieceRef``),
  issued on ``PieceDate`` (else ``EcritureDate``), due after the configured default terms;
  debits carried forward in the opening-balance journal (``AN``, à-nouveaux) are open items of
  the previous year and are imported as invoices too;
* ``amount_paid`` is what was received (payments allocated to the invoice), never a credit note:
  credit notes are their own table and are netted from the open amount;
* credit notes: credits on customer accounts in the sales journals;
* payments: credits on customer accounts in the other journals (bank), allocated to the
  invoices of their lettering group oldest first;
* settlement: a lettering group (customer, ``EcritureLet``) whose debits equal its credits is
  fully matched: its invoices are paid on the latest credit date of the group. A group that does
  not balance leaves its invoices partly paid (``amount_paid``); an invoice covered in full by
  the group's credits is paid on the date of the credit that covered it.

Everything that cannot be placed is reported as ``Unmatched`` with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from risk.imports.apply import MappedTable
from risk.imports.fec import FecLines, parse_fec
from risk.imports.fec_settle import Settlement, settle
from risk.imports.pipeline import ImportResult, build_ledger
from risk.imports.report import Unmatched


@dataclass(frozen=True)
class FecConfig:
    """Rules of the FEC rebuild.

    Attributes:
        terms_days: default payment terms (the FEC has no due dates): due = issue + terms.
        sales_journals: journal codes of the sales journals.
        opening_journals: journal codes of the opening balance (à-nouveaux): their debits on
            customer accounts are open invoices carried forward.
        customer_prefix: account prefix of customer accounts.
        tolerance: amounts closer than this are equal (lettering balance).
        closing_date: closing date of the fiscal year; default: the date in the file name
            (``<SIREN>FEC<AAAAMMJJ>``, article A47 A-1 of the Livre des procédures fiscales),
            else the last entry date of the file.
    """

    terms_days: int = 30
    sales_journals: tuple[str, ...] = ("VE", "VT")
    opening_journals: tuple[str, ...] = ("AN", "RAN")
    customer_prefix: str = "411"
    tolerance: float = 0.005
    closing_date: pd.Timestamp | None = None


FEC_FILE_NAME = re.compile(r"FEC(\d{8})", re.IGNORECASE)


def closing_date(path: Path, lines: pd.DataFrame, config: FecConfig) -> tuple[pd.Timestamp, str]:
    """The fiscal year's closing date and where it comes from (option, file name, last entry)."""
    if config.closing_date is not None:
        return pd.Timestamp(config.closing_date), "given"
    named = FEC_FILE_NAME.search(path.stem)
    if named:
        stamp = pd.to_datetime(named.group(1), format="%Y%m%d", errors="coerce")
        if not pd.isna(stamp):
            return pd.Timestamp(stamp), f"file name {path.name}"
    return pd.Timestamp(lines["entry_date"].max()), "last entry date of the file"


def customer_lines(lines: pd.DataFrame, config: FecConfig) -> pd.DataFrame:
    """Lines on customer accounts with their customer id, name and role.

    Roles: ``invoice`` (sales debit, or opening-balance debit), ``credit_note`` (sales credit), ``payment`` (credit in
    another journal) and ``other_debit`` (debit in another journal: opening balance, rejected
    payment, refund...).
    """
    on_customer = lines["account"].str.startswith(config.customer_prefix)
    out = lines[on_customer].copy()
    has_aux = out["aux"].str.len() > 0
    out["customer_id"] = out["aux"].where(has_aux, out["account"])
    out["customer_name"] = out["aux_label"].where(has_aux, out["account_label"])
    sales = out["journal"].isin(config.sales_journals)
    opening = out["journal"].isin(config.opening_journals)
    debit = out["debit"] - out["credit"] > 0
    out["role"] = "payment"
    out.loc[(sales | opening) & debit, "role"] = "invoice"
    out.loc[sales & ~debit, "role"] = "credit_note"
    out.loc[~(sales | opening) & debit, "role"] = "other_debit"
    out["amount"] = (out["debit"] - out["credit"]).abs()
    piece = out["piece_ref"].where(
        out["piece_ref"].str.len() > 0, out["journal"] + out["entry_num"]
    )
    out["document_id"] = piece
    return out.reset_index(drop=True)


def _document_ids(docs: pd.DataFrame) -> pd.Series:
    """``PieceRef``, prefixed with the journal code when two documents share it."""
    shared = docs.duplicated("document_id", keep=False)
    return docs["document_id"].where(~shared, docs["journal"] + "-" + docs["document_id"])


def rebuild_customers(lines: pd.DataFrame, config: FecConfig) -> pd.DataFrame:
    """One customer per id, named by its most frequent label, with the default terms."""
    names = lines.groupby("customer_id")["customer_name"].agg(lambda s: s.mode().iloc[0])
    return pd.DataFrame(
        {
            "customer_id": names.index.astype("str"),
            "name": names.to_numpy(),
            "payment_terms_days": config.terms_days,
        }
    )


def rebuild_invoices(lines: pd.DataFrame, settled: Settlement, config: FecConfig) -> pd.DataFrame:
    """Invoices from sales debits, with their settlement per line summed per document."""
    inv = lines[lines["role"] == "invoice"].join(settled.lines[["received", "paid_on"]])
    inv["unpaid"] = inv["paid_on"].isna()
    docs = inv.groupby(
        ["invoice_key", "customer_id", "journal", "document_id"], as_index=False, sort=False
    ).agg(
        issued_on=("piece_date", "min"),
        amount=("amount", "sum"),
        amount_paid=("received", "sum"),
        last_paid=("paid_on", "max"),
        unpaid=("unpaid", "any"),
    )
    return pd.DataFrame(
        {
            "invoice_key": docs["invoice_key"],
            "invoice_id": _document_ids(docs),
            "customer_id": docs["customer_id"],
            "issued_on": docs["issued_on"],
            "due_on": docs["issued_on"] + pd.Timedelta(days=config.terms_days),
            "amount": docs["amount"].round(2),
            "paid_on": docs["last_paid"].where(~docs["unpaid"]),
            "amount_paid": docs["amount_paid"].round(2),
        }
    )


def rebuild_credit_notes(lines: pd.DataFrame, settled: Settlement) -> pd.DataFrame:
    """Credit notes from sales credits; linked to the invoice lettered with them, if one."""
    notes = lines[lines["role"] == "credit_note"].join(settled.lines[["invoice_ref"]])
    docs = notes.groupby(["customer_id", "journal", "document_id"], as_index=False, sort=False).agg(
        issued_on=("piece_date", "min"),
        amount=("amount", "sum"),
        invoice_id=("invoice_ref", "first"),
    )
    return pd.DataFrame(
        {
            "credit_note_id": _document_ids(docs),
            "customer_id": docs["customer_id"],
            "invoice_id": docs["invoice_id"],
            "issued_on": docs["issued_on"],
            "amount": docs["amount"].round(2),
        }
    )


def _unreadable(fec: FecLines) -> list[Unmatched]:
    return [
        Unmatched(
            "unreadable line",
            str(row["reason"]),
            reference=str(row.get("PieceRef", "")),
            journal=str(row.get("JournalCode", "")),
            on=f"line {row['line']}",
        )
        for row in fec.unreadable.to_dict("records")
    ]


def _as_mapped(name: str, frame: pd.DataFrame) -> MappedTable:
    empty = pd.DataFrame(columns=["source_file", "row", "reasons"])
    return MappedTable(name, frame.reset_index(drop=True), empty, read=len(frame))


def import_fec(path: Path, config: FecConfig = FecConfig()) -> ImportResult:
    """Read a FEC and rebuild a validated ledger with its report.

    Raises:
        FecError: the file cannot be read as a FEC.
    """
    fec = parse_fec(path)
    lines = customer_lines(fec.lines, config)
    if lines.empty:
        raise_no_customer_lines(path, config)
    lines = lines.assign(
        invoice_key=lambda f: f["customer_id"] + "\x1f" + f["journal"] + "\x1f" + f["document_id"]
    )
    settled = settle(lines, config.tolerance)
    invoices = rebuild_invoices(lines, settled, config)
    settled = settled.with_invoice_ids(
        dict(zip(invoices["invoice_key"], invoices["invoice_id"], strict=True))
    )
    invoices = invoices.drop(columns="invoice_key")
    tables = {
        "customers": rebuild_customers(lines, config),
        "invoices": invoices,
        "credit_notes": rebuild_credit_notes(lines, settled),
        "payments": settled.payments,
    }
    rebuilt = {
        "FEC lines read": len(fec.lines) + len(fec.unreadable),
        "lines on customer accounts": len(lines),
        **{
            f"lines: {role}": int(n)
            for role, n in lines["role"].value_counts().sort_index().items()
        },
        "lettering groups": settled.n_groups,
        "lettering groups fully matched": settled.n_balanced,
        "invoices paid in full": int(invoices["paid_on"].notna().sum()),
        "invoices partly paid": int(
            ((invoices["amount_paid"] > 0) & invoices["paid_on"].isna()).sum()
        ),
        "invoices open": int((invoices["amount_paid"] == 0).sum()),
        "balance of customer accounts": round(float((lines["debit"] - lines["credit"]).sum()), 2),
    }
    mapped = {
        name: _as_mapped(name, frame)
        for name, frame in tables.items()
        if len(frame) or name in ("customers", "invoices")
    }
    notes = (
        f"sales journals: {', '.join(config.sales_journals)}; "
        f"customer accounts: {config.customer_prefix}*",
        f"due dates = issue date + {config.terms_days} days (the FEC has no due dates)",
        f"opening-balance debits ({', '.join(config.opening_journals)}) imported as open invoices",
        "one clock: the ledger as of a date counts entries dated before it; for the balance at "
        "the closing date, take the day after the closing date as the as-of date",
    )
    closing, origin = closing_date(path, fec.lines, config)
    notes = (
        *notes,
        f"closing date of the fiscal year: {closing.date()} ({origin}); commands given no "
        f"--as-of view this ledger at the end of that day",
    )
    unmatched = tuple(_unreadable(fec) + settled.unmatched)
    result = build_ledger(mapped, path.name, "fec", rebuilt, unmatched, notes)
    return replace(result, report=replace(result.report, closing_date=str(closing.date())))


def raise_no_customer_lines(path: Path, config: FecConfig) -> None:
    """Fail when no line is on a customer account.

    Raises:
        FecError: naming the file and the customer account prefix.
    """
    from risk.imports.fec import FecError

    raise FecError(f"FEC {path.name}: no line on a customer account ({config.customer_prefix}*)")

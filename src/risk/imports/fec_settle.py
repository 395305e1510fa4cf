"""Settle FEC customer lines through their lettering (``EcritureLet``).

Within a lettering group (customer, letter), credits (payments, credit notes) are allocated to
debits oldest first. A balanced group settles every invoice of the group on the latest credit
date; an unbalanced group leaves invoices partly paid and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from risk.imports.report import Unmatched

DEBIT_ROLES = ("invoice", "other_debit")
CREDIT_ROLES = ("payment", "credit_note")


@dataclass(frozen=True)
class Settlement:
    """Per-line settlement, the payments allocated to invoices and what did not match.

    ``lines`` has the index of the customer lines and columns ``paid_amount`` (settled by
    payments and credit notes), ``received`` (by payments only) and ``paid_on`` (debit lines) and ``invoice_ref`` (credit lines: the key of the first invoice of the group).
    ``payments`` has ``payment_id``, ``invoice_id`` (an invoice key until ``with_invoice_ids``),
    ``paid_on`` and ``amount``.
    """

    lines: pd.DataFrame
    payments: pd.DataFrame
    unmatched: list[Unmatched]
    n_groups: int
    n_balanced: int

    def with_invoice_ids(self, ids: dict[str, str]) -> Settlement:
        """Replace invoice keys by the final invoice ids."""
        lines = self.lines.assign(invoice_ref=self.lines["invoice_ref"].map(ids))
        payments = self.payments.assign(invoice_id=self.payments["invoice_id"].map(ids))
        return replace(self, lines=lines, payments=payments)


def allocate(
    debits: list[tuple[int, float]], credits: list[tuple[int, float]]
) -> list[tuple[int, int, float]]:
    """Allocate credits to debits in the given order; return (debit, credit, amount) triples.

    >>> allocate([(1, 100.0), (2, 50.0)], [(7, 120.0)])
    [(1, 7, 100.0), (2, 7, 20.0)]
    """
    out: list[tuple[int, int, float]] = []
    remaining = [[idx, amount] for idx, amount in debits]
    position = 0
    for credit_idx, credit in credits:
        left = credit
        while left > 1e-9 and position < len(remaining):
            debit_idx, due = remaining[position]
            taken = min(due, left)
            out.append((int(debit_idx), credit_idx, round(float(taken), 2)))
            remaining[position][1] = due - taken
            left -= taken
            if remaining[position][1] <= 1e-9:
                position += 1
    return out


def _unmatched(kind: str, reason: str, row: pd.Series) -> Unmatched:
    return Unmatched(
        kind=kind,
        reason=reason,
        customer_id=str(row["customer_id"]),
        reference=str(row["document_id"]),
        journal=str(row["journal"]),
        on=row["entry_date"].date().isoformat(),
        amount=float(row["amount"]),
    )


def _settle_group(
    group: pd.DataFrame, tolerance: float, out: pd.DataFrame, payments: list[dict[str, object]]
) -> Unmatched | None:
    debits = group[group["role"].isin(DEBIT_ROLES)].sort_values(["piece_date", "line"])
    credits = group[group["role"].isin(CREDIT_ROLES)].sort_values(["entry_date", "line"])
    pairs = allocate(
        list(zip(debits.index, debits["amount"], strict=True)),
        list(zip(credits.index, credits["amount"], strict=True)),
    )
    balance = float(debits["amount"].sum() - credits["amount"].sum())
    balanced = abs(balance) <= tolerance
    last_credit = credits["entry_date"].max()
    for debit_idx, credit_idx, amount in pairs:
        out.loc[debit_idx, "paid_amount"] += amount
        if group.loc[credit_idx, "role"] == "payment":
            out.loc[debit_idx, "received"] += amount
        if out.loc[debit_idx, "paid_amount"] >= group.loc[debit_idx, "amount"] - tolerance:
            out.loc[debit_idx, "paid_on"] = group.loc[credit_idx, "entry_date"]
        if group.loc[credit_idx, "role"] == "payment" and group.loc[debit_idx, "role"] == "invoice":
            payments.append(
                {
                    "credit": credit_idx,
                    "invoice_id": group.loc[debit_idx, "invoice_key"],
                    "paid_on": group.loc[credit_idx, "entry_date"],
                    "amount": amount,
                }
            )
    invoices = debits[debits["role"] == "invoice"]
    if balanced and len(credits):
        out.loc[debits.index, "paid_amount"] = debits["amount"]
        out.loc[debits.index, "paid_on"] = last_credit
    if len(invoices):
        out.loc[credits.index, "invoice_ref"] = invoices["invoice_key"].iloc[0]
    first = group.iloc[0]
    where = f"lettering group {first['letter']!r} of customer {first['customer_id']}"
    if invoices.empty:
        return _unmatched(
            "lettering without invoice", f"{where} holds no invoice of the sales journals", first
        )
    if not balanced:
        state = "invoices partly paid" if balance > 0 else "credits exceed the debits"
        reason = (
            f"{where} does not balance: debits {debits['amount'].sum():.2f}, "
            f"credits {credits['amount'].sum():.2f} ({state})"
        )
        return replace(
            _unmatched("unbalanced lettering", reason, first),
            amount=abs(balance),
            reference=str(first["letter"]),
        )
    return None


def _payment_rows(lines: pd.DataFrame, rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["credit", "invoice_id", "paid_on", "amount"])
    credit = lines.loc[frame["credit"]] if len(frame) else lines.iloc[:0]
    base = (
        credit["journal"] + "-" + credit["entry_num"] + "-L" + credit["line"].astype("str")
    ).to_numpy()
    frame["payment_id"] = base
    split = frame.groupby("payment_id").cumcount() + 1
    several = frame["payment_id"].duplicated(keep=False)
    frame["payment_id"] = frame["payment_id"].where(
        ~several, frame["payment_id"] + "/" + split.astype("str")
    )
    return frame[["payment_id", "invoice_id", "paid_on", "amount"]]


def settle(lines: pd.DataFrame, tolerance: float = 0.005) -> Settlement:
    """Settle the customer lines (see the module docstring); report what does not match."""
    out = pd.DataFrame(
        {"paid_amount": 0.0, "received": 0.0, "paid_on": pd.NaT, "invoice_ref": None},
        index=lines.index,
    ).astype({"paid_on": "datetime64[ns]", "invoice_ref": "object"})
    payments: list[dict[str, object]] = []
    unmatched: list[Unmatched] = []
    lettered = lines[lines["letter"] != ""]
    groups = lettered.groupby(["customer_id", "letter"], sort=True)
    for _, group in groups:
        problem = _settle_group(group, tolerance, out, payments)
        if problem is not None:
            unmatched.append(problem)
    for _, row in lines[(lines["letter"] == "") & (lines["role"] == "payment")].iterrows():
        unmatched.append(
            _unmatched(
                "payment without lettering",
                "credit on the customer account not lettered with any invoice (on-account payment)",
                row,
            )
        )
    for _, row in lines[lines["role"] == "other_debit"].iterrows():
        unmatched.append(
            _unmatched(
                "debit outside sales journals",
                f"debit on a customer account in "
                f"journal {row['journal']}, not a sales invoice nor a payment "
                "(opening balance, rejected payment, refund?)",
                row,
            )
        )
    n_groups = groups.ngroups
    n_unbalanced = sum(u.kind == "unbalanced lettering" for u in unmatched)
    return Settlement(
        out, _payment_rows(lines, payments), unmatched, n_groups, n_groups - n_unbalanced
    )

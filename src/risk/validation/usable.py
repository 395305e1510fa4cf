"""Whether a validated ledger can feed the models at all, said in words a user can act on.

A ledger may pass validation row by row and still be useless: every invoice quarantined, or
only open invoices (nothing shows how the customers pay). ``risk validate`` and ``risk train``
use these checks to stop with a message instead of "every row kept" or a traceback.
"""

from __future__ import annotations

from risk.ledger import Ledger


def blocking_problems(ledger: Ledger) -> list[str]:
    """What makes the ledger unusable for anything (empty list: usable)."""
    problems: list[str] = []
    if ledger.customers.empty:
        problems.append("no customer was kept (customers table empty or every row quarantined)")
    if ledger.invoices.empty:
        problems.append(
            "no invoice was kept (invoices table empty or every row quarantined): nothing to "
            "score or learn from"
        )
    return problems


def training_problems(ledger: Ledger) -> list[str]:
    """What the models miss in this ledger (empty list: training can start)."""
    problems = blocking_problems(ledger)
    if problems:
        return problems
    invoices = ledger.invoices
    if "paid_on" not in invoices.columns or invoices["paid_on"].notna().sum() == 0:
        problems.append(
            "no settled invoice (paid_on empty everywhere): the models learn lateness from "
            "invoices already paid; map the settlement date column to paid_on"
        )
    return problems

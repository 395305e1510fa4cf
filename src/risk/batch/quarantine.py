"""The quarantined-share threshold: a few bad rows are set aside, a broken extraction stops.

A nightly run keeps going past bad rows (they are quarantined with their reasons and counted),
but when a large share of a table is rejected the extraction itself is broken (a wrong file,
a wrong separator, a truncated export) and scoring the remainder would publish a misleading
portfolio. The run then stops before scoring, with the table and the share named.
"""

from __future__ import annotations

from risk.errors import LedgerError
from risk.validation import ValidationResult

#: Default largest share of a table's rows that may be quarantined (1 %).
MAX_QUARANTINED_SHARE = 0.01


class QuarantineThresholdError(LedgerError):
    """Too large a share of a table's rows was quarantined: the ledger is not usable."""


def check_quarantined_share(result: ValidationResult, limit: float) -> None:
    """Fail when any table's quarantined share is above ``limit``.

    Args:
        result: the validation of the ledger.
        limit: largest allowed share of quarantined rows per table (0 to 1).

    Raises:
        QuarantineThresholdError: naming every table past the threshold, with its counts.
    """
    over = [
        f"{name}: {r.quarantined:,} of {r.read:,} rows ({r.quarantined / r.read:.1%})"
        for name, r in result.reports.items()
        if r.read and r.quarantined / r.read > limit
    ]
    if over:
        raise QuarantineThresholdError(
            f"quarantined share above {limit:.1%} (--max-quarantined-share): {'; '.join(over)}. "
            "The extraction looks broken; see the quarantine files for the reasons."
        )

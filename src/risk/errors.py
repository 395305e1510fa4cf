"""Exceptions raised by the ``risk`` package.

Every message names what is wrong where: table, column, row, value and the rule broken, so that
the CLI and the HTTP service can show it as it is.
"""

from __future__ import annotations


class RiskError(Exception):
    """Base class of the package's errors."""


class LedgerError(RiskError):
    """A ledger source cannot be read at all (missing folder, table or required column)."""


class SchemaError(LedgerError):
    """A table does not follow its contract in a way that makes it unusable as a whole."""

    def __init__(self, table: str, column: str | None, rule: str) -> None:
        self.table = table
        self.column = column
        self.rule = rule
        where = f"table {table!r}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {rule}")


class ConfigError(RiskError):
    """A configuration value or file is invalid."""

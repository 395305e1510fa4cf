"""Bring your own ledger: mapped imports of ERP exports (files, SQL) and of the French FEC.

* ``risk.imports.mapping``: the YAML mapping from a source's columns to the ledger contract;
* ``risk.imports.convert``: value conversions (dates, decimal comma, booleans, value maps);
* ``risk.imports.table``: mapped import of CSV / Excel / Parquet files;
* ``risk.imports.sql``: the same mapping against SQL tables or queries;
* ``risk.imports.fec``: the FEC parser, ``risk.imports.fec_ledger``: the ledger rebuilt from it;
* ``risk.imports.suggest``: a starting mapping proposed from a file header;
* ``risk.imports.report``: the import report (counts, unmatched entries, reasons).
"""

from __future__ import annotations

from risk.imports.mapping import ColumnSpec, ImportMapping, MappingError, TableMapping, load_mapping

__all__ = ["ColumnSpec", "ImportMapping", "MappingError", "TableMapping", "load_mapping"]

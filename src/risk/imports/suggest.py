"""Propose a starting mapping from an export's header (French and English ERP names).

Headers are compared without accents, case or punctuation against known names of each contract
column; the table whose columns match best is chosen. The result is YAML text to edit.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import yaml

from risk.contracts import TABLES
from risk.imports.mapping import TableMapping
from risk.imports.table import read_source_file

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "customer_id": (
            "code client",
            "n client",
            "numero client",
            "client",
            "customer id",
            "customer code",
            "compte client",
            "compte auxiliaire",
        ),
        "name": (
            "raison sociale",
            "nom",
            "nom client",
            "client nom",
            "customer name",
            "company name",
            "name",
        ),
        "siren": (
            "siren",
            "siret",
            "siret siren",
            "siren siret",
            "company number",
            "registration number",
        ),
        "country": ("pays", "country", "code pays"),
        "naf_code": ("code naf", "naf", "ape", "code ape", "activity code"),
        "legal_form": ("forme juridique", "legal form", "forme"),
        "created_on": ("date creation", "date de creation", "creation date", "incorporation date"),
        "employees": ("effectif", "salaries", "employees", "headcount"),
        "payment_terms_days": (
            "delai paiement",
            "delai de paiement",
            "conditions de paiement",
            "payment terms",
            "terms",
        ),
        "credit_limit": ("encours autorise", "plafond", "limite de credit", "credit limit"),
        "group_id": ("groupe", "group", "code groupe"),
    },
    "invoices": {
        "invoice_id": (
            "n facture",
            "numero facture",
            "no facture",
            "facture",
            "num facture",
            "invoice number",
            "invoice no",
            "invoice id",
            "piece",
        ),
        "customer_id": (
            "code client",
            "n client",
            "client",
            "customer id",
            "customer code",
            "compte client",
        ),
        "issued_on": (
            "date facture",
            "date de facture",
            "date piece",
            "invoice date",
            "date emission",
            "issue date",
        ),
        "due_on": ("echeance", "date echeance", "date d echeance", "due date"),
        "amount": ("montant ttc", "montant", "total ttc", "amount", "amount incl tax", "total"),
        "paid_on": (
            "date reglement",
            "date de reglement",
            "date paiement",
            "payment date",
            "paid date",
            "date encaissement",
        ),
        "amount_paid": ("montant regle", "montant paye", "amount paid", "regle", "paid amount"),
        "disputed": ("litige", "en litige", "dispute", "disputed"),
        "channel": ("support", "canal", "mode envoi", "channel"),
    },
}
CUTOFF = 0.75


def normalise(header: str) -> str:
    """Lower case, no accents, no ``°``/punctuation: ``"N° facture"`` -> ``"n facture"``."""
    text = (
        unicodedata.normalize("NFKD", header.replace("°", " ")).encode("ascii", "ignore").decode()
    )
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def match_columns(headers: list[str], table: str) -> dict[str, tuple[str, float]]:
    """Contract column -> (best header, score) for the headers that match well enough."""
    found: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for target, names in SYNONYMS[table].items():
        best: tuple[str, float] = ("", 0.0)
        for header in headers:
            if header in used:
                continue
            score = max(difflib.SequenceMatcher(None, normalise(header), n).ratio() for n in names)
            if score > best[1]:
                best = (header, score)
        if best[1] >= CUTOFF:
            found[target] = best
            used.add(best[0])
    return found


def suggest_for_headers(headers: list[str], sep: str | None = None) -> str:
    """YAML mapping text for a header: the best-matching table, unmatched columns as comments."""
    table = max(SYNONYMS, key=lambda name: len(match_columns(headers, name)))
    matched = match_columns(headers, table)
    columns: dict[str, object] = {target: header for target, (header, _) in matched.items()}
    contract = TABLES[table]
    if table == "invoices" and "due_on" not in columns:
        columns["due_on"] = {"derive": "issue_plus_terms", "terms_days": 30}
    body: dict[str, object] = {"date_format": "dd/mm/yyyy", "decimal": ",", "thousands": " "}
    if sep:
        body["csv"] = {"sep": sep}
    body["columns"] = columns
    text = yaml.safe_dump({"tables": {table: body}}, allow_unicode=True, sort_keys=False)
    unmatched = [h for h in headers if h not in {h for h, _ in matched.values()}]
    required = [c.name for c in contract.columns if c.required and c.name not in columns]
    notes = ["# Suggested mapping: check every line, then adjust date_format/decimal/thousands."]
    if unmatched:
        notes.append(f"# Columns of the file not mapped: {', '.join(unmatched)}")
    if required:
        notes.append(f"# Required ledger columns still to map: {', '.join(required)}")
    return "\n".join(notes) + "\n" + text


def suggest_mapping(path: Path) -> str:
    """Read the header of an export file and propose a mapping (YAML text).

    Raises:
        LedgerError: the file cannot be read.
    """
    empty = TableMapping(name="invoices", columns=())
    frame = read_source_file(path, empty)
    sep = None
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".parquet"):
        from risk.imports.table import sniff_encoding, sniff_separator

        sample = path.read_bytes()[:64_000]
        sep = sniff_separator(sample.decode(sniff_encoding(sample), errors="replace"))
    return suggest_for_headers([str(c) for c in frame.columns], sep)

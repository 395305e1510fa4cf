"""Propose a starting mapping from an export's header **and values** (French and English names).

Headers are compared without accents, case, punctuation or camelCase (``InvoiceAmount`` ->
``invoice amount``) against known names of each contract column, and a header is only proposed
for a column whose values fit it (dates for a date, numbers for an amount, yes/no for a flag).
Formats come from the values (``risk.imports.infer``): the date order a day above 12 proves,
the decimal mark, the booleans, the paper/electronic words. What the values cannot decide is
reported at the top of the YAML and left out, so the import stops until the user says.
A one-file export with customer columns also gets a ``customers`` table read ``from: invoices``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from risk.contracts import TABLES
from risk.imports.infer import (
    describe_format,
    infer_boolean,
    infer_date_format,
    infer_number_format,
)
from risk.imports.mapping import TableMapping
from risk.imports.table import read_source_file, sniff_encoding, sniff_separator

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
        "paperless_since": (
            "paperless since",
            "paperless date",
            "date paperless",
            "went paperless",
            "e invoicing since",
            "e invoicing date",
            "einvoicing since",
            "electronic since",
            "date dematerialisation",
            "dematerialisation depuis",
            "date passage dematerialise",
            "date passage facture electronique",
        ),
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
            "invoice num",
            "invoice",
            "document number",
            "doc no",
            "piece",
        ),
        "customer_id": (
            "code client",
            "n client",
            "client",
            "customer id",
            "customer code",
            "customer number",
            "customer no",
            "customer",
            "account number",
            "client id",
            "compte client",
        ),
        "issued_on": (
            "date facture",
            "date de facture",
            "date piece",
            "invoice date",
            "date emission",
            "issue date",
            "issued on",
            "document date",
            "billing date",
        ),
        "due_on": (
            "echeance",
            "date echeance",
            "date d echeance",
            "due date",
            "due on",
            "net due date",
            "payment due date",
        ),
        "amount": (
            "montant ttc",
            "montant",
            "total ttc",
            "amount",
            "amount incl tax",
            "invoice amount",
            "gross amount",
            "total amount",
            "total",
        ),
        "paid_on": (
            "date reglement",
            "date de reglement",
            "date paiement",
            "payment date",
            "paid date",
            "date encaissement",
            "settled date",
            "settlement date",
            "settled on",
            "paid on",
            "cleared date",
            "date de paiement",
        ),
        "amount_paid": ("montant regle", "montant paye", "amount paid", "regle", "paid amount"),
        "disputed": ("litige", "en litige", "dispute", "disputed", "in dispute", "dispute flag"),
        "channel": (
            "support",
            "canal",
            "mode envoi",
            "channel",
            "billing method",
            "billing type",
            "delivery method",
            "paper or electronic",
            "mode de facturation",
        ),
    },
}
CUTOFF = 0.75
PAPER_WORDS = frozenset({"paper", "papier", "print", "printed", "post", "courrier", "mail"})
ELECTRONIC_WORDS = frozenset(
    {"electronic", "electronique", "e-invoice", "einvoice", "edi", "email", "e-mail", "pdf"}
    | {"chorus", "chorus pro", "portal", "portail", "xml", "paperless", "dematerialise"}
)


def normalise(header: str) -> str:
    """Lower case, no accents, camelCase split, no ``°``/punctuation.

    >>> normalise("N° facture"), normalise("InvoiceAmount")
    ('n facture', 'invoice amount')
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", header.replace("°", " "))
    text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _channel_values(values: pd.Series) -> dict[str, str] | None:
    words = {str(v).strip() for v in values if str(v).strip()}
    if not words or len(words) > 6:
        return None
    out: dict[str, str] = {}
    for word in sorted(words):
        low = normalise(word).replace(" ", "-")
        if low in PAPER_WORDS or normalise(word) in PAPER_WORDS:
            out[word] = "paper"
        elif low in ELECTRONIC_WORDS or normalise(word) in ELECTRONIC_WORDS:
            out[word] = "electronic"
        else:
            return None
    return out


def content_kind(values: pd.Series) -> str:
    """``date``, ``number``, ``bool``, ``channel``, ``text`` or ``empty``, from the values."""
    sample = values.head(2000)
    if not sample.map(lambda v: str(v).strip() not in ("", "nan", "None", "NaT")).any():
        return "empty"
    if infer_date_format(sample).is_date:
        return "date"
    if infer_boolean(sample) is not None:
        return "bool"
    if infer_number_format(sample).is_number:
        return "number"
    if _channel_values(sample) is not None:
        return "channel"
    return "text"


def _fits(kind: str, target_kind: str, target: str) -> bool:
    if kind == "empty":
        return True
    if target == "channel":
        return kind in ("channel", "text")
    wanted = {"date": ("date",), "float": ("number",), "int": ("number",), "bool": ("bool",)}
    return kind in wanted.get(target_kind, (kind,))


def match_columns(
    headers: list[str], table: str, kinds: dict[str, str] | None = None
) -> dict[str, tuple[str, float]]:
    """Contract column -> (best header, score) for the headers that match well enough.

    With ``kinds`` (header -> content kind), a header whose values do not fit the column's kind
    is never proposed for it.
    """
    found: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    contract = TABLES[table]
    for target, names in SYNONYMS[table].items():
        best: tuple[str, float] = ("", 0.0)
        target_kind = contract.column(target).kind
        for header in headers:
            if header in used:
                continue
            if kinds is not None and not _fits(kinds[header], target_kind, target):
                continue
            score = max(difflib.SequenceMatcher(None, normalise(header), n).ratio() for n in names)
            if score > best[1]:
                best = (header, score)
        if best[1] >= CUTOFF:
            found[target] = best
            used.add(best[0])
    return found


def _date_formats(frame: pd.DataFrame, headers: list[str], notes: list[str]) -> str | None:
    """The one date format the date columns prove, or ``None`` (reported in ``notes``)."""
    found = {h: infer_date_format(frame[h]) for h in headers}
    decided = {f.format for f in found.values() if f.format is not None}
    if len(decided) == 1:
        fmt = next(iter(decided))
        proof = next(f"{h} = {f.evidence!r}" for h, f in found.items() if f.format == fmt)
        notes.append(f"# Dates: {describe_format(fmt)}, decided by the values ({proof}).")
        return fmt
    if len(decided) > 1:
        shown = ", ".join(f"{h}: {describe_format(f.format)}" for h, f in found.items() if f.format)
        notes.append(f"# Dates written in several formats ({shown}): date_format set per column.")
        return None
    ambiguous = [h for h, f in found.items() if f.ambiguous]
    if ambiguous:
        first, second = (describe_format(f) for f in found[ambiguous[0]].candidates)
        notes.append(
            f"# AMBIGUOUS dates in {', '.join(ambiguous)}: every value fits both {first} and "
            f"{second}. Add date_format: {first} or {second}; the import stops until you do."
        )
    return None


def _number_format(frame: pd.DataFrame, headers: list[str], notes: list[str]) -> dict[str, str]:
    decided: dict[str, str] = {}
    for header in headers:
        found = infer_number_format(frame[header])
        if found.ambiguous:
            notes.append(
                f"# AMBIGUOUS amounts in {header} ({found.evidence!r}): add decimal: ',' or '.'."
            )
        elif found.decimal is not None:
            decided.setdefault("decimal", found.decimal)
            decided.setdefault("thousands", found.thousands or " ")
    if decided:
        notes.append(f"# Amounts: decimal mark {decided['decimal']!r}, decided by the values.")
    return decided


def _column_entry(target: str, header: str, frame: pd.DataFrame) -> Any:
    if target == "channel":
        values = _channel_values(frame[header])
        return {"column": header, "values": values} if values else header
    if target == "disputed":
        return {"column": header, "known_from": "cutoff"}
    return header


def _table_body(
    table: str, matched: dict[str, tuple[str, float]], frame: pd.DataFrame, per_column: bool
) -> dict[str, Any]:
    columns: dict[str, Any] = {t: _column_entry(t, h, frame) for t, (h, _) in matched.items()}
    contract = TABLES[table]
    if per_column:
        for target, (header, _) in matched.items():
            fmt = infer_date_format(frame[header]).format
            if contract.column(target).kind == "date" and fmt:
                columns[target] = {"column": header, "date_format": describe_format(fmt)}
    if table == "invoices" and "due_on" not in columns:
        columns["due_on"] = {"derive": "issue_plus_terms", "terms_days": 30}
    return {"columns": columns}


def suggest_for_frame(
    frame: pd.DataFrame, sep: str | None = None, encoding: str | None = None
) -> str:
    """YAML mapping text for an export read as text: tables, columns, formats, warnings."""
    headers = [str(c) for c in frame.columns]
    kinds = {h: content_kind(frame[h]) for h in headers}
    table = max(SYNONYMS, key=lambda name: len(match_columns(headers, name, kinds)))
    matched = match_columns(headers, table, kinds)
    extra: dict[str, tuple[str, float]] = {}
    if table == "invoices" and "customer_id" in matched:
        others = [h for h in headers if h not in {h for h, _ in matched.values()}]
        extra = match_columns(others, "customers", kinds)
        extra.pop("customer_id", None)
    notes = ["# Suggested mapping: check every line before importing."]
    date_headers = [
        h
        for name, found in ((table, matched), ("customers", extra))
        for t, (h, _) in found.items()
        if TABLES[name].column(t).kind == "date"
    ]
    date_format = _date_formats(frame, date_headers, notes)
    several = any("several formats" in n for n in notes)
    amount_headers = [h for t, (h, _) in matched.items() if TABLES[table].column(t).kind == "float"]
    body: dict[str, Any] = {}
    if date_format:
        body["date_format"] = describe_format(date_format)
    body.update(_number_format(frame, amount_headers, notes))
    main = _table_body(table, matched, frame, several)
    csv = {k: v for k, v in (("sep", sep), ("encoding", encoding)) if v}
    if csv:
        main = {"csv": csv, **main}
    tables: dict[str, Any] = {table: main}
    if extra:
        customer_columns = {"customer_id": matched["customer_id"][0]}
        customer_columns.update(_table_body("customers", extra, frame, several)["columns"])
        tables["customers"] = {"from": "invoices", "columns": customer_columns}
        notes.append(
            "# One file for both tables: customers are read from the invoice rows (from: "
            "invoices), one row per customer; conflicting values are reported by the import."
        )
    body["tables"] = tables
    if "disputed" in matched:
        notes.append(
            "# disputed has no date: known_from says since when it is known: cutoff (only at the"
            " export date, no leak), due or issue (earlier, but leaks if disputes come later)."
        )
    used = {h for h, _ in matched.values()} | {h for h, _ in extra.values()}
    unmatched = [h for h in headers if h not in used]
    if unmatched:
        notes.append(f"# Columns of the file not mapped: {', '.join(unmatched)}")
    required = [
        c.name for c in TABLES[table].columns if c.required and c.name not in main["columns"]
    ]
    if required:
        notes.append(f"# Required ledger columns still to map: {', '.join(required)}")
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    return "\n".join(notes) + "\n" + text


def suggest_for_headers(headers: list[str], sep: str | None = None) -> str:
    """YAML mapping text from a header alone (no values: no format is proposed)."""
    return suggest_for_frame(pd.DataFrame(columns=headers, dtype="str"), sep)


def suggest_mapping(path: Path) -> str:
    """Read an export file (header and values) and propose a mapping (YAML text).

    Raises:
        LedgerError: the file cannot be read.
    """
    empty = TableMapping(name="invoices", columns=())
    frame = read_source_file(path, empty)
    sep = encoding = None
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".parquet"):
        sample = path.read_bytes()[:64_000]
        encoding = sniff_encoding(sample)
        sep = sniff_separator(sample.decode(encoding, errors="replace"))
        encoding = None if encoding == "utf-8-sig" else encoding
    return suggest_for_frame(frame, sep, encoding)

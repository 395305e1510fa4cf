"""E-invoicing lifecycle statuses (platform CSV exports, CDAR messages) -> ``invoice_statuses``.

From September 2026 the French e-invoicing platforms return dated lifecycle statuses for each
invoice (cycle de vie, XP Z12-012; the code list of ``risk.contracts.INVOICE_STATUS_CODES``).
Two inputs are read, offline:

* a platform's **CSV export**: one row per status, with an invoice number, a status (the
  official code ``207``, the French label ``En litige`` or the ledger name ``disputed``), a date
  and optionally a reason; column names are recognised in French or English (:data:`ALIASES`),
  the separator (``,`` or ``;``) is detected;
* **CDAR messages** (UN/CEFACT Cross Domain Acknowledgement and Response, D22B, profile
  ``urn.cpro.gouv.fr:1p0:CDV:invoice``): for every ``AcknowledgementDocument`` and each of its
  ``ReferenceReferencedDocument`` the invoice number (``IssuerAssignedID``, MDT-87), the status
  code (``ProcessConditionCode``, MDT-105), the reason (``SpecifiedDocumentStatus/ReasonCode``,
  MDT-113) and the status date (the acknowledgement's ``IssueDateTime``, else the message's).

Statuses are matched to the ledger's invoices by invoice number; a status already in the table
(same invoice, status and date) is not added twice. Nothing is guessed: unknown invoices,
unknown statuses and official codes the ledger does not use are reported.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.contracts import INVOICE_STATUS_CODES, INVOICE_STATUSES
from risk.enrich.dates import parse_french_date
from risk.errors import LedgerError

logger = logging.getLogger(__name__)

#: French labels of the official codes (accent-free, lower case) -> ledger name.
FRENCH_LABELS: dict[str, str] = {
    "deposee": "submitted",
    "emise par la plateforme": "issued",
    "recue par la plateforme": "received",
    "mise a disposition": "made_available",
    "prise en charge": "in_hand",
    "approuvee": "approved",
    "approuvee partiellement": "partially_approved",
    "en litige": "disputed",
    "litige": "disputed",
    "suspendue": "suspended",
    "completee": "completed",
    "refusee": "refused",
    "paiement transmis": "payment_transmitted",
    "encaissee": "cashed",
    "rejetee": "rejected",
    "irrecevable": "inadmissible",
}
#: Official codes of the lifecycle code list (rule BR-FR-CDV-CL-06) that the ledger does not use.
UNUSED_CODES: frozenset[str] = frozenset((
    "214", "220", "221", "224", "225", "226", "227", "228", "250", "251", "300", "301", "400",
    "401", "500", "601",
))  # fmt: skip
#: Column names recognised in a platform export (accent-free, lower case) for each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "invoice_id": ("invoice_id", "invoice_number", "numero_facture", "numero de facture",
                   "n facture", "facture", "issuerassignedid", "invoice"),
    "status": ("status", "statut", "status_code", "code_statut", "code statut", "statut_code"),
    "status_on": ("status_on", "status_date", "date_statut", "date statut", "date", "horodatage"),
    "reason": ("reason", "motif", "reason_code", "code_motif", "code motif"),
}  # fmt: skip

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
RAW_COLUMNS = ("invoice_id", "status_given", "status_on_given", "reason", "file")


class StatusFormatError(LedgerError):
    """A status file cannot be read (format, encoding, missing columns or elements)."""


def _plain(text: object) -> str:
    raw = unicodedata.normalize("NFKD", str(text or ""))
    ascii_text = "".join(ch for ch in raw if not unicodedata.combining(ch)).lower()
    return re.sub(r"[\s°.]+", " ", ascii_text.replace("’", "'")).strip()


def status_name(value: object) -> str | None:
    """The ledger status of an official code, French label or ledger name; None if unknown.

    >>> status_name("207"), status_name("En litige"), status_name("payment_transmitted")
    ('disputed', 'disputed', 'payment_transmitted')
    >>> status_name("fr:212"), status_name("225") is None
    ('cashed', True)
    """
    text = _plain(value)
    code = text.removeprefix("fr:").strip()
    if code in INVOICE_STATUS_CODES:
        return INVOICE_STATUS_CODES[code]
    if text in INVOICE_STATUSES:
        return text
    return FRENCH_LABELS.get(text)


def is_unused_code(value: object) -> bool:
    """Whether ``value`` is an official lifecycle code the ledger does not use (e.g. 225)."""
    return _plain(value).removeprefix("fr:").strip() in UNUSED_CODES


def _pick(columns: list[str], field: str) -> str | None:
    plain = {_plain(c).replace("_", " "): c for c in columns}
    for alias in ALIASES[field]:
        found = plain.get(alias.replace("_", " "))
        if found is not None:
            return found
    return None


def read_status_csv(path: Path) -> pd.DataFrame:
    """The rows of a platform's CSV export as text (:data:`RAW_COLUMNS`).

    Raises:
        StatusFormatError: unreadable file, or no invoice, status or date column.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StatusFormatError(
            f"status export {path}: cannot be read as UTF-8 text ({exc})"
        ) from exc
    header = text.splitlines()[0] if text else ""
    sep = ";" if header.count(";") > header.count(",") else ","
    frame = pd.read_csv(path, sep=sep, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    picked = {field: _pick(list(frame.columns), field) for field in ALIASES}
    missing = [f for f in ("invoice_id", "status", "status_on") if picked[f] is None]
    if missing:
        raise StatusFormatError(
            f"status export {path}: no column for {', '.join(missing)}; columns found: "
            f"{', '.join(frame.columns)} (recognised names: see docs/enrich.md)"
        )
    reason = picked["reason"]
    return pd.DataFrame(
        {
            "invoice_id": frame[picked["invoice_id"]].str.strip(),
            "status_given": frame[picked["status"]].str.strip(),
            "status_on_given": frame[picked["status_on"]].str.strip(),
            "reason": frame[reason].str.strip() if reason else "",
            "file": path.name,
        },
        columns=list(RAW_COLUMNS),
    )


def _text(node: ET.Element | None, path: str) -> str:
    found = node.find(path, NS) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _cdar_date(text: str) -> str:
    """``YYYYMMDD[HHMMSS]`` (formats 102 and 204) as ``YYYY-MM-DD``; other text unchanged."""
    digits = text.strip()
    if re.fullmatch(r"\d{8}(\d{4,6})?", digits):
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    return digits


def read_cdar(path: Path) -> pd.DataFrame:
    """The statuses of one CDAR message as text rows (:data:`RAW_COLUMNS`).

    Raises:
        StatusFormatError: not XML, or not a CrossDomainAcknowledgementAndResponse message.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise StatusFormatError(f"CDAR message {path}: not readable XML ({exc})") from exc
    if root.tag != f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse":
        raise StatusFormatError(
            f"CDAR message {path}: root element is {root.tag!r}, expected "
            "rsm:CrossDomainAcknowledgementAndResponse"
        )
    sent_on = _text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    rows = []
    for ack in root.findall("rsm:AcknowledgementDocument", NS):
        ack_on = _text(ack, "ram:IssueDateTime/udt:DateTimeString") or sent_on
        for ref in ack.findall("ram:ReferenceReferencedDocument", NS):
            reasons = [
                (r.text or "").strip()
                for r in ref.findall("ram:SpecifiedDocumentStatus/ram:ReasonCode", NS)
            ]
            rows.append(
                {
                    "invoice_id": _text(ref, "ram:IssuerAssignedID"),
                    "status_given": _text(ref, "ram:ProcessConditionCode"),
                    "status_on_given": _cdar_date(ack_on),
                    "reason": " ".join(r for r in reasons if r),
                    "file": path.name,
                }
            )
    return pd.DataFrame(rows, columns=list(RAW_COLUMNS))


def read_statuses(paths: list[Path]) -> pd.DataFrame:
    """Every status of CSV exports and CDAR messages (``.xml``), in file order.

    Raises:
        StatusFormatError: a file is missing or unreadable.
    """
    frames = []
    for path in paths:
        if not path.is_file():
            raise StatusFormatError(f"status file {path} does not exist")
        frames.append(read_cdar(path) if path.suffix.lower() == ".xml" else read_status_csv(path))
    if not frames:
        return pd.DataFrame(columns=list(RAW_COLUMNS))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class StatusMatch:
    """What an import found.

    Attributes:
        statuses: the new ``invoice_statuses`` rows (invoice_id, status, status_on, reason).
        matched: every readable status of a known invoice, with ``added`` (False: already in
            the ledger or repeated in the files).
        rejected: statuses not added, with ``reason_rejected`` (unknown invoice, unknown status,
            code not used by the ledger, unreadable date).
    """

    statuses: pd.DataFrame
    matched: pd.DataFrame
    rejected: pd.DataFrame


def _why_rejected(
    raw: pd.DataFrame, names: pd.Series, dates: pd.Series, known: pd.Series
) -> pd.Series:
    unused = raw["status_given"].map(is_unused_code)
    why = pd.Series("", index=raw.index, dtype="str")
    why = why.mask(dates.isna(), "unreadable status date")
    why = why.mask(names.isna() & ~unused, "unknown status")
    why = why.mask(unused, "official code not used by the ledger")
    return why.mask(~known, "unknown invoice")


def match_statuses(
    raw: pd.DataFrame, invoices: pd.DataFrame, existing: pd.DataFrame | None
) -> StatusMatch:
    """Match read statuses to the ledger's invoices, leaving out those already there.

    Args:
        raw: :func:`read_statuses` rows.
        invoices: the ledger's invoices (``invoice_id``).
        existing: the ledger's ``invoice_statuses`` (None when absent).
    """
    names = raw["status_given"].map(status_name)
    dates = pd.to_datetime(raw["status_on_given"].map(parse_french_date))
    known = raw["invoice_id"].isin(set(invoices["invoice_id"].astype("str")))
    why = _why_rejected(raw, names, dates, known)
    ok = (why == "").to_numpy()
    rows = pd.DataFrame(
        {
            "invoice_id": raw["invoice_id"].astype("str"),
            "status": names.astype("str"),
            "status_on": dates,
            "reason": raw["reason"].replace("", pd.NA).astype("str"),
        }
    )[ok]
    seen = set()
    if existing is not None and not existing.empty:
        seen = set(
            zip(existing["invoice_id"].astype("str"), existing["status"].astype("str"),
                pd.to_datetime(existing["status_on"]), strict=True)
        )  # fmt: skip
    keys = list(zip(rows["invoice_id"], rows["status"], rows["status_on"], strict=True))
    added = []
    for key in keys:
        added.append(key not in seen)
        seen.add(key)
    matched = rows.assign(file=raw["file"][ok], added=added)
    rejected = raw[~ok].assign(reason_rejected=why[~ok])
    new = rows[added].reset_index(drop=True)
    return StatusMatch(new, matched.reset_index(drop=True), rejected.reset_index(drop=True))

"""Worklist exports a credit manager opens: chosen columns, French or English headers and
values, Excel with number formats, frozen header and filters, CSV in the English or the French
convention (``fr``: semicolon, decimal comma, UTF-8 with BOM so that Excel reads the accents).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DIALECTS = ("en", "fr")
INVOICE_COLUMNS = (
    "rank", "priority", "customer_id", "customer_name", "invoice_id", "grade", "open_amount",
    "disputed_amount", "amount_to_chase", "due_on", "days_past_due", "action", "action_date", "deadline", "channel", "owner",
    "interest", "indemnity", "claim_amount", "expected_at_risk", "expected_loss", "probability",
    "why", "action_reason", "penalty_note", "broken_promise", "disputed", "key_account",
    "public_buyer", "as_of", "model_versions",
)  # fmt: skip
CUSTOMER_COLUMNS = (
    "rank", "priority", "customer_id", "customer_name", "grade", "n_invoices", "invoices",
    "total_open", "total_overdue", "total_disputed", "max_days_past_due", "total_interest", "total_indemnity",
    "total_expected_at_risk", "total_expected_loss", "action", "action_date", "deadline", "channel", "owner", "why",
    "action_reason", "penalty_note", "broken_promise", "public_buyer", "as_of",
)  # fmt: skip
HEADERS_FR = {
    "rank": "rang", "priority": "priorité", "customer_id": "code client",
    "customer_name": "client", "invoice_id": "facture", "grade": "note",
    "open_amount": "reste dû (net)", "due_on": "échéance", "days_past_due": "jours de retard",
    "action": "action", "action_date": "date de l'action", "deadline": "date limite",
    "channel": "canal", "owner": "responsable", "interest": "pénalités de retard",
    "indemnity": "indemnité forfaitaire", "claim_amount": "créance à déclarer",
    "expected_at_risk": "montant à risque", "probability": "probabilité de retard",
    "why": "pourquoi (risque client)", "action_reason": "motif de l'action",
    "penalty_note": "note sur les pénalités", "broken_promise": "promesse non tenue",
    "disputed": "litige", "key_account": "compte clé", "public_buyer": "acheteur public",
    "as_of": "date d'arrêté", "model_versions": "versions des modèles",
    "n_invoices": "nombre de factures", "invoices": "factures", "total_open": "total dû (net)",
    "total_overdue": "dont échu", "max_days_past_due": "retard maximal (jours)",
    "total_interest": "total pénalités", "total_indemnity": "total indemnités",
    "total_expected_at_risk": "total à risque", "disputed_amount": "montant en litige",
    "amount_to_chase": "montant à relancer", "total_disputed": "total en litige",
    "expected_loss": "perte attendue", "total_expected_loss": "total perte attendue",
}  # fmt: skip
VALUES_FR = {
    "priority": {"legal deadline": "délai légal", "due now": "à faire",
                 "courtesy (not yet due)": "relance préventive", "upcoming": "à venir"},
    "channel": {"email": "e-mail", "phone": "téléphone", "letter": "courrier",
                "registered_letter": "lettre recommandée", "agency": "société de recouvrement",
                "court": "tribunal", "administrative": "voie administrative", "none": "aucun"},
    "owner": {"collector": "chargé de recouvrement", "salesperson": "commercial",
              "credit_manager": "credit manager", "none": "aucun"},
}  # fmt: skip
#: French headers of the statement sheets (``risk.decisions.statements``), for their formats.
STATEMENT_HEADERS_FR = {
    "debit": "débit", "credit": "crédit", "balance": "solde", "amount": "montant",
    "paid_amount": "réglé", "credited_amount": "avoirs", "date": "date",
}  # fmt: skip
MONEY = {
    "debit", "credit", "balance", "amount", "paid_amount", "credited_amount", "open_amount", "interest", "indemnity", "claim_amount", "expected_at_risk", "total_open",
    "total_overdue", "total_interest", "total_indemnity", "total_expected_at_risk",
    "disputed_amount", "amount_to_chase", "total_disputed", "expected_loss",
    "total_expected_loss",
}  # fmt: skip
PERCENT = {"probability"}
DATES = {"due_on", "action_date", "deadline", "as_of", "date"}
BOOLEANS = {"broken_promise", "disputed", "key_account", "public_buyer"}


def export_frame(worklist: pd.DataFrame, lang: str = "en", per_customer: bool = False):
    """The columns a credit manager reads, with headers and values in ``lang``.

    Args:
        worklist: invoice rows from ``build_worklist`` or customer rows from
            ``customer_actions``.
        lang: ``en`` or ``fr``.
        per_customer: the rows are customer actions.

    Returns:
        A new frame ready to write (dates as dates, amounts as numbers).
    """
    if lang not in DIALECTS:
        raise ValueError(f"unknown language {lang!r}, expected one of {DIALECTS}")
    frame = worklist.copy()
    frame["action"] = frame[f"action_{lang}"]
    frame["why"] = frame.get(f"why_{lang}", "")
    if lang == "fr":
        for name in ("action_reason", "penalty_note"):
            if f"{name}_fr" in frame:
                frame[name] = frame[f"{name}_fr"]
    columns = [c for c in (CUSTOMER_COLUMNS if per_customer else INVOICE_COLUMNS) if c in frame]
    frame = frame[columns]
    for name in DATES & set(columns):
        frame[name] = pd.to_datetime(frame[name]).dt.normalize()
    for name in MONEY & set(columns):
        frame[name] = frame[name].astype(float).round(2)
    if lang == "fr":
        for name, mapping in VALUES_FR.items():
            if name in frame:
                frame[name] = frame[name].map(lambda v, m=mapping: m.get(v, v))
        for name in BOOLEANS & set(columns):
            frame[name] = frame[name].map({True: "oui", False: "non"})
        frame = frame.rename(columns=HEADERS_FR)
    return frame


def write_csv(frame: pd.DataFrame, path: Path, dialect: str = "en") -> Path:
    """CSV in the English (comma, point, UTF-8) or French (semicolon, comma, BOM) convention."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r}, expected one of {DIALECTS}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if dialect == "fr":
        frame.to_csv(path, index=False, sep=";", decimal=",", encoding="utf-8-sig",
                     date_format="%d/%m/%Y")  # fmt: skip
        return path
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def write_excel(frame: pd.DataFrame, path: Path, lang: str = "en", sheet: str = "worklist"):
    """Excel sheet with EUR, percent and date formats, a frozen header row and filters."""
    return write_sheets({sheet: frame}, path, lang)


def _format(name: str, lang: str) -> str | None:
    money = '#,##0.00 "€"' if lang == "fr" else '"EUR" #,##0.00'
    if name in MONEY:
        return money
    if name in PERCENT:
        return "0.0%"
    return ("dd/mm/yyyy" if lang == "fr" else "yyyy-mm-dd") if name in DATES else None


def write_sheets(sheets: dict[str, pd.DataFrame], path: Path, lang: str = "en") -> Path:
    """Excel workbook, one sheet per frame: number formats by column (EUR amounts, percents,
    dates), frozen header row, filters and readable column widths."""
    from openpyxl.utils import get_column_letter

    path.parent.mkdir(parents=True, exist_ok=True)
    english = (
        {fr: en for en, fr in (HEADERS_FR | STATEMENT_HEADERS_FR).items()} if lang == "fr" else {}
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, index=False, sheet_name=sheet[:31])
            ws = writer.sheets[sheet[:31]]
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
            for i, header in enumerate(frame.columns, 1):
                letter = get_column_letter(i)
                width = max([len(str(header))] + [len(str(v)) for v in frame[header].head(200)])
                ws.column_dimensions[letter].width = min(max(10, width + 2), 60)
                fmt = _format(english.get(header, header), lang)
                for cell in ws[letter][1:] if fmt else ():
                    cell.number_format = fmt
    return path

"""Compare SIRENE attributes with the ledger's customers: fill, confirm or report conflicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from risk.contracts import NAF_CODE_PATTERN
from risk.enrich.ledger_files import known_event_keys
from risk.enrich.sirene import SOURCE, attribute_changes, closures, period_at
from risk.enrich.sirene_codes import SIZE_BANDS, band_label, legal_form_of

REPORT_COLUMNS = ("customer_id", "siren", "column", "ledger_value", "sirene_value", "action")


@dataclass(frozen=True)
class SireneResult:
    """What a SIRENE file says about the ledger's customers.

    Attributes:
        report: one row per (customer, column) compared: the ledger's value, SIRENE's and the
            action (filled, confirmed, conflict kept, overwritten, not usable).
        updates: column -> frame (customer_id, column) of the values to write.
        events: new ``company_closed`` legal events.
        not_found: customers whose SIREN is not in the file.
        changes: NAF or legal-category changes inside the ledger's history (historical file).
    """

    report: pd.DataFrame
    updates: dict[str, pd.DataFrame]
    events: pd.DataFrame
    not_found: pd.DataFrame
    changes: pd.DataFrame

    def without_known_events(self, existing: pd.DataFrame | None) -> SireneResult:
        """Drop closures already in the ledger (same customer, kind and date)."""
        known = known_event_keys(existing)
        if not known or self.events.empty:
            return self
        keep = [
            (c, k, pd.Timestamp(d)) not in known
            for c, k, d in zip(
                self.events["customer_id"],
                self.events["kind"],
                self.events["published_on"],
                strict=True,
            )
        ]
        return replace(self, events=self.events[keep].reset_index(drop=True))


def _sirene_values(unit: pd.Series) -> dict[str, tuple[object, str]]:
    """Column -> (value for the ledger or None, how SIRENE said it)."""
    out: dict[str, tuple[object, str]] = {}
    naf = str(unit["activitePrincipaleUniteLegale"])
    nomenclature = str(unit["nomenclatureActivitePrincipaleUniteLegale"])
    usable = nomenclature == "NAFRev2" and re.match(NAF_CODE_PATTERN, naf)
    out["naf_code"] = (naf if usable else None, f"{naf} ({nomenclature})")
    category = str(unit["categorieJuridiqueUniteLegale"])
    out["legal_form"] = (legal_form_of(category), f"catégorie juridique {category}")
    created = unit.get("dateCreationUniteLegale")
    if created is not None and pd.notna(created):  # the stock file only
        out["created_on"] = (pd.Timestamp(created), str(pd.Timestamp(created).date()))
    band = str(unit.get("trancheEffectifsUniteLegale") or "")
    if band:  # the stock file only; "NN" = non-employer or unknown: reported, never filled
        said = f"tranche {band} ({band_label(band)})" if band in SIZE_BANDS else f"tranche {band}"
        out["employees"] = (SIZE_BANDS.get(band), said)
    return out


def _decide(
    column: str, ledger_value: object, value: object, overwrite: bool
) -> tuple[str, object]:
    """(action, value to write or None)."""
    if value is None:
        return "not usable: no ledger value for this code", None
    missing = ledger_value is None or pd.isna(ledger_value)
    if column == "employees":
        low, high = value  # type: ignore[misc]
        if missing:
            return f"filled with the band's lower bound {low}", low
        inside = low <= int(ledger_value) and (high is None or int(ledger_value) <= high)  # type: ignore[arg-type]
        if inside:
            return "confirmed", None
        return ("overwritten", low) if overwrite else ("conflict: ledger value kept", None)
    if missing:
        return "filled", value
    if pd.Timestamp(ledger_value) == value if column == "created_on" else ledger_value == value:
        return "confirmed", None
    return ("overwritten", value) if overwrite else ("conflict: ledger value kept", None)


def compare_with_ledger(
    customers: pd.DataFrame,
    units: pd.DataFrame,
    history: tuple[pd.Timestamp, pd.Timestamp],
    overwrite: bool = False,
) -> SireneResult:
    """Compare the legal units' attributes in force at the ledger's cut-off (``history[1]``)
    with the customers table; changes between ``history[0]`` and the cut-off are listed."""
    start, cutoff = history
    current = period_at(units, cutoff) if not units.empty else units.set_index("siren")
    report: list[dict[str, object]] = []
    writes: dict[str, list[tuple[str, object]]] = {}
    with_siren = customers.dropna(subset=["siren"])
    for row in with_siren.itertuples(index=False):
        siren = str(row.siren)
        if siren not in current.index:
            continue
        for column, (value, said) in _sirene_values(current.loc[siren]).items():
            ledger_value = getattr(row, column, None)
            action, write = _decide(column, ledger_value, value, overwrite)
            shown = "" if ledger_value is None or pd.isna(ledger_value) else str(ledger_value)
            report.append(
                {
                    "customer_id": row.customer_id,
                    "siren": siren,
                    "column": column,
                    "ledger_value": shown[:10] if column == "created_on" else shown,
                    "sirene_value": said,
                    "action": action,
                }
            )
            if write is not None:
                writes.setdefault(column, []).append((str(row.customer_id), write))
    updates = {
        column: pd.DataFrame(pairs, columns=["customer_id", column])
        for column, pairs in writes.items()
    }
    closed = closures(units)
    owners = with_siren[["customer_id", "siren"]].astype("str")
    closed = owners.merge(closed, on="siren")
    events = pd.DataFrame(
        {
            "customer_id": closed["customer_id"],
            "published_on": closed["closed_on"].astype("datetime64[ns]"),
            "kind": "company_closed",
            "source": SOURCE,
            "judgment_on": pd.Series(pd.NaT, index=closed.index, dtype="datetime64[ns]"),
            "reference": "SIRENE " + closed["siren"],
        }
    )
    return SireneResult(
        report=pd.DataFrame(report, columns=list(REPORT_COLUMNS)),
        updates=updates,
        events=events.reset_index(drop=True),
        not_found=with_siren.loc[
            ~with_siren["siren"].astype("str").isin(current.index), ["customer_id", "siren"]
        ].reset_index(drop=True),
        changes=attribute_changes(units, start, cutoff),
    )

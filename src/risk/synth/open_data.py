"""Open-data files as the French registries would publish them for a generated portfolio.

From a generated ledger (nothing is drawn: the files are a function of the ledger and the
seed), this writes what a user would download: a BODACC ``annonces-commerciales`` JSON export
with one announcement per collective-proceeding event (opening, conversion, plan, closure) in
the real export's field layout, and a SIRENE ``StockUniteLegale`` CSV with the customers' NAF
code, creation date, size band and legal category. ``risk enrich`` reads them back, which is how
the value of each source is measured (``benchmarks/bench_enrich.py``).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pandas as pd

from risk.enrich.sirene_codes import SIZE_BANDS
from risk.ledger import Ledger

PROCEEDING_KINDS = ("safeguard", "receivership", "liquidation", "plan_adopted", "proceeding_closed")
LEGAL_CATEGORY_OF_FORM = {
    "EI": "1000",
    "SARL": "5499",
    "EURL": "5498",
    "SA": "5599",
    "SAS": "5710",
    "SASU": "5720",
    "SNC": "5202",
    "SCI": "6540",
    "SCOP": "5458",
    "ASSOCIATION": "9220",
    "COMMUNE": "7210",
    "DEPARTEMENT": "7220",
    "REGION": "7230",
    "ETAT": "7120",
    "EPA": "7364",
}
#: judgment dates precede publication by 6 to 20 days (a stable function of the customer)
JUDGMENT_LAG_DAYS = (6, 20)


def _nature(kind: str, before: list[str]) -> tuple[str, str]:
    """(famille, nature) of the judgment announcing ``kind`` after the kinds ``before``."""
    opened = [k for k in before if k in ("safeguard", "receivership")]
    if kind == "safeguard":
        return "Jugement d'ouverture", "Jugement d'ouverture d'une procédure de sauvegarde"
    if kind == "receivership":
        if opened:
            return (
                "Jugement prononçant",
                "Jugement prononçant la conversion de la procédure de sauvegarde en "
                "redressement judiciaire",
            )
        return (
            "Jugement d'ouverture",
            "Jugement d'ouverture d'une procédure de redressement judiciaire",
        )
    if kind == "liquidation":
        if opened:
            return "Jugement prononçant", "Jugement de conversion en liquidation judiciaire"
        return (
            "Jugement d'ouverture",
            "Jugement d'ouverture d'une procédure de liquidation judiciaire",
        )
    if kind == "plan_adopted":
        plan = "sauvegarde" if opened and opened[-1] == "safeguard" else "redressement"
        return "Jugement arrêtant le plan", f"Jugement arrêtant le plan de {plan}"
    if "liquidation" in before:
        return "Jugement de clôture", "Jugement de clôture pour insuffisance d'actif"
    return "Jugement de clôture", "Jugement de clôture de la procédure"


def bodacc_records(ledger: Ledger) -> list[dict[str, object]]:
    """One BODACC announcement (export layout) per proceeding event of a customer with a SIREN."""
    events = ledger.legal_events
    if events is None or events.empty:
        return []
    sirens = ledger.customers.set_index("customer_id")["siren"].dropna().astype("str")
    chosen = events[
        events["kind"].isin(PROCEEDING_KINDS) & events["customer_id"].isin(sirens.index)
    ]
    chosen = chosen.sort_values(["customer_id", "published_on"], kind="stable")
    records: list[dict[str, object]] = []
    history: dict[str, list[str]] = {}
    for number, row in enumerate(chosen.itertuples(index=False), start=1):
        siren = str(sirens[row.customer_id])
        before = history.setdefault(row.customer_id, [])
        family, nature = _nature(str(row.kind), before)
        before.append(str(row.kind))
        low, high = JUDGMENT_LAG_DAYS
        lag = low + zlib.crc32(f"{siren}{number}".encode()) % (high - low + 1)
        published = pd.Timestamp(row.published_on)
        records.append(
            {
                "id": f"A{published.year}{number:08d}",
                "publicationavis": "A",
                "dateparution": published.strftime("%Y-%m-%d"),
                "numeroannonce": number,
                "typeavis": "annonce",
                "typeavis_lib": "Avis initial",
                "familleavis": "collective",
                "familleavis_lib": "Procédures collectives",
                "registre": [f"{siren[:3]} {siren[3:6]} {siren[6:]}", siren],
                "jugement": json.dumps(
                    {
                        "type": "initial",
                        "famille": family,
                        "nature": nature,
                        "date": (published - pd.Timedelta(days=lag)).strftime("%Y-%m-%d"),
                    },
                    ensure_ascii=False,
                ),
            }
        )
    return records


def _band(employees: object) -> str:
    if employees is None or pd.isna(employees):
        return "NN"
    count = int(employees)  # type: ignore[call-overload]
    for code, (low, high) in SIZE_BANDS.items():
        if low <= count and (high is None or count <= high):
            return code
    return "NN"


def sirene_stock(ledger: Ledger) -> pd.DataFrame:
    """The customers' legal units as ``StockUniteLegale`` rows (codes and dates only)."""
    customers = ledger.customers.dropna(subset=["siren"]).drop_duplicates("siren")
    created = pd.to_datetime(customers.get("created_on"))
    return pd.DataFrame(
        {
            "siren": customers["siren"].astype("str"),
            "dateCreationUniteLegale": created.dt.strftime("%Y-%m-%d").fillna(""),
            "trancheEffectifsUniteLegale": [_band(e) for e in customers.get("employees", [])],
            "dateDebut": created.dt.strftime("%Y-%m-%d").fillna(""),
            "etatAdministratifUniteLegale": "A",
            "categorieJuridiqueUniteLegale": customers["legal_form"]
            .map(LEGAL_CATEGORY_OF_FORM)
            .fillna(""),
            "activitePrincipaleUniteLegale": customers["naf_code"].fillna(""),
            "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        }
    )


def write_open_data(ledger: Ledger, directory: Path) -> dict[str, Path]:
    """Write ``bodacc_annonces.json`` and ``StockUniteLegale.csv`` for ``ledger``."""
    directory.mkdir(parents=True, exist_ok=True)
    bodacc = directory / "bodacc_annonces.json"
    bodacc.write_text(
        json.dumps(bodacc_records(ledger), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    sirene = directory / "StockUniteLegale.csv"
    sirene_stock(ledger).to_csv(sirene, index=False, lineterminator="\n")
    return {"bodacc": bodacc, "sirene": sirene}

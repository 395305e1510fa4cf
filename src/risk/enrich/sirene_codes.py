"""SIRENE code lists the enrichment reads: size bands and legal categories.

Sources (INSEE, "Base Sirene des entreprises et de leurs établissements", variables' doc):
``trancheEffectifsUniteLegale`` (tranche d'effectifs salariés) and
``categorieJuridiqueUniteLegale`` (catégories juridiques, niveau III, 4 digits).
"""

from __future__ import annotations

#: tranche d'effectifs -> (fewest employees, most employees or None for "and more").
#: "NN" (unité non employeuse or size unknown) has no band and is never filled.
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "00": (0, 0),
    "01": (1, 2),
    "02": (3, 5),
    "03": (6, 9),
    "11": (10, 19),
    "12": (20, 49),
    "21": (50, 99),
    "22": (100, 199),
    "31": (200, 249),
    "32": (250, 499),
    "41": (500, 999),
    "42": (1000, 1999),
    "51": (2000, 4999),
    "52": (5000, 9999),
    "53": (10000, None),
}

#: catégorie juridique (exact 4-digit code) -> ledger legal form.
LEGAL_CATEGORY_EXACT: dict[str, str] = {
    "1000": "EI",  # entrepreneur individuel
    "5202": "SNC",  # société en nom collectif
    "5203": "SNC",  # société en nom collectif coopérative
    "5458": "SCOP",  # SARL coopérative ouvrière de production
    "5498": "EURL",  # SARL unipersonnelle
    "5558": "SCOP",  # SA coopérative ouvrière de production à conseil d'administration
    "5658": "SCOP",  # SA coopérative ouvrière de production à directoire
    "5710": "SAS",  # société par actions simplifiée
    "5720": "SASU",  # société par actions simplifiée à associé unique
    "6540": "SCI",  # société civile immobilière
    "7210": "COMMUNE",  # commune et commune nouvelle
    "7312": "COMMUNE",  # commune associée et commune déléguée
    "7220": "DEPARTEMENT",
    "7230": "REGION",
}

#: catégorie juridique prefix -> ledger legal form, used when no exact code matches.
LEGAL_CATEGORY_PREFIX: dict[str, str] = {
    "54": "SARL",  # sociétés à responsabilité limitée
    "55": "SA",  # SA à conseil d'administration
    "56": "SA",  # SA à directoire
    "57": "SAS",  # sociétés par actions simplifiées
    "71": "ETAT",  # administration de l'État (ministères, services déconcentrés)
    "73": "EPA",  # établissements publics administratifs (hôpitaux, EPCI, CCAS, ...)
    "92": "ASSOCIATION",  # associations loi 1901 et assimilées
}


def legal_form_of(category: str) -> str | None:
    """The ledger legal form of a SIRENE legal category, or None when none fits.

    >>> legal_form_of("5499"), legal_form_of("5498"), legal_form_of("7364")
    ('SARL', 'EURL', 'EPA')
    """
    code = category.strip()
    if code in LEGAL_CATEGORY_EXACT:
        return LEGAL_CATEGORY_EXACT[code]
    return LEGAL_CATEGORY_PREFIX.get(code[:2]) if len(code) == 4 else None


def band_label(code: str) -> str:
    """A size band as people read it: ``10-19``, ``10000+``."""
    low, high = SIZE_BANDS[code]
    return f"{low}+" if high is None else f"{low}-{high}"

"""Customer attributes: company age at the date, legal form, sector, size, terms, paperless.

These come from the customers table, a snapshot taken at export time. Legal form, sector, size
and agreed terms are used at every date as **known static attributes** (they rarely change and
are known from the start of the relationship). Attributes that do change with the customer's
fate are dated instead: the company age and the paperless switch (``paperless_since``) depend on
the as-of date, and the credit limit is read through ``risk.features.dated`` (an undated limit
only from the cut-off date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import LEGAL_FORMS, PUBLIC_FORMS, SOLE_TRADER_FORMS
from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries
from risk.features.dated import paperless_codes
from risk.features.sector import naf_division, naf_section
from risk.features.spec import FeatureSpec
from risk.features.timeline import NEVER, to_days

FAMILY = "customer"
DAYS_PER_YEAR = 365.25


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The customer features (``config`` is unused: no window here)."""
    form = ("customers.legal_form",)
    naf = ("customers.naf_code",)
    return (
        FeatureSpec(
            "company_age_years",
            FAMILY,
            "Age of the company at the date, in years.",
            "Âge de l'entreprise à la date, en années.",
            -1,
            "numeric",
            ("customers.created_on",),
            "company created {value:.1f} years ago",
            "entreprise créée il y a {value:.1f} ans",
        ),
        FeatureSpec(
            "legal_form",
            FAMILY,
            "Legal form (SAS, SARL, EI, COMMUNE...).",
            "Forme juridique (SAS, SARL, EI, COMMUNE...).",
            0,
            "categorical",
            form,
            "legal form {value}",
            "forme juridique {value}",
        ),
        FeatureSpec(
            "is_sole_trader",
            FAMILY,
            "1 if the customer is a sole trader (EI).",
            "1 si le client est un entrepreneur individuel (EI).",
            0,
            "numeric",
            form,
            "sole trader",
            "entrepreneur individuel",
        ),
        FeatureSpec(
            "is_public_buyer",
            FAMILY,
            "1 if the customer is a public body.",
            "1 si le client est un acheteur public.",
            0,
            "numeric",
            form,
            "public buyer",
            "acheteur public",
        ),
        FeatureSpec(
            "naf_section",
            FAMILY,
            "NAF section (activity sector letter).",
            "Section NAF (lettre du secteur d'activité).",
            0,
            "categorical",
            naf,
            "NAF section {value}",
            "section NAF {value}",
        ),
        FeatureSpec(
            "naf_division",
            FAMILY,
            "NAF division (2-digit activity code).",
            "Division NAF (code d'activité à 2 chiffres).",
            0,
            "categorical",
            naf,
            "NAF division {value}",
            "division NAF {value}",
        ),
        FeatureSpec(
            "employees_count",
            FAMILY,
            "Headcount of the company.",
            "Effectif de l'entreprise.",
            0,
            "numeric",
            ("customers.employees",),
            "{value:.0f} employees",
            "{value:.0f} salariés",
        ),
        FeatureSpec(
            "agreed_terms_days",
            FAMILY,
            "Agreed payment terms of the customer, in days.",
            "Délai de paiement convenu avec le client, en jours.",
            0,
            "numeric",
            ("customers.payment_terms_days",),
            "agreed terms of {value:.0f} days",
            "délai convenu de {value:.0f} jours",
        ),
        FeatureSpec(
            "end_of_month_terms",
            FAMILY,
            "1 if terms run from the end of the month.",
            "1 si le délai court à compter de la fin du mois.",
            0,
            "numeric",
            ("customers.end_of_month_terms",),
            "end-of-month terms",
            "paiement fin de mois",
        ),
        FeatureSpec(
            "customer_paperless",
            FAMILY,
            "1 if the customer switched to electronic invoicing before the date.",
            "1 si le client est passé à la facturation électronique avant la date.",
            0,
            "numeric",
            ("customers.paperless_since",),
            "customer invoiced electronically",
            "client facturé par voie électronique",
        ),
    )


def _static(timeline: LedgerTimeline) -> dict[str, pd.Series]:
    """Per-customer attributes, in customers-table order."""
    customers = timeline.ledger.customers
    out: dict[str, pd.Series] = {}
    if timeline.has("customers.legal_form"):
        form = customers["legal_form"]
        known = form.notna()
        out["legal_form"] = pd.Series(pd.Categorical(form, categories=LEGAL_FORMS))
        out["is_sole_trader"] = form.isin(SOLE_TRADER_FORMS).astype(float).where(known)
        out["is_public_buyer"] = form.isin(PUBLIC_FORMS).astype(float).where(known)
    if timeline.has("customers.naf_code"):
        out["naf_section"] = naf_section(customers["naf_code"])
        out["naf_division"] = naf_division(customers["naf_code"])
    numeric = {
        "employees_count": "employees",
        "agreed_terms_days": "payment_terms_days",
        "end_of_month_terms": "end_of_month_terms",
    }
    for name, column in numeric.items():
        if timeline.has(f"customers.{column}"):
            out[name] = customers[column].astype("Float64").astype(np.float64)
    return {name: values.reset_index(drop=True) for name, values in out.items()}


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, object]:
    """Customer features for each query.

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values (numpy array or ``Categorical``) aligned with ``queries``.
    """
    codes = np.maximum(queries.codes, 0)
    known = queries.codes >= 0
    out: dict[str, object] = {}
    for name, values in _static(timeline).items():
        if isinstance(values.dtype, pd.CategoricalDtype):
            category_codes = np.append(values.cat.codes.to_numpy(), -1)  # -1: missing
            taken = category_codes[np.where(known, codes, len(values))]
            out[name] = pd.Categorical.from_codes(taken, dtype=values.dtype)
        else:
            numbers = np.append(values.to_numpy(dtype=np.float64), np.nan)
            out[name] = numbers[np.where(known, codes, len(values))]
    if timeline.has("customers.created_on"):
        created = to_days(timeline.ledger.customers["created_on"]).astype(np.float64)
        created[created == NEVER] = np.nan
        age = (queries.days - created[codes]) / DAYS_PER_YEAR
        out["company_age_years"] = np.where(known, age, np.nan)
    if timeline.has("customers.paperless_since"):
        out["customer_paperless"] = paperless_codes(timeline.ledger, queries.codes, queries.days)
    return out

"""Published French figures the synthetic portfolio is calibrated on, as named constants.

Sources (cited as ``[Altares]`` and ``[BdF]`` below):

* [Altares] Altares (Dun & Bradstreet France), *Comportements de paiement des entreprises en
  France et en Europe*, first half of 2024 (S1 2024): average payment delay of French
  companies 12.9 days, 48.7 % of companies paying on time; delays by sector and by size; and
  Altares' quarterly reports on business failures (défaillances) for the sector ranking
  (construction and hospitality highest).
* [BdF] Banque de France, *Rapport annuel de l'Observatoire des délais de paiement* (2023 and
  2024 editions): agreed payment terms close to 50 days on average, payment delays of public
  buyers (municipalities about 12.7 days, départements 19.7 days, regions 23 days), yearly
  failure counts (about 1-3 % of active business clients in a receivables book per year).

Numbers marked ``# assumption`` are not published figures: they fill the gaps between the
published ones and are documented as modelling choices in ``docs/synthetic-data.md``.
"""

from __future__ import annotations

from typing import NamedTuple

#: [Altares] S1 2024: average lateness over all payments (on-time payments count 0 days).
MEAN_DAYS_LATE: float = 12.9
#: [Altares] S1 2024: share of companies paying on time.
ON_TIME_SHARE: float = 0.487
#: [BdF] about 1-3 % of business clients enter a collective proceeding each year.
ANNUAL_PROCEEDING_RATE: float = 0.02
#: [Altares] S1 2024: sole traders (entreprises individuelles) pay about 13.4 days late.
SOLE_TRADER_DAYS_LATE: float = 13.4


class NafEntry(NamedTuple):
    """One NAF rev. 2 activity of the customer mix.

    Attributes:
        code: NAF rev. 2 code (``NN.NNL``).
        section: NAF section letter.
        weight: share of business clients in this activity (weights sum to 1).
        days_late: average lateness of the activity in days.
        failure_multiplier: relative yearly failure rate (1 = average business).
        label: name word used to build fake company names.
    """

    code: str
    section: str
    weight: float
    days_late: float
    failure_multiplier: float
    label: str


# Lateness: [Altares] manufacturing and construction under 10 days; personal services,
# communication agencies and property development 21-27 days; the other sectors sit in
# between (# assumption: 12-15 days). Failure multipliers: [Altares] construction and
# hospitality have the highest failure rates, road transport next (# assumption: values).
NAF_TABLE: tuple[NafEntry, ...] = (
    NafEntry("10.71C", "C", 0.025, 9.2, 0.9, "Boulangerie"),
    NafEntry("25.62B", "C", 0.035, 9.0, 0.8, "Mécanique"),
    NafEntry("28.29B", "C", 0.020, 9.0, 0.7, "Industries"),
    NafEntry("22.22Z", "C", 0.020, 9.5, 0.8, "Plasturgie"),
    NafEntry("16.23Z", "C", 0.020, 9.3, 0.9, "Menuiserie Industrielle"),
    NafEntry("43.21A", "F", 0.040, 9.5, 1.6, "Électricité"),
    NafEntry("43.22A", "F", 0.035, 9.6, 1.6, "Plomberie"),
    NafEntry("41.20A", "F", 0.030, 9.8, 1.7, "Construction"),
    NafEntry("43.99C", "F", 0.035, 9.7, 1.8, "Maçonnerie"),
    NafEntry("43.32A", "F", 0.020, 9.5, 1.6, "Menuiserie"),
    NafEntry("41.10A", "F", 0.010, 24.0, 1.5, "Promotion"),  # property development
    NafEntry("46.69B", "G", 0.045, 12.0, 0.9, "Négoce"),
    NafEntry("46.90Z", "G", 0.040, 12.5, 0.9, "Distribution"),
    NafEntry("47.11F", "G", 0.045, 12.0, 1.0, "Supermarché"),
    NafEntry("45.20A", "G", 0.045, 12.8, 1.1, "Garage"),
    NafEntry("46.73A", "G", 0.045, 12.3, 1.0, "Matériaux"),
    NafEntry("49.41A", "H", 0.035, 12.8, 1.4, "Transports"),
    NafEntry("52.29A", "H", 0.015, 12.5, 1.1, "Logistique"),
    NafEntry("53.20Z", "H", 0.010, 12.0, 1.2, "Coursiers"),
    NafEntry("56.10A", "I", 0.040, 14.5, 1.8, "Restaurant"),
    NafEntry("55.10Z", "I", 0.025, 14.0, 1.6, "Hôtel"),
    NafEntry("56.30Z", "I", 0.015, 15.0, 1.9, "Brasserie"),
    NafEntry("62.01Z", "J", 0.030, 14.0, 0.8, "Logiciels"),
    NafEntry("58.14Z", "J", 0.010, 15.5, 1.0, "Éditions"),
    NafEntry("63.11Z", "J", 0.010, 14.5, 0.9, "Data"),
    NafEntry("59.11A", "J", 0.010, 17.0, 1.1, "Productions"),
    NafEntry("68.20B", "L", 0.020, 15.0, 0.7, "Immobilier"),
    NafEntry("68.31Z", "L", 0.020, 16.0, 0.9, "Agence Immobilière"),
    NafEntry("68.32A", "L", 0.010, 15.0, 0.7, "Gestion"),
    NafEntry("70.22Z", "M", 0.030, 14.0, 0.8, "Conseil"),
    NafEntry("71.12B", "M", 0.025, 13.0, 0.7, "Ingénierie"),
    NafEntry("69.20Z", "M", 0.020, 11.5, 0.5, "Expertise"),
    NafEntry("73.11Z", "M", 0.020, 23.0, 1.2, "Publicité"),  # advertising agencies
    NafEntry("70.21Z", "M", 0.015, 21.5, 1.0, "Communication"),  # communication agencies
    NafEntry("81.21Z", "N", 0.025, 13.0, 1.1, "Nettoyage"),
    NafEntry("78.20Z", "N", 0.015, 13.5, 1.2, "Intérim"),
    NafEntry("82.99Z", "N", 0.020, 13.0, 1.0, "Services"),
    NafEntry("96.02A", "S", 0.020, 25.0, 1.3, "Coiffure"),  # personal services
    NafEntry("96.04Z", "S", 0.010, 22.0, 1.3, "Bien-Être"),
    NafEntry("96.09Z", "S", 0.010, 21.0, 1.2, "Services à la Personne"),
    NafEntry("86.90A", "Q", 0.015, 12.0, 0.6, "Santé"),
    NafEntry("87.10A", "Q", 0.015, 12.5, 0.6, "Résidence"),
    NafEntry("86.23Z", "Q", 0.010, 11.5, 0.5, "Cabinet Dentaire"),
)


class SizeBand(NamedTuple):
    """A headcount band of business clients.

    Attributes:
        low: smallest headcount of the band.
        high: largest headcount of the band.
        weight: share of business clients in the band.
        days_late: average lateness of the band in days.
        failure_multiplier: relative yearly failure rate.
        legal_forms: legal forms of the band, with ``form_weights``.
        form_weights: probabilities of ``legal_forms``.
    """

    low: int
    high: int
    weight: float
    days_late: float
    failure_multiplier: float
    legal_forms: tuple[str, ...]
    form_weights: tuple[float, ...]


# Lateness by size: [Altares] 14 days under 3 employees, about 12 days under 50, 14.5 days at
# 200-999 and 17.8 days from 1,000 up; 50-199 interpolated (# assumption: 13.2 days).
# Band shares and failure multipliers: # assumption (a B2B book is skewed to small clients;
# micro-companies fail more often per head than large ones).
SIZE_BANDS: tuple[SizeBand, ...] = (
    SizeBand(
        0, 2, 0.33, 14.0, 1.15,
        ("EI", "SASU", "EURL", "SARL", "SAS", "SCI", "ASSOCIATION"),
        (0.40, 0.22, 0.15, 0.13, 0.06, 0.02, 0.02),
    ),
    SizeBand(
        3, 9, 0.28, 12.0, 1.05,
        ("SARL", "SAS", "EI", "EURL", "SASU", "SNC", "ASSOCIATION", "SCOP"),
        (0.38, 0.35, 0.08, 0.08, 0.06, 0.02, 0.02, 0.01),
    ),
    SizeBand(
        10, 49, 0.23, 12.0, 0.9,
        ("SAS", "SARL", "SA", "SNC", "SCOP", "ASSOCIATION", "SASU"),
        (0.48, 0.35, 0.05, 0.03, 0.03, 0.04, 0.02),
    ),
    SizeBand(
        50, 199, 0.10, 13.2, 0.6,
        ("SAS", "SARL", "SA", "SCOP", "ASSOCIATION"),
        (0.60, 0.15, 0.15, 0.03, 0.07),
    ),
    SizeBand(200, 999, 0.045, 14.5, 0.4, ("SAS", "SA", "ASSOCIATION"), (0.60, 0.33, 0.07)),
    SizeBand(1000, 60000, 0.015, 17.8, 0.25, ("SA", "SAS"), (0.5, 0.5)),
)  # fmt: skip


class PublicBuyer(NamedTuple):
    """A kind of public buyer (they never fail)."""

    legal_form: str
    naf_code: str
    weight: float
    days_late: float
    siren_prefix: int
    name_prefix: str


# [BdF] municipalities 12.7 days, départements 19.7 days, regions 23 days; State services and
# public administrative bodies # assumption (14 and 15 days). SIREN prefixes follow INSEE's
# numbering of public bodies (1 = State, 21 = commune, 22 = département, 23 = région).
PUBLIC_BUYERS: tuple[PublicBuyer, ...] = (
    PublicBuyer("COMMUNE", "84.11Z", 0.70, 12.7, 21, "Commune de"),
    PublicBuyer("DEPARTEMENT", "84.11Z", 0.10, 19.7, 22, "Département de"),
    PublicBuyer("REGION", "84.11Z", 0.04, 23.0, 23, "Région"),
    PublicBuyer("ETAT", "84.11Z", 0.06, 14.0, 11, "Direction Régionale de"),
    PublicBuyer("EPA", "84.12Z", 0.10, 15.0, 18, "Établissement Public de"),
)

#: Young companies pay somewhat later (# assumption): multiplier of the lateness level by age at
#: the ledger end; bounds in years.
AGE_BOUNDS_YEARS: tuple[float, ...] = (3.0, 5.0, 10.0)
AGE_LATENESS_MULTIPLIER: tuple[float, ...] = (1.15, 1.05, 1.0, 0.95)
#: Young companies fail more ([Altares]/INSEE: a large share of failures hit companies under
#: 5 years); multipliers by age at the ledger end (# assumption: values).
AGE_FAILURE_MULTIPLIER: tuple[float, ...] = (2.2, 1.5, 1.0, 0.7)
#: Share of companies younger than 3 years in the book and median age of the others
#: (# assumption, close to the INSEE age pyramid of active companies).
YOUNG_COMPANY_SHARE: float = 0.2
MEDIAN_AGE_YEARS: float = 12.0

#: Payment terms: (days, end of month, share). [BdF] agreed terms average about 50 days once
#: end-of-month terms are counted to their actual due date; L441-10 caps them at 60 days or
#: 45 days end of month.
PAYMENT_TERMS: tuple[tuple[int, bool, float], ...] = (
    (30, False, 0.30),
    (45, True, 0.35),
    (60, False, 0.25),
    (45, False, 0.10),
)
#: Public buyers: 30 days by law (Code de la commande publique R2192-10).
PUBLIC_TERMS_DAYS: int = 30

#: Collective proceeding opened first: safeguard, receivership, direct liquidation
#: ([Altares]: about two thirds of the openings are direct liquidations).
FIRST_PROCEEDING_KINDS: tuple[str, ...] = ("safeguard", "receivership", "liquidation")
FIRST_PROCEEDING_SHARES: tuple[float, ...] = (0.06, 0.30, 0.64)
#: Probability that a safeguard / receivership ends with an adopted plan rather than a
#: conversion to liquidation (# assumption, order of magnitude of court statistics).
PLAN_SUCCESS: dict[str, float] = {"safeguard": 0.8, "receivership": 0.4}

#: Months with later payments ([Altares]/[BdF]: summer holidays and year-end closing):
#: additive shift of the latent lateness for invoices falling due in that month.
SEASONAL_SHIFT: dict[int, float] = {8: 0.3, 12: 0.18}

#: Countries of foreign clients and their shares (# assumption).
FOREIGN_COUNTRIES: tuple[str, ...] = ("BE", "DE", "ES", "IT")
FOREIGN_COUNTRY_SHARES: tuple[float, ...] = (0.4, 0.2, 0.2, 0.2)

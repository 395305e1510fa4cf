"""Labels of the web pages in English and French, and the locale's number and date formats.

``negotiate`` picks the language from the ``risk_lang`` cookie, else from the browser's
``Accept-Language`` header (first of ``fr``/``en`` by quality), else English.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd

from risk.decisions.export import VALUES_FR
from risk.decisions.messages import NBSP, format_amount, format_date

LANGS = ("en", "fr")

LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("Credit management", "Gestion du crédit client"),
    "skip": ("Skip to content", "Aller au contenu"),
    "dashboard": ("Dashboard", "Tableau de bord"),
    "worklist": ("Worklist", "Liste de travail"),
    "sign_in": ("Sign in", "Se connecter"),
    "sign_out": ("Sign out", "Se déconnecter"),
    "api_key": ("API key", "Clé d'API"),
    "signin_help": (
        "Sign in with your API key (ask your administrator: `risk apikey NAME`).",
        "Connectez-vous avec votre clé d'API (demandez-la à l'administrateur : `risk apikey NOM`).",
    ),
    "too_many_signins": (
        "Too many sign-in attempts with a wrong key from this address. Try again in "
        "{seconds} seconds.",
        "Trop de tentatives de connexion avec une clé erronée depuis cette adresse. Réessayez "
        "dans {seconds} secondes.",
    ),
    "bad_key": ("API key not recognised.", "Clé d'API non reconnue."),
    "expired": ("Your session expired: sign in again.", "Session expirée : reconnectez-vous."),
    "signed_out": ("You are signed out.", "Vous êtes déconnecté."),
    "signed_in_as": ("Signed in as", "Connecté en tant que"),
    "role_viewer": ("viewer", "lecture seule"),
    "role_collector": ("collector", "chargé de recouvrement"),
    "language": ("Language", "Langue"),
    "as_of": ("Figures as of", "Chiffres au"),
    "open_receivables": ("Open receivables", "Encours clients"),
    "overdue": ("Overdue", "Échu"),
    "open_invoices": ("open invoices", "factures ouvertes"),
    "dso": ("DSO (days, 90-day sales)", "DSO (jours, ventes sur 90 jours)"),
    "dso_by_month": ("DSO by month, last 24 months", "DSO par mois, 24 derniers mois"),
    "aged_balance": ("Aged balance", "Balance âgée"),
    "bucket_not_due": ("not yet due", "non échu"),
    "bucket_1_30": ("1-30 days past due", "échu 1-30 jours"),
    "bucket_31_60": ("31-60 days past due", "échu 31-60 jours"),
    "bucket_61_90": ("61-90 days past due", "échu 61-90 jours"),
    "bucket_91_plus": ("> 90 days past due", "échu > 90 jours"),
    "grades": ("Grade distribution", "Répartition par note"),
    "grade": ("Grade", "Note"),
    "customers": ("customers", "clients"),
    "change_since": ("change since", "évolution depuis"),
    "cash_in": (
        "Cash-in by week, 13 weeks (by due date, not a forecast)",
        "Encaissements par semaine, 13 semaines (selon l'échéance, pas une prévision)",
    ),
    "cash_in_forecast": (
        "Cash-in forecast by week, 13 weeks (payment-timing model, 80 % band)",
        "Prévision des encaissements par semaine, 13 semaines (modèle de délai de paiement, "
        "intervalle à 80 %)",
    ),
    "cash_beyond": (
        "not expected within the 13 weeks",
        "non attendu dans les 13 semaines",
    ),
    "already_overdue": ("already overdue", "déjà échu"),
    "week_of": ("week of", "semaine du"),
    "concentration": ("Concentration", "Concentration"),
    "top10_share": (
        "share of the 10 largest customers in open receivables",
        "part des 10 premiers clients dans l'encours",
    ),
    "alerts": ("Alerts", "Alertes"),
    "alert_grade_worsened": ("Grade worsened", "Note dégradée"),
    "alert_legal": ("New legal events (30 days)", "Nouveaux événements légaux (30 jours)"),
    "alert_broken_promise": ("Broken promises", "Promesses non tenues"),
    "alert_limit": ("Credit limit exceeded", "Limite de crédit dépassée"),
    "alert_claim": ("Claims to declare", "Créances à déclarer"),
    "none": ("none", "aucune"),
    "customer": ("Customer", "Client"),
    "name": ("Name", "Nom"),
    "action": ("Next action", "Prochaine action"),
    "action_date": ("When", "Quand"),
    "owner": ("Owner", "Responsable"),
    "total_owed": ("Total owed", "Total dû"),
    "at_risk": ("Amount at risk", "Montant à risque"),
    "reasons": ("Reasons", "Raisons"),
    "sector": ("Sector (NAF section)", "Secteur (section NAF)"),
    "min_amount": ("Owed at least", "Dû d'au moins"),
    "filter": ("Filter", "Filtrer"),
    "all": ("all", "tous"),
    "sort": ("Sort by", "Trier par"),
    "page": ("Page", "Page"),
    "of": ("of", "sur"),
    "previous": ("Previous", "Précédente"),
    "next": ("Next", "Suivante"),
    "rows": ("customers", "clients"),
    "record": ("Record", "Enregistrer"),
    "record_action": ("Record an action", "Enregistrer une action"),
    "kind_reminder": ("Reminder sent", "Relance envoyée"),
    "kind_call": ("Call made", "Appel passé"),
    "kind_promise": ("Promise to pay", "Promesse de paiement"),
    "kind_dispute": ("Dispute", "Litige"),
    "channel": ("Channel", "Canal"),
    "note": ("Note", "Note"),
    "promised_on": ("Promised date", "Date promise"),
    "dispute_reason": ("Dispute reason", "Motif du litige"),
    "recorded": ("Action recorded.", "Action enregistrée."),
    "viewer_only": (
        "Your key is read-only (viewer): actions cannot be recorded.",
        "Votre clé est en lecture seule : pas d'enregistrement d'action.",
    ),
    "identity": ("Identity", "Identité"),
    "siren": ("SIREN", "SIREN"),
    "naf": ("Activity code (NAF)", "Code NAF (APE)"),
    "size": ("Employees", "Effectif"),
    "legal_form": ("Legal form", "Forme juridique"),
    "group": ("Group", "Groupe"),
    "probability": ("Probability of default-like event", "Probabilité d'incident"),
    "history": ("Grade and probability, last 24 months", "Note et probabilité, 24 derniers mois"),
    "history_pending": (
        "The history is being computed; reload in a moment.",
        "L'historique est en cours de calcul ; rechargez dans un instant.",
    ),
    "history_progress": (
        "The history is being computed in the background ({done} of {total} month ends done); "
        "reload in a moment.",
        "L'historique est en cours de calcul en arrière-plan ({done} fins de mois sur {total}) ; "
        "rechargez dans un instant.",
    ),
    "history_failed": (
        "The history could not be computed ({error}); the service log has the details.",
        "L'historique n'a pas pu être calculé ({error}) ; le journal du service donne le détail.",
    ),
    "history_pages": (
        "Month-end history computed on {date} at {time} (ledger version {version}).",
        "Historique des fins de mois calculé le {date} à {time} (version du grand livre "
        "{version}).",
    ),
    "history_batch": (
        "Month-end history from the nightly batch outputs, read on {date} at {time}.",
        "Historique des fins de mois lu dans les sorties du traitement de nuit le {date} à {time}.",
    ),
    "figures_of": (
        "Figures of ledger version {version}, computed on {date} at {time}.",
        "Chiffres de la version {version} du grand livre, calculés le {date} à {time}.",
    ),
    "figures_loading": (
        "A newer ledger version ({version}) is being loaded; these figures are of the last "
        "complete one.",
        "Une version plus récente du grand livre ({version}) est en cours de chargement ; ces "
        "chiffres sont ceux de la dernière version complète.",
    ),
    "limit": ("Credit limit", "Limite de crédit"),
    "current_limit": ("Current limit", "Limite actuelle"),
    "suggested_limit": ("Suggested limit", "Limite suggérée"),
    "exposure": ("Exposure", "Encours"),
    "headroom": ("Headroom", "Marge disponible"),
    "rule_trail": ("Rules applied", "Règles appliquées"),
    "open_items": ("Open items", "Factures ouvertes"),
    "invoice": ("Invoice", "Facture"),
    "due_on": ("Due on", "Échéance"),
    "dpd": ("Days past due", "Jours de retard"),
    "open_amount": ("Open amount", "Reste dû"),
    "interest": ("Late-payment interest", "Pénalités de retard"),
    "indemnity": ("Recovery indemnity", "Indemnité forfaitaire"),
    "disputed": ("disputed", "en litige"),
    "reminders": ("Reminders and promises", "Relances et promesses"),
    "sent_on": ("Date", "Date"),
    "step": ("Step", "Étape"),
    "outcome": ("Outcome", "Résultat"),
    "recorded_by": ("Recorded by", "Saisi par"),
    "legal_events": ("Legal events", "Événements légaux"),
    "kind": ("Kind", "Nature"),
    "source": ("Source", "Source"),
    "statement": ("Statement of account", "Relevé de compte"),
    "print": ("Print", "Imprimer"),
    "letter": ("Letter of the next action (text)", "Courrier de la prochaine action (texte)"),
    "total": ("Total", "Total"),
    "not_found": ("Not found", "Introuvable"),
    "forbidden": ("Not allowed", "Non autorisé"),
    "bad_request": ("Request refused", "Requête refusée"),
    "not_ready": ("The service is not ready", "Le service n'est pas prêt"),
    "nothing": ("Nothing to show.", "Rien à afficher."),
    "open": ("Open", "Ouvrir"),
    "save": ("Save", "Enregistrer"),
    "cancel": ("Cancel", "Annuler"),
    "deadline": ("deadline", "date limite"),
    "promise_until": ("promised for", "promis pour le"),
}


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The page language: the cookie's choice, else the best of ``Accept-Language``, else en.

    >>> negotiate(None, "fr-FR,fr;q=0.9,en;q=0.8"), negotiate("en", "fr"), negotiate(None, "de")
    ('fr', 'en', 'en')
    """
    if cookie in LANGS:
        return str(cookie)
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGS and q > best_q:
            best, best_q = lang, q
    return best


class Translator:
    """Labels and formats of one language, handed to the templates as ``t``."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}, expected one of {LANGS}")
        self.lang = lang

    def __call__(self, key: str) -> str:
        en, fr = LABELS[key]
        return fr if self.lang == "fr" else en

    def money(self, value: Any) -> str:
        """``1 234,56 €`` (French, no-break spaces) or ``EUR 1,234.56``; ``-`` when missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return "-"
        return format_amount(float(value), self.lang)

    def number(self, value: Any, decimals: int = 0) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        text = f"{float(value):,.{decimals}f}"
        if self.lang == "fr":
            text = text.replace(",", NBSP).replace(".", ",")
        return text

    def percent(self, value: Any, decimals: int = 1) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        text = self.number(float(value) * 100, decimals)
        return f"{text}{NBSP}%" if self.lang == "fr" else f"{text}%"

    def date(self, value: Any) -> str:
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, pd.Timestamp):
            value = value.date()
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return format_date(value, self.lang)

    def pick(self, en: Any, fr: Any) -> Any:
        """The French or English one of two values (e.g. ``action_en``/``action_fr``)."""
        return fr if self.lang == "fr" else en

    def value(self, column: str, value: Any) -> Any:
        """A coded value of a worklist column (``owner``, ``channel``, ``priority``) as the
        exports write it in this language (``risk.decisions.export.VALUES_FR``)."""
        if self.lang != "fr":
            return value
        return VALUES_FR.get(column, {}).get(value, value)

    def rules(self, score: Any) -> list[str]:
        """The credit limit's rule trail in this language, one rule per item (``rules_fr`` in
        French, whose own sentences may hold " ; ", the French spacing, inside a rule)."""
        text = score.get("rules_fr") if self.lang == "fr" else None
        if not isinstance(text, str) or not text:
            text = score.get("rules")
        return [rule for rule in re.split(r"(?<! ); ", text or "") if rule]

"""French wording of the worklist's action reasons and penalty notes.

The decision code writes its reasons in English, as ``"; "``-separated parts; each part is
translated by the patterns below, longest first. A sentence no pattern knows stays in English
(the tests translate every sentence the sample produces and check no English is left).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from risk.numbers_fr import NBSP, fr

_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(-?\d+) days past due", r"\1 jours de retard"),
    (r"due in (-?\d+) days", r"échéance dans \1 jours"),
    (r"grade (\w+): escalate sooner", r"note \1 : relances accélérées"),
    (r"grade (\w+): escalate later", r"note \1 : relances espacées"),
    (r"grade (\w+): standard pace", r"note \1 : rythme standard"),
    (r"public buyer", "acheteur public"),
    (r"(\d+) late step\(s\) skipped", r"\1 étape(s) en retard sautée(s)"),
    (r"promise of ([\d-]+) broken: escalate now", r"promesse du \1 non tenue : relance immédiate"),
    (r"next step on ([\d-]+)", r"prochaine étape le \1"),
    (r"key account: salesperson calls", "compte clé : appel du commercial"),
    (r"key account: (\w+) calls", r"compte clé : appel par \1"),
    (r"main driver: [^;]*", ""),
    (r"disputed: dunning of this invoice paused", "litige : relances de cette facture suspendues"),
    (r"disputed since ([\d-]+): dunning of this invoice paused",
     r"litige depuis le \1 : relances de cette facture suspendues"),
    (r"dispute reason: ([^;]*)", r"motif du litige : \1"),
    (r"dispute owner: ([^;]*)", r"responsable du litige : \1"),
    (r"no dispute reason recorded", "aucun motif de litige enregistré"),
    (r"no dispute owner recorded: assign one", "aucun responsable du litige : en désigner un"),
    (r"promise to pay by ([\d-]+): dunning paused",
     r"promesse de paiement au \1 : relances suspendues"),
    (r"scenario completed \(last step (\d+)\): review the claim",
     r"scénario terminé (dernière étape \1) : examiner la créance"),
    (r"nothing left to collect", "plus rien à recouvrer"),
    (r"collective proceeding: publication date unknown, check the BODACC now",
     "procédure collective : date de publication inconnue, consulter le BODACC sans attendre"),
    (r"invoice issued after the opening judgment \(([\d-]+)\): a post-opening claim is not "
     r"declared; claim it from the debtor or the administrator at its due date "
     r"\(Code de commerce L622-17\)",
     r"facture émise après le jugement d'ouverture (\1) : créance postérieure, non déclarée ; "
     r"la réclamer au débiteur ou à l'administrateur à son échéance (Code de commerce L622-17)"),
    (r"collective proceeding published on ([\d-]+): declare the claim to the mandataire "
     r"judiciaire by ([\d-]+) \(L622-24, R622-24\)",
     r"procédure collective publiée le \1 : déclarer la créance au mandataire judiciaire avant "
     r"le \2 (L622-24, R622-24)"),
    (r"declaration deadline ([\d-]+) passed: ask the juge-commissaire for a relevé de "
     r"forclusion by ([\d-]+) \(L622-26\)",
     r"délai de déclaration du \1 expiré : demander au juge-commissaire un relevé de forclusion "
     r"avant le \2 (L622-26)"),
    (r"declaration deadline ([\d-]+) and relief window ([\d-]+) passed \(L622-26\): the claim "
     r"cannot be opposed to the proceeding; review for write-off",
     r"délai de déclaration (\1) et délai de relevé de forclusion (\2) expirés (L622-26) : "
     r"créance inopposable à la procédure ; examiner la passation en perte"),
    (r"interest not computed: no late-payment rate for (\d{4}) H(\d) in (\S+) \(covers "
     r"([\d-]+) to ([\d-]+)\)",
     r"pénalités non calculées : pas de taux pour le semestre \2 de \1 dans \3 (couvre du \4 "
     r"au \5)"),
    (r"add the published rates", "ajouter les taux publiés"),
    (r"French late-payment rules not applied \(creditor (\w+), debtor (\w+); see french_law "
     r"in the creditor file\): no interest, no indemnity",
     r"règles françaises de pénalités non appliquées (créancier \1, débiteur \2 ; voir "
     r"french_law dans le fichier créancier) : ni pénalités ni indemnité"),
    (r"interest stopped at the BODACC publication of ([\d-]+) \(L622-28",
     r"intérêts arrêtés à la publication au BODACC du \1 (L622-28"),
    (r"the opening judgment, earlier, is not in the ledger\)",
     "le jugement d'ouverture, antérieur, n'est pas dans le grand livre)"),
)  # fmt: skip
#: e-invoicing statuses that pause or stop dunning (risk.decisions.dunning), in French
_STATUS_FR = {"disputed": "en litige", "suspended": "suspendue", "refused": "refusée",
              "payment_transmitted": "paiement transmis", "cashed": "encaissée"}  # fmt: skip
_PATTERNS += tuple(
    (rf"e-invoicing status {name} \((\d+)\) on ([\d-]+): {en}",
     rf"statut de facturation électronique « {fr} » (\1) du \2 : {fr_end}")
    for name, fr in _STATUS_FR.items()
    for en, fr_end in (
        ("cash imminent, dunning stopped", "encaissement imminent, relances arrêtées"),
        ("dunning of this invoice paused", "relances de cette facture suspendues"),
    )
)  # fmt: skip
_PATTERNS += ((r"check the cash by ([\d-]+)", r"vérifier l'encaissement au \1"),)


def _euros(text: str) -> str:
    """An amount written ``1234.56`` by the English reason, in French: ``1 234,56 €``."""
    return f"{fr(float(text)):,.2f}{NBSP}€"


def _partial_dispute(match: re.Match[str]) -> str:
    disputed, owed, since, rest = match.groups()
    return (
        f"{_euros(disputed)} sur {_euros(owed)} en litige depuis le {since} : relances du reste "
        f"({_euros(rest)}) maintenues"
    )


#: sentences with amounts: the replacement rewrites each amount the French way
_AMOUNT_PATTERNS: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    (r"(-?[\d.]+) of (-?[\d.]+) disputed since ([\d-]+): dunning of the rest \((-?[\d.]+)\) "
     r"continues", _partial_dispute),
)  # fmt: skip
#: longest patterns first, so that a sentence is translated before any of its fragments.
_COMPILED: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(p), r)
    for p, r in sorted((*_PATTERNS, *_AMOUNT_PATTERNS), key=lambda pr: -len(pr[0]))
)


def reason_fr(text: str) -> str:
    """A reason or note in French: every known sentence is replaced, ``"; "`` becomes `` ; ``.

    Example:
        >>> reason_fr("12 days past due; grade E: escalate sooner")
        '12 jours de retard ; note E : relances accélérées'
    """
    if not isinstance(text, str) or not text:
        return text if isinstance(text, str) else ""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", r"\3/\2/\1", text)
    parts = [p for p in text.split("; ") if p]
    return " ; ".join(parts)

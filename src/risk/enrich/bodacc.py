"""BODACC commercial announcements (``annonces-commerciales``) -> dated ``legal_events``.

The open-data exports of the BODACC (DILA, Licence Ouverte / Etalab) hold one record per
announcement with, among others, ``id``, ``dateparution`` (publication date), ``familleavis``
(``collective`` for collective proceedings), ``typeavis_lib`` (initial, rectificatif,
annulation), ``registre`` (the SIREN, spaced and unspaced) and ``jugement`` (a JSON object:
``famille``, ``nature``, ``date``, ``complementJugement``). Only collective-proceeding
announcements are kept; the judgment's nature is mapped to a ledger event kind through
:data:`JUDGMENT_RULES` (documented in ``docs/enrich.md``).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.enrich.dates import parse_french_date
from risk.enrich.ledger_files import known_event_keys
from risk.errors import LedgerError

logger = logging.getLogger(__name__)

SOURCE = "BODACC"

#: (words that must all appear in the judgment's nature, accent-free and lower case) -> kind.
#: The first rule that matches wins; a nature matching no rule is reported, never guessed.
JUDGMENT_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("annulation",), ""),  # a judgment cancelling another one: reported for a manual check
    (("cloture",), "proceeding_closed"),
    (("liquidation judiciaire",), "liquidation"),  # opening, conversion, plan resolution
    (("arretant le plan",), "plan_adopted"),  # plan de sauvegarde / de redressement arrêté
    (("arrete le plan",), "plan_adopted"),
    (("ouverture", "redressement judiciaire"), "receivership"),
    (("conversion", "redressement judiciaire"), "receivership"),  # safeguard -> receivership
    (("extension", "redressement judiciaire"), "receivership"),
    (("ouverture", "sauvegarde"), "safeguard"),  # incl. sauvegarde accélérée
)
SIREN_PATTERN = re.compile(r"^\d{9}$")


class BodaccFormatError(LedgerError):
    """A BODACC export file cannot be read (format, encoding, missing fields)."""


def _plain(text: object) -> str:
    """Lower case, accents removed, apostrophes and spaces normalised."""
    raw = unicodedata.normalize("NFKD", str(text or ""))
    ascii_text = "".join(ch for ch in raw if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", ascii_text.replace("’", "'")).strip()


def judgment_kind(nature: str | None) -> str | None:
    """The ledger event kind of a judgment's nature, or None when no rule maps it.

    >>> judgment_kind("Jugement de conversion en liquidation judiciaire")
    'liquidation'
    >>> judgment_kind("Jugement arrêtant le plan de redressement")
    'plan_adopted'
    """
    text = _plain(nature)
    for words, kind in JUDGMENT_RULES:
        if all(word in text for word in words):
            return kind or None
    return None


def sirens_of(registre: object) -> tuple[str, ...]:
    """The distinct 9-digit SIRENs in a ``registre`` field (list or comma-separated text)."""
    if registre is None or (isinstance(registre, float) and pd.isna(registre)):
        return ()
    parts: Iterable[object] = registre if isinstance(registre, list) else str(registre).split(",")
    found = {re.sub(r"\s", "", str(part)) for part in parts}
    return tuple(sorted(s for s in found if SIREN_PATTERN.match(s)))


def _judgment(value: object) -> dict[str, object]:
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value) == "":
        return {}
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError:
        return {"nature": str(value)}
    return parsed if isinstance(parsed, dict) else {}


def _records(path: Path) -> list[dict[str, object]]:
    """The raw records of one export file (JSON array, API answer, JSON lines or CSV)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BodaccFormatError(f"cannot read BODACC export {path}: {exc}") from exc
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else None
        except json.JSONDecodeError as exc:
            raise BodaccFormatError(f"{path}: not valid JSON ({exc})") from exc
        if data is None:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        if isinstance(data, dict):  # API answers: {"results": [...]} or {"records": [{"fields"}]}
            data = data.get("results") or [r.get("fields", r) for r in data.get("records", [])]
        if not isinstance(data, list):
            raise BodaccFormatError(f"{path}: expected a list of announcements")
        return [dict(r) for r in data]
    if path.suffix.lower() == ".csv":
        delimiter = (
            ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        frame = pd.read_csv(
            path, sep=delimiter, dtype="str", keep_default_na=False, encoding="utf-8-sig"
        )
        return frame.to_dict("records")  # type: ignore[return-value]
    raise BodaccFormatError(f"{path}: unsupported BODACC export format (use .json, .jsonl or .csv)")


ANNOUNCEMENT_COLUMNS = (
    "announcement_id",
    "published_on",
    "family",
    "notice_type",
    "sirens",
    "judgment_family",
    "judgment_nature",
    "judgment_on",
    "kind",
    "note",
)


def read_announcements(paths: list[Path]) -> pd.DataFrame:
    """Collective-proceeding announcements of the export files, one row per announcement.

    Columns: see :data:`ANNOUNCEMENT_COLUMNS`; ``kind`` is the mapped ledger event kind (empty
    when no rule maps the nature) and ``note`` says why a row cannot be used as it is.

    Raises:
        BodaccFormatError: a file cannot be read or lacks ``dateparution``.
    """
    rows: list[dict[str, object]] = []
    for path in paths:
        for number, record in enumerate(_records(path), start=1):
            family = _plain(record.get("familleavis") or record.get("familleavis_lib"))
            if "collective" not in family:
                continue
            if "dateparution" not in record:
                raise BodaccFormatError(f"{path}, record {number}: no 'dateparution' field")
            judgment = _judgment(record.get("jugement"))
            nature = str(judgment.get("nature") or "")
            judged = parse_french_date(judgment.get("date"))
            notice = str(record.get("typeavis_lib") or record.get("typeavis") or "")
            kind = judgment_kind(nature)
            note = ""
            if "annulation" in _plain(notice) or "annulation" in _plain(nature):
                kind, note = None, "cancellation notice: check the event it cancels by hand"
            elif kind is None:
                note = f"judgment nature not mapped: {nature or '(none)'}"
            if judgment.get("date") and judged is None:
                note = (
                    note + "; " if note else ""
                ) + f"judgment date unreadable: {judgment.get('date')}"
            rows.append(
                {
                    "announcement_id": str(record.get("id") or f"{path.name}:{number}"),
                    "published_on": parse_french_date(record.get("dateparution")),
                    "family": str(record.get("familleavis_lib") or record.get("familleavis")),
                    "notice_type": notice,
                    "sirens": sirens_of(record.get("registre")),
                    "judgment_family": str(judgment.get("famille") or ""),
                    "judgment_nature": nature,
                    "judgment_on": judged,
                    "kind": kind or "",
                    "note": note,
                }
            )
    frame = pd.DataFrame(rows, columns=list(ANNOUNCEMENT_COLUMNS))
    frame = frame.drop_duplicates("announcement_id", keep="last").reset_index(drop=True)
    for column in ("published_on", "judgment_on"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


@dataclass(frozen=True)
class BodaccMatch:
    """Announcements sorted out against the ledger's customers.

    Attributes:
        events: new ``legal_events`` rows (customer_id, published_on, kind, source,
            judgment_on, reference), duplicates of existing rows removed.
        matched: every usable announcement with its customer and ``status`` (added/duplicate).
        unmatched: announcements whose SIREN is not in the ledger (or that have none).
        ambiguous: announcements a person must look at (several customers share the SIREN,
            cancellation notices, unmapped judgment natures).
    """

    events: pd.DataFrame
    matched: pd.DataFrame
    unmatched: pd.DataFrame
    ambiguous: pd.DataFrame


def match_announcements(
    announcements: pd.DataFrame, customers: pd.DataFrame, existing: pd.DataFrame | None
) -> BodaccMatch:
    """Match announcements to customers by SIREN and drop those already in ``existing``."""
    by_siren: dict[str, list[str]] = {}
    if "siren" in customers:
        known = customers.dropna(subset=["siren"])
        for siren, cid in zip(known["siren"].astype("str"), known["customer_id"], strict=True):
            by_siren.setdefault(siren, []).append(str(cid))
    matched, unmatched, ambiguous = [], [], []
    for row in announcements.itertuples(index=False):
        sirens = list(row.sirens) or [""]
        for siren in sirens:
            base = {"announcement_id": row.announcement_id, "siren": siren}
            owners = by_siren.get(siren, [])
            if not owners:
                reason = "no SIREN in the announcement" if not siren else "SIREN not in the ledger"
                unmatched.append({**base, "reason": reason})
            elif len(owners) > 1:
                ambiguous.append(
                    {
                        **base,
                        "customer_ids": ", ".join(owners),
                        "reason": "several customers share this SIREN",
                    }
                )
            elif row.note and not row.kind:
                ambiguous.append({**base, "customer_ids": owners[0], "reason": row.note})
            else:
                matched.append(
                    {
                        **base,
                        "customer_id": owners[0],
                        "published_on": row.published_on,
                        "kind": row.kind,
                        "judgment_on": row.judgment_on,
                        "note": row.note,
                    }
                )
    found = pd.DataFrame(
        matched,
        columns=[
            "announcement_id",
            "siren",
            "customer_id",
            "published_on",
            "kind",
            "judgment_on",
            "note",
        ],
    )
    for column in ("published_on", "judgment_on"):
        found[column] = pd.to_datetime(found[column]).astype("datetime64[ns]")
    found["status"] = pd.Series(_status(found, existing), index=found.index, dtype="str")
    added = found[found["status"] == "added"]
    events = pd.DataFrame(
        {
            "customer_id": added["customer_id"].astype("str"),
            "published_on": pd.to_datetime(added["published_on"]).astype("datetime64[ns]"),
            "kind": added["kind"].astype("str"),
            "source": SOURCE,
            "judgment_on": pd.to_datetime(added["judgment_on"]).astype("datetime64[ns]"),
            "reference": added["announcement_id"].astype("str"),
        }
    ).reset_index(drop=True)
    return BodaccMatch(
        events=events,
        matched=found,
        unmatched=pd.DataFrame(unmatched, columns=["announcement_id", "siren", "reason"]),
        ambiguous=pd.DataFrame(
            ambiguous, columns=["announcement_id", "siren", "customer_ids", "reason"]
        ),
    )


def _status(found: pd.DataFrame, existing: pd.DataFrame | None) -> list[str]:
    """``added`` or ``duplicate`` (same customer, kind and publication date as a row already
    in the ledger or earlier in this batch, or the same announcement id already imported)."""
    seen = known_event_keys(existing)
    references: set[str] = set()
    if existing is not None and "reference" in existing:
        references = set(existing["reference"].dropna().astype("str"))
    out = []
    for row in found.itertuples(index=False):
        key = (str(row.customer_id), str(row.kind), pd.Timestamp(row.published_on))
        if key in seen or row.announcement_id in references:
            out.append("duplicate")
        else:
            seen.add(key)
            out.append("added")
    return out

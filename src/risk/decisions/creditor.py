"""The creditor's details (letters, statements) and the scope of French late-payment law.

Loaded from ``risk/config/creditor.yaml`` or a file of the user's. French penalties apply to a
debtor only when the creditor's country and the debtor's country are both in the policy
(``french_law``); other debtors get no French interest or indemnity and a note.

Example:
    >>> creditor = load_creditor()
    >>> creditor.french_law_applies("FR"), creditor.french_law_applies("DE")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from risk.errors import ConfigError

DEFAULT_COUNTRY = "FR"


@dataclass(frozen=True)
class Creditor:
    """Who the creditor is and where French late-payment law applies."""

    name: str
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = DEFAULT_COUNTRY
    siren: str = ""
    email: str = ""
    phone: str = ""
    signatory_name: str = ""
    signatory_title_fr: str = ""
    signatory_title_en: str = ""
    place: str = ""
    iban: str = ""
    creditor_countries: tuple[str, ...] = (DEFAULT_COUNTRY,)
    debtor_countries: tuple[str, ...] = (DEFAULT_COUNTRY,)

    def french_law_applies(self, debtor_country: object) -> bool:
        """Whether French late-payment rules apply to a debtor of this country."""
        country = (
            DEFAULT_COUNTRY if debtor_country is None or pd.isna(debtor_country) else debtor_country
        )
        return self.country in self.creditor_countries and str(country) in self.debtor_countries

    def scope_note(self, debtor_country: object) -> str:
        """The per-row note of a debtor outside the French rules, else ""."""
        if self.french_law_applies(debtor_country):
            return ""
        return (
            f"French late-payment rules not applied (creditor {self.country}, debtor "
            f"{debtor_country}; see french_law in the creditor file): no interest, no indemnity"
        )


def creditor_from_mapping(data: Any, source: str = "<memory>") -> Creditor:
    """Build a ``Creditor`` from its parsed YAML.

    Raises:
        ConfigError: naming the field and the rule broken.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise ConfigError(f"creditor file {source}: needs at least a `name`")
    known = {f.name for f in fields(Creditor)} - {"creditor_countries", "debtor_countries"}
    if unknown := set(data) - known - {"french_law"}:
        raise ConfigError(f"creditor file {source}: unknown fields {sorted(unknown)}")
    law = data.get("french_law") or {}
    if not isinstance(law, Mapping):
        raise ConfigError(f"creditor file {source}: french_law must be a mapping")
    scope = {}
    for key in ("creditor_countries", "debtor_countries"):
        values = law.get(key, [DEFAULT_COUNTRY])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"creditor file {source}: french_law.{key} must list country codes")
        scope[key] = tuple(values)
    return Creditor(**{k: str(v) for k, v in data.items() if k in known}, **scope)


def load_creditor(path: str | Path | None = None) -> Creditor:
    """Load the creditor file, or the packaged example ``creditor.yaml``.

    Raises:
        ConfigError: if the file cannot be read, is not YAML or breaks a rule.
    """
    source = "risk/config/creditor.yaml" if path is None else str(path)
    try:
        if path is None:
            text = resources.files("risk.config").joinpath("creditor.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"creditor file {source}: cannot load ({exc})") from exc
    return creditor_from_mapping(data, source)

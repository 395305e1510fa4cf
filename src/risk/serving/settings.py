"""Service settings, read from the environment once, when the service starts.

| variable | meaning | default |
|---|---|---|
| ``RISK_TRACKING_URI``, ``MLFLOW_TRACKING_URI`` | registry | ``sqlite:///models/mlflow.db`` |
| ``RISK_MODEL_ALIAS`` | registry alias of the models served | ``champion`` |
| ``RISK_MODEL_SOURCE`` | ``mlflow`` (registry) or ``bento`` (Bento models) | ``mlflow`` |
| ``RISK_CREDIT_POLICY`` | credit policy YAML of the decisions (as ``--policy``) | the packaged one |
| ``RISK_LEDGER`` | ledger scored by id: a folder, or a SQL URL (``sqlite:///ledger.db``, ``postgresql://...``) | ``data/sample`` |
| ``RISK_LEDGER_POLL_S`` | how often the ledger source is checked for changes (seconds) | 2 |
| ``RISK_AUDIT_URL`` | SQLAlchemy URL of the audit log | ``sqlite:///models/audit.db`` |
| ``RISK_API_KEYS_FILE`` / ``RISK_API_KEYS`` | API keys (see ``risk.serving.auth``) | none |
| ``RISK_MAX_ROWS`` | ids or inline rows per request | 1000 |
| ``RISK_MAX_BODY_BYTES`` | request body size | 2 000 000 |
| ``RISK_AUTH_FAILURES`` | failed key attempts allowed per client address and minute | 20 |
| ``RISK_HEADER_TIMEOUT_S`` | seconds a connection may take to send its request headers | 10 |
| ``RISK_LOG_FORMAT`` / ``RISK_LOG_LEVEL`` | ``text`` or ``json`` lines / level | ``text`` / ``INFO`` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from risk.errors import ConfigError
from risk.registry import CHAMPION

DEFAULT_TRACKING_URI = "sqlite:///models/mlflow.db"
DEFAULT_AUDIT_URL = "sqlite:///models/audit.db"
DEFAULT_LEDGER = Path("data/sample")
MAX_ROWS = 1000
MAX_BODY_BYTES = 2_000_000

ModelSource = Literal["mlflow", "bento"]


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: must be a positive integer") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r}: must be a positive integer")
    return value


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service reads from its environment.

    Attributes:
        tracking_uri: MLflow tracking URI of the registry.
        alias: registry alias of the served models.
        model_source: ``mlflow`` (registry, hash-verified) or ``bento`` (BentoML model store).
        ledger_dir: ledger folder loaded at start-up, scored by id.
        audit_url: SQLAlchemy URL of the audit database.
        keys_file: YAML/JSON file of ``name: hash`` API keys.
        keys_env: ``name:hash,name2:hash2`` API keys.
        max_rows: most ids or inline rows accepted per request.
        max_body_bytes: largest request body accepted.
        ledger: ledger source scored by id (folder path or SQL URL).
        ledger_poll_s: seconds between two checks of the ledger source for changes.
        auth_failures: failed key attempts per client address and minute before 429.
        header_timeout_s: seconds a connection may take to send its request headers.
        policy: credit policy YAML of the decisions (None: the packaged one).
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    alias: str = CHAMPION
    model_source: ModelSource = "mlflow"
    ledger_dir: Path = DEFAULT_LEDGER
    audit_url: str = DEFAULT_AUDIT_URL
    keys_file: Path | None = None
    keys_env: str = ""
    max_rows: int = MAX_ROWS
    max_body_bytes: int = MAX_BODY_BYTES
    ledger: str = str(DEFAULT_LEDGER)
    ledger_poll_s: int = 2
    auth_failures: int = 20
    header_timeout_s: int = 10
    policy: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceSettings:
        """Read the settings from ``env`` (default: the process environment).

        Raises:
            ConfigError: a value is malformed (the message names the variable).
        """
        env = os.environ if env is None else env
        source = env.get("RISK_MODEL_SOURCE", "mlflow") or "mlflow"
        if source not in ("mlflow", "bento"):
            raise ConfigError(f"RISK_MODEL_SOURCE={source!r}: must be 'mlflow' or 'bento'")
        keys_file = env.get("RISK_API_KEYS_FILE")
        return cls(
            tracking_uri=env.get("RISK_TRACKING_URI")
            or env.get("MLFLOW_TRACKING_URI")
            or DEFAULT_TRACKING_URI,
            alias=env.get("RISK_MODEL_ALIAS") or CHAMPION,
            model_source=source,  # type: ignore[arg-type]
            ledger_dir=Path(env.get("RISK_LEDGER") or DEFAULT_LEDGER),
            audit_url=env.get("RISK_AUDIT_URL") or DEFAULT_AUDIT_URL,
            keys_file=Path(keys_file) if keys_file else None,
            keys_env=env.get("RISK_API_KEYS", ""),
            max_rows=_positive_int(env, "RISK_MAX_ROWS", MAX_ROWS),
            max_body_bytes=_positive_int(env, "RISK_MAX_BODY_BYTES", MAX_BODY_BYTES),
            ledger=env.get("RISK_LEDGER") or str(DEFAULT_LEDGER),
            ledger_poll_s=_positive_int(env, "RISK_LEDGER_POLL_S", 2),
            auth_failures=_positive_int(env, "RISK_AUTH_FAILURES", 20),
            header_timeout_s=_positive_int(env, "RISK_HEADER_TIMEOUT_S", 10),
            policy=Path(env["RISK_CREDIT_POLICY"]) if env.get("RISK_CREDIT_POLICY") else None,
        )

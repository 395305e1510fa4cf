"""The only module that talks to MLflow: tracking URI, runs, registration, aliases, loading.

Embedded default: SQLite at ``models/mlflow.db`` with artifacts under ``models/artifacts``.
``MLFLOW_TRACKING_URI`` (or an explicit URI) points at any tracking server instead. Aliases
(``champion``), never stages. Every registered version carries a signature, an input example
and the sha256 of its artifacts, checked again when it is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from risk.errors import RiskError
from risk.model.bundle import BUNDLE_FILE, RiskModel

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
#: The registered name of a level's weight-of-evidence scorecard (a challenger of its own).
SCORECARD_SUFFIX = "-scorecard"
SCORECARD_FILE = "scorecard.json"
POINTS_FILE = "points_table.csv"
MODEL_NAMES = {
    "invoice": "payment-risk-invoice",
    "customer": "payment-risk-customer",
    "default": "payment-risk-default",
}
EXPERIMENT_NAMES = dict(MODEL_NAMES)
MODEL_NAMES["timing"] = EXPERIMENT_NAMES["timing"] = "payment-timing"  # risk.timing
HASH_TAG = "artifact_sha256"
FILES_TAG = "artifact_files"
BOOSTER_FILE = "model.lgb"
ALLOWED_FLAVORS = {"lightgbm", "python_function"}
PICKLE_SUFFIXES = (".pkl", ".pickle", ".cloudpickle", ".joblib", ".dill")


class ModelNotFoundError(RiskError):
    """No registered model version answers the name / alias / version asked for."""


class ModelIntegrityError(RiskError):
    """A model's artifacts do not match the sha256 recorded when it was registered."""


@dataclass(frozen=True)
class Store:
    """Where models are tracked: the tracking URI and, for a local store, the artifact root."""

    tracking_uri: str
    artifact_root: str | None

    @classmethod
    def resolve(cls, tracking_uri: str | None = None, root: Path | None = None) -> Store:
        """Explicit URI, else ``MLFLOW_TRACKING_URI``, else SQLite under ``<root>/models``."""
        uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            if uri.startswith("sqlite:///"):
                # a local database keeps its artifacts beside it, never in ./mlruns
                database = Path(uri.removeprefix("sqlite:///"))
                database.parent.mkdir(parents=True, exist_ok=True)
                return cls(uri, (database.parent.resolve() / "artifacts").as_uri())
            return cls(uri, None)
        models = (root or Path.cwd()) / "models"
        models.mkdir(parents=True, exist_ok=True)
        database = models.resolve() / "mlflow.db"
        return cls(f"sqlite:///{database}", (models.resolve() / "artifacts").as_uri())

    def client(self) -> MlflowClient:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        mlflow.set_tracking_uri(self.tracking_uri)
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)


def experiment_id(store: Store, level: str) -> str:
    """Id of the level's experiment, created on first use (artifacts under the local root)."""
    client = store.client()
    name = EXPERIMENT_NAMES[level]
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = f"{store.artifact_root}/{name}" if store.artifact_root else None
    return str(client.create_experiment(name, artifact_location=location))


@contextmanager
def training_run(store: Store, level: str, run_name: str) -> Iterator[Any]:
    """An MLflow run in the level's experiment (nested runs go inside it)."""
    store.client()
    with mlflow.start_run(experiment_id=experiment_id(store, level), run_name=run_name) as run:
        yield run


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file below ``directory``, by relative path."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(p for p in directory.rglob("*") if p.is_file())
    }


def directory_sha256(directory: Path) -> str:
    """sha256 over every file below ``directory`` (relative path and bytes, sorted by path),
    ``MLmodel`` included: it decides which file is loaded and how."""
    digest = hashlib.sha256()
    for relative, sha in file_hashes(directory).items():
        digest.update(relative.encode())
        digest.update(sha.encode())
    return digest.hexdigest()


def check_files(
    directory: Path, expected_files: str | None, expected_sha: str | None, what: str
) -> None:
    """Refuse a model directory whose files differ from those registered.

    Raises:
        ModelIntegrityError: a file was added, removed or changed (named), or the version was
            registered without the per-file hashes.
    """
    if not expected_files:
        raise ModelIntegrityError(
            f"{what}: registered without per-file hashes (an older registration); refusing to "
            "load it: register it again with `risk train`"
        )
    expected = json.loads(expected_files)
    actual = file_hashes(directory)
    problems = [f"{name} missing" for name in sorted(set(expected) - set(actual))]
    problems += [f"unexpected file {name}" for name in sorted(set(actual) - set(expected))]
    problems += [
        f"{name} changed"
        for name in sorted(set(expected) & set(actual))
        if expected[name] != actual[name]
    ]
    if not problems and expected_sha != directory_sha256(directory):
        problems.append("artifact sha256 differs")
    if problems:
        raise ModelIntegrityError(
            f"{what}: {'; '.join(problems)} since registration; refusing to load"
        )


def check_mlmodel(directory: Path, what: str) -> Path:
    """The booster file an ``MLmodel`` may point at: LightGBM flavor, ``model.lgb``, no pickle.

    Raises:
        ModelIntegrityError: another flavor, another file, or a pickle in the directory.
    """
    import yaml

    try:
        flavors = (yaml.safe_load((directory / "MLmodel").read_text()) or {}).get("flavors") or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelIntegrityError(f"{what}: unreadable MLmodel: {exc}") from exc
    if not isinstance(flavors, dict) or set(flavors) - ALLOWED_FLAVORS or "lightgbm" not in flavors:
        raise ModelIntegrityError(
            f"{what}: MLmodel flavors {sorted(flavors) if isinstance(flavors, dict) else flavors}; "
            "only lightgbm (and python_function) are loaded; refusing to load"
        )
    lightgbm_data = (flavors.get("lightgbm") or {}).get("data")
    pyfunc = flavors.get("python_function") or {}
    if lightgbm_data != BOOSTER_FILE or (
        pyfunc
        and (pyfunc.get("loader_module") != "mlflow.lightgbm" or pyfunc.get("data") != BOOSTER_FILE)
    ):
        raise ModelIntegrityError(
            f"{what}: MLmodel points at {lightgbm_data!r} (loader "
            f"{pyfunc.get('loader_module')!r}); only {BOOSTER_FILE} by mlflow.lightgbm is "
            "loaded; refusing to load"
        )
    pickles = sorted(p.name for p in directory.rglob("*") if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelIntegrityError(f"{what}: pickle file(s) {', '.join(pickles)}; refusing to load")
    return directory / BOOSTER_FILE


def log_model(model: RiskModel, example: pd.DataFrame, store: Store) -> tuple[str, str]:
    """Log and register ``model`` in the active run; return (version, artifact sha256)."""
    inputs = model.prepare(example)
    signature = infer_signature(
        inputs.astype({c: "object" for c in model.categories}),
        model.predict_proba(example),
    )
    with tempfile.TemporaryDirectory() as tmp:
        bundle_path = Path(tmp) / BUNDLE_FILE
        bundle_path.write_text(json.dumps(model.to_json(), indent=2, sort_keys=True))
        info = mlflow.lightgbm.log_model(
            model.booster,
            name="model",
            signature=signature,
            input_example=inputs.head(5).astype({c: "object" for c in model.categories}),
            extra_files=[str(bundle_path)],
            registered_model_name=MODEL_NAMES[model.level],
            # the pyfunc serving check loses pandas categories in JSON; the real round trip
            # (load_model + predict_proba) is what the tests check
            validate_serving_input=False,
        )
    version = str(info.registered_model_version)
    with tempfile.TemporaryDirectory() as tmp:
        # downloaded as ``load_model`` does (by registry URI, which adds registered_model_meta)
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{MODEL_NAMES[model.level]}/{version}", dst_path=tmp
            )
        )
        sha = directory_sha256(local)
        files = json.dumps(file_hashes(local), sort_keys=True, separators=(",", ":"))
    client = store.client()
    client.set_model_version_tag(MODEL_NAMES[model.level], version, FILES_TAG, files)
    client.set_model_version_tag(MODEL_NAMES[model.level], version, HASH_TAG, sha)
    return version, sha


@dataclass
class RegisteredScorecard:
    """A registered WoE scorecard with the input preparation of the model it was fitted beside
    (sector rate, categories, column order); ``metadata`` says which version it is."""

    card: Any  # risk.model.scorecard.WoEScorecard
    inputs: RiskModel  # prepare() only: its booster is not registered with the scorecard
    metadata: dict[str, Any]

    def predict_proba(self, frame: pd.DataFrame) -> Any:
        """Probability of the event for each row of a features frame."""
        return self.card.predict_proba(self.inputs.prepare(frame))[:, 1]


def scorecard_name(level: str) -> str:
    """Registered-model name of the level's scorecard (``payment-risk-invoice-scorecard``)."""
    return MODEL_NAMES[level] + SCORECARD_SUFFIX


def log_scorecard(
    card: Any, model: RiskModel, store: Store, tags: dict[str, str] | None = None
) -> str:
    """Log ``card`` (JSON, its points table as CSV, the input preparation of ``model``) in the
    active run and register it as a new version of :func:`scorecard_name` holding the
    ``challenger`` alias, with per-file hashes as every registered version; return the version.
    """
    client = store.client()
    name = scorecard_name(model.level)
    run = mlflow.active_run()
    if run is None:
        raise RiskError("log_scorecard needs an active MLflow run (registry.training_run)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / SCORECARD_FILE).write_text(json.dumps(card.to_dict(), indent=2, sort_keys=True))
        card.points_table().to_csv(folder / POINTS_FILE, index=False)
        (folder / BUNDLE_FILE).write_text(json.dumps(model.to_json(), indent=2, sort_keys=True))
        files = json.dumps(file_hashes(folder), sort_keys=True, separators=(",", ":"))
        sha = directory_sha256(folder)
        mlflow.log_artifacts(str(folder), artifact_path="scorecard")
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    version = client.create_model_version(
        name, source=f"{run.info.artifact_uri}/scorecard", run_id=run.info.run_id
    ).version
    for key, value in {FILES_TAG: files, HASH_TAG: sha, **(tags or {})}.items():
        client.set_model_version_tag(name, str(version), key, value)
    client.set_registered_model_alias(name, CHALLENGER, str(version))
    return str(version)


def _model_version(
    store: Store, name: str, version: str | None, alias: str, kind: str, level: str
) -> Any:
    """The registered version ``version`` of ``name``, else the one holding ``alias``.

    Raises:
        ModelNotFoundError: no such version or alias, with the command that trains one.
    """
    client = store.client()
    try:
        if version:
            return client.get_model_version(name, version)
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        what = f"version {version}" if version else f"alias {alias!r}"
        raise ModelNotFoundError(
            f"no {kind} {name!r} with {what} in {store.tracking_uri}: train one with "
            f"`risk train --level {level}`"
        ) from exc


@contextmanager
def _verified_artifacts(name: str, mv: Any, kind: str) -> Iterator[Path]:
    """Download version ``mv`` of ``name`` to a temporary folder, checked against the hashes
    recorded at registration, and yield the folder (removed on exit).

    Raises:
        ModelIntegrityError: the artifacts changed since registration.
    """
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{mv.version}", dst_path=tmp
            )
        )
        what = f"{kind} {name} version {mv.version}"
        check_files(local, mv.tags.get(FILES_TAG), mv.tags.get(HASH_TAG), what)
        yield local


def load_scorecard(
    store: Store, level: str, alias: str | None = CHALLENGER, version: str | None = None
) -> RegisteredScorecard:
    """Load a registered scorecard by alias (default ``challenger``) or version, hash-verified.

    Raises:
        ModelNotFoundError: no such scorecard, version or alias.
        ModelIntegrityError: the artifacts changed since registration.
    """
    from risk.model.scorecard import WoEScorecard

    name = scorecard_name(level)
    mv = _model_version(store, name, version, alias or CHALLENGER, "scorecard", level)
    with _verified_artifacts(name, mv, "scorecard") as local:
        card = WoEScorecard.from_dict(json.loads((local / SCORECARD_FILE).read_text()))
        inputs = RiskModel.from_parts(None, json.loads((local / BUNDLE_FILE).read_text()))  # type: ignore[arg-type]
    metadata = {"model_name": name, "model_version": str(mv.version), "run_id": mv.run_id}
    return RegisteredScorecard(card, inputs, {**inputs.metadata, **metadata, **mv.tags})


def _version_uri(level: str, alias: str | None, version: str | None) -> str:
    name = MODEL_NAMES[level]
    return f"models:/{name}/{version}" if version else f"models:/{name}@{alias or CHAMPION}"


def load_model(
    store: Store, level: str, alias: str | None = CHAMPION, version: str | None = None
) -> RiskModel:
    """Load a registered model by alias (default ``champion``) or version, hash-verified.

    Raises:
        ModelNotFoundError: no such model, version or alias.
        ModelIntegrityError: the artifacts changed since registration.
    """
    name = MODEL_NAMES[level]
    mv = _model_version(store, name, version, alias or CHAMPION, "model", level)
    what = f"model {name} version {mv.version}"
    with _verified_artifacts(name, mv, "model") as local:
        booster_file = check_mlmodel(local, what)
        bundles = sorted(local.rglob(BUNDLE_FILE))
        if len(bundles) != 1:
            raise ModelIntegrityError(f"{what}: expected one {BUNDLE_FILE}, found {len(bundles)}")
        # the booster is read as LightGBM text, never through a flavor loader that may unpickle
        booster = lgb.Booster(model_file=str(booster_file))
        bundle = json.loads(bundles[0].read_text())
    model = RiskModel.from_parts(booster, bundle)
    model.metadata.update(
        {"model_name": name, "model_version": str(mv.version), "run_id": mv.run_id}
    )
    return model


def current_champion(store: Store, level: str) -> str | None:
    """Version number holding the champion alias, or None."""
    try:
        return str(store.client().get_model_version_by_alias(MODEL_NAMES[level], CHAMPION).version)
    except MlflowException:
        return None


def set_champion(store: Store, level: str, version: str, reason: str, forced: bool = False) -> None:
    """Move the champion alias to ``version`` and record why, by whom and when on the version.

    Raises:
        ModelNotFoundError: the version does not exist.
    """
    client = store.client()
    name = MODEL_NAMES[level]
    try:
        client.get_model_version(name, version)
    except MlflowException as exc:
        raise ModelNotFoundError(f"model {name!r} has no version {version}") from exc
    client.set_registered_model_alias(name, CHAMPION, version)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for key, value in (
        ("promotion_reason", reason),
        ("promoted_at", stamp),
        ("promoted_by", os.environ.get("USER", "unknown")),
        ("promotion_forced", str(forced).lower()),
    ):
        client.set_model_version_tag(name, version, key, value)
    logger.info("champion of %s is now version %s (%s)", name, version, reason)


def list_versions(store: Store, level: str) -> pd.DataFrame:
    """Registered versions of the level's model with aliases, headline metrics and tags."""
    client = store.client()
    name = MODEL_NAMES[level]
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException:
        versions = []
    rows = []
    for mv in sorted(versions, key=lambda v: int(v.version)):
        run = client.get_run(mv.run_id) if mv.run_id else None
        metrics = run.data.metrics if run else {}
        rows.append(
            {
                "model": name,
                "version": str(mv.version),
                "aliases": ",".join(client.get_model_version(name, mv.version).aliases),
                "created": datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                "test_auc": metrics.get("test_auc"),
                "test_ece": metrics.get("test_ece"),
                "test_window": (run.data.params.get("test_window") if run else None),
                "promotion_reason": mv.tags.get("promotion_reason", ""),
            }
        )
    return pd.DataFrame(rows)


def compare_recorded(
    store: Store, level: str, version: str, metric: str = "test_auc"
) -> tuple[bool, str]:
    """Gate on recorded figures: ``version`` beats the champion on ``metric`` measured on the
    same out-of-time window (both runs logged the same ``test_window``).

    Raises:
        ModelNotFoundError: the version does not exist.
    """
    client = store.client()
    name = MODEL_NAMES[level]
    try:
        candidate = client.get_model_version(name, version)
    except MlflowException as exc:
        raise ModelNotFoundError(f"model {name!r} has no version {version}") from exc
    champion = current_champion(store, level)
    if champion is None:
        return True, "no champion yet"
    if champion == str(version):
        return False, f"version {version} is already the champion"
    runs = {
        v: client.get_run(client.get_model_version(name, v).run_id)
        for v in (champion, str(candidate.version))
    }
    windows = {v: run.data.params.get("test_window") for v, run in runs.items()}
    if windows[champion] != windows[str(version)]:
        return False, (
            f"versions were tested on different windows ({windows[str(version)]} vs champion "
            f"{windows[champion]}): retrain both on the same ledger or evaluate them with `risk evaluate`"
        )
    values = {v: run.data.metrics.get(metric, float("nan")) for v, run in runs.items()}
    better = values[str(version)] > values[champion]
    words = "beats" if better else "does not beat"
    return (
        better,
        f"v{version} {words} champion v{champion} on {metric}: {values[str(version)]:.4f} vs {values[champion]:.4f}",
    )

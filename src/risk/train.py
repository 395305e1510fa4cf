"""Train, evaluate, register and (behind the gate) promote a model for one level.

ledger -> labelled frame -> time windows -> fit (LightGBM, calibration, baseline)
       -> out-of-time evaluation (+ oracle on generated data) -> report and plots
       -> MLflow run, registered version -> champion / challenger gate
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from risk import registry
from risk.decisions.credit import CreditPolicy
from risk.evaluate import Evaluation, evaluate_predictions, summary_lines, write_report
from risk.evaluate.plots import (
    plot_calibration,
    plot_importance,
    plot_lift,
    plot_precision_recall,
    plot_roc,
    plot_shap_summary,
)
from risk.evaluate.report import points_section
from risk.features import FeatureConfig
from risk.fingerprint import ledger_fingerprint
from risk.ledger import Ledger
from risk.materiality import DEFINITION_KEY, DefaultDefinition, definition_from_metadata
from risk.model.bundle import RiskModel
from risk.model.dataset import Level, TrainingData, training_data
from risk.model.default_level import default_feature_config, observation_windows
from risk.model.distributed import Engine, TrainingEngine, training_engine
from risk.model.fit import (
    SCORECARD,
    VOLUME_BASELINE,
    VOLUME_FEATURES,
    FitConfig,
    FittedModels,
    fit_models,
    score_test,
)
from risk.model.lgbm import gain_importance
from risk.model.split import (
    SplitMasks,
    TimeWindows,
    WindowMinimum,
    check_windows,
    derive_windows,
    fit_horizon,
    split_masks,
)
from risk.monitor.drift import reference_profile

logger = logging.getLogger(__name__)

CALIBRATED = "LightGBM (calibrated)"
SHAP_SAMPLE = 2000


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on.

    Attributes:
        level: invoice or customer model.
        features: feature and label parameters (late-after days L, horizon H, ...).
        fit: seed, tuning trials, LightGBM parameters.
        train_end: end of the training window (default: derived from the ledger's dates).
        valid_end: end of the validation window (default: derived).
        gate_metric: test metric the challenger must beat the champion on (higher is better).
        gate_min_gain: smallest improvement that moves the champion alias.
        engine: where the LightGBM booster is fitted: this process (pandas) or a Dask cluster
            with ``lightgbm.dask``.
        scheduler: Dask scheduler address (default: a local two-worker cluster).
        minimum: smallest train / validation / test windows (rows and late rows).
        default_definition: the default event's past-due trigger (default level): days,
            materiality thresholds, public buyers, disputes, probation; from the credit policy
            the decisions use (``risk train --policy``). None: the packaged policy's.
    """

    level: Level = "invoice"
    features: FeatureConfig = field(default_factory=FeatureConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    train_end: pd.Timestamp | None = None
    valid_end: pd.Timestamp | None = None
    gate_metric: str = "auc"
    gate_min_gain: float = 0.0
    engine: Engine = "pandas"
    scheduler: str | None = None
    minimum: WindowMinimum = field(default_factory=WindowMinimum)
    default_definition: DefaultDefinition | None = None


@dataclass(frozen=True)
class TrainingResult:
    """What a training run produced and decided."""

    level: str
    version: str
    promoted: bool
    gate_reason: str
    windows: TimeWindows
    metrics: dict[str, float]
    evaluations: list[Evaluation]
    oracle_auc: float | None
    report_dir: Path | None
    run_id: str
    notes: tuple[str, ...] = ()
    fair_oracle_auc: float | None = None

    def summary(self) -> list[str]:
        return [
            *summary_lines(
                self.evaluations, self.oracle_auc, self.fair_oracle_auc, rows_name(self.level)
            ),
            *self.notes,
        ]


def rows_name(level: str) -> str:
    """What one row of a level's frame is, in the report's words."""
    return "invoices" if level == "invoice" else "customer snapshots"


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def resolve_windows(data: TrainingData, config: TrainConfig) -> TimeWindows:
    """Windows from the config dates when given, else derived from the data."""
    derived = derive_windows(data.as_of, data.matured_on, data.cutoff)
    if config.train_end is None and config.valid_end is None:
        return derived
    return TimeWindows(
        derived.start,
        pd.Timestamp(config.train_end or derived.train_end),
        pd.Timestamp(config.valid_end or derived.valid_end),
        data.cutoff,
    )


def short_history_config(ledger: Ledger, config: TrainConfig) -> tuple[TrainConfig, str]:
    """``config`` with the customer horizon shortened when the ledger's history is too short
    for it (``risk.model.split.fit_horizon``), and the note saying so (empty when kept)."""
    if config.level != "customer" or ledger.invoices.empty:
        return config, ""
    first, last = ledger.date_range
    horizon, note = fit_horizon(
        first, last.normalize() + pd.Timedelta(days=1), config.features.horizon_days
    )
    if not note:
        return config, ""
    logger.warning("customer model: %s", note)
    return replace(config, features=replace(config.features, horizon_days=horizon)), note


def oracle_auc(
    truth: pd.DataFrame | None, data: TrainingData, test: np.ndarray, late_after: int
) -> float | None:
    """AUC of the generator's true probabilities on the test rows (invoice level, L = 30)."""
    if truth is None or data.level != "invoice" or late_after != 30 or "p_late" not in truth:
        return None
    p_true = data.frame.loc[test, "invoice_id"].map(truth.set_index("invoice_id")["p_late"])
    if p_true.isna().any():
        return None
    return float(roc_auc_score(data.y[test], p_true.to_numpy()))


def fair_oracle_auc(
    truth: pd.DataFrame | None, data: TrainingData, test: np.ndarray, late_after: int
) -> float | None:
    """AUC of the generator's probabilities from what is knowable at issue (``p_late_at_issue``)
    on the test rows: the fair ceiling (invoice level, L = 30)."""
    if truth is None or "p_late_at_issue" not in truth:
        return None
    return oracle_auc(
        truth.drop(columns="p_late").rename(columns={"p_late_at_issue": "p_late"}),
        data,
        test,
        late_after,
    )


def _slices(data: TrainingData, test: np.ndarray) -> dict[str, pd.Series]:
    frame = data.frame[test].reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    if "naf_section" in frame:
        out["sector (NAF section)"] = frame["naf_section"].astype("object").fillna("unknown")
    if "employees_count" in frame:
        bands = pd.cut(
            frame["employees_count"],
            [-1, 2, 49, 199, 999, np.inf],
            labels=["0-2", "3-49", "50-199", "200-999", "1000+"],
        )
        out["size (employees)"] = bands.astype("object").fillna("unknown")
    return out


def report_plots(
    model: RiskModel,
    frame: pd.DataFrame,
    y: np.ndarray,
    probs: dict[str, np.ndarray],
    main: str,
    out: Path,
) -> dict[str, Path]:
    """ROC, precision-recall, calibration, lift, SHAP summary and importance plots of a test
    window; ``main`` names the scores the lift is drawn for."""
    shown = {k: v for k, v in probs.items() if k != "LightGBM (uncalibrated)"}
    inputs = model.prepare(frame.head(SHAP_SAMPLE))
    contributions = model.contributions(inputs).drop(columns="base_value")
    return {
        "ROC": plot_roc(y, shown, out / "roc.png"),
        "Precision-recall": plot_precision_recall(y, shown, out / "precision_recall.png"),
        "Calibration": plot_calibration(y, probs, out / "calibration.png"),
        "Lift": plot_lift(y, probs[main], out / "lift.png"),
        "SHAP summary": plot_shap_summary(
            contributions.to_numpy(), inputs, out / "shap_summary.png"
        ),
        "Importance (gain)": plot_importance(
            gain_importance(model.booster), out / "importance.png"
        ),
    }


def evaluate_fit(
    fitted: FittedModels, data: TrainingData, test: np.ndarray
) -> tuple[list[Evaluation], dict[str, np.ndarray]]:
    """Evaluate the three score sets on the out-of-time test rows."""
    probs = score_test(fitted, data, test)
    slices = _slices(data, test)
    evaluations = [
        evaluate_predictions(name, data.y[test], p, amounts=data.amounts[test], slices=slices)
        for name, p in probs.items()
    ]
    return evaluations, probs


def gate(
    store: registry.Store,
    config: TrainConfig,
    data: TrainingData,
    test: np.ndarray,
    challenger_value: float,
) -> tuple[bool, str]:
    """Whether the new version beats the champion on the same test window by the gate metric."""
    champion_version = registry.current_champion(store, config.level)
    if champion_version is None:
        return True, "first model of this level: no champion yet"
    try:
        champion = registry.load_model(store, config.level, version=champion_version)
        p = champion.predict_proba(data.frame[test])
    except Exception as exc:
        return (
            False,
            f"champion v{champion_version} cannot score this window ({exc}); use `risk promote --force`",
        )
    champion_value = evaluate_predictions("champion", data.y[test], p).metrics[config.gate_metric]
    gain = challenger_value - champion_value
    verdict = gain > config.gate_min_gain
    words = "beats" if verdict else "does not beat"
    return verdict, (
        f"challenger {words} champion v{champion_version} on test {config.gate_metric}: "
        f"{challenger_value:.4f} vs {champion_value:.4f} (gain {gain:+.4f}, needed > {config.gate_min_gain})"
    )


def register_scorecard(
    store: registry.Store,
    config: TrainConfig,
    data: TrainingData,
    test: np.ndarray,
    fitted: FittedModels,
    evaluations: list[Evaluation],
) -> str | None:
    """Register the scorecard as the level's challenger scorecard, with its test metrics and
    its gate verdict against the current champion (a scorecard is never promoted by itself:
    ``risk promote`` acts on the LightGBM model). None without a scorecard."""
    if fitted.scorecard is None:
        return None
    metrics = {e.name: e.metrics for e in evaluations}
    card = metrics.get(SCORECARD, {})
    verdict, reason = gate(store, config, data, test, card.get(config.gate_metric, float("nan")))
    tags = {
        **{f"test_{k}": f"{v:.6f}" for k, v in card.items() if np.isfinite(v)},
        "lightgbm_test_auc": f"{metrics[CALIBRATED]['auc']:.6f}",
        "gate_beats_champion": str(verdict).lower(),
        "gate_reason": reason,
        "pdo": f"{fitted.scorecard.pdo:g}",
        "base_points": f"{fitted.scorecard.base_points:g}",
    }
    version = registry.log_scorecard(fitted.scorecard, fitted.model, store, tags)
    mlflow.set_tag("scorecard_version", version)
    return version


def scorecard_lines(fitted: FittedModels) -> list[str]:
    """The report's scorecard section (empty without a scorecard)."""
    card = fitted.scorecard
    if card is None:
        return []
    return points_section(
        card.points_table(), card.pdo, card.base_points, card.base_odds, card.dropped_
    )


#: Rows of the training window profiled for monitoring (every k-th row beyond it).
PROFILE_ROWS = 50_000


def training_profile(model: RiskModel, data: TrainingData, masks: SplitMasks) -> dict[str, Any]:
    """Binned score and inputs of the final model's training rows: the reference the batch
    summary's monitoring section measures drift against (``risk.monitor.batch``)."""
    rows = np.flatnonzero(masks.refit if masks.refit is not None else masks.train)
    if len(rows) > PROFILE_ROWS:
        rows = rows[np.linspace(0, len(rows) - 1, PROFILE_ROWS).astype(int)]
    frame = data.frame.iloc[rows]
    inputs = model.prepare(frame)
    scores = model.calibrator.predict(model.raw_score(inputs))
    return reference_profile(inputs, scores, model.features)


def volume_gain(evaluations: list[Evaluation]) -> float | None:
    """Test AUC of the champion candidate minus that of the volume-only baseline (None when
    there is no volume baseline, i.e. not the customer level)."""
    by_name = {e.name: e.metrics["auc"] for e in evaluations}
    if VOLUME_BASELINE not in by_name:
        return None
    return float(by_name[CALIBRATED] - by_name[VOLUME_BASELINE])


def volume_lines(evaluations: list[Evaluation]) -> list[str]:
    """The report's paragraph on the volume-only baseline (empty at other levels)."""
    gain = volume_gain(evaluations)
    if gain is None:
        return []
    verdict = "beats" if gain > 0 else "does NOT beat"
    return [
        "## Baseline to beat: volume only",
        "",
        f"A LightGBM on the volume features alone ({', '.join(VOLUME_FEATURES)}), fitted on "
        f"the same windows, is the baseline the customer model must beat: the model {verdict} "
        f"it by {gain:+.4f} test AUC. A label that volume alone predicts measures how much a "
        "customer trades, not how it pays.",
        "",
    ]


def fit_context(fitted: FittedModels) -> dict[str, str]:
    """Report lines saying which rows early-stopped, calibrated and refitted the model."""
    rows = fitted.rows
    refit = (
        f"refitted on {rows['refit']} rows matured by the end of validation with "
        f"{fitted.rounds} rounds"
        if rows.get("refit")
        else "not refitted (trained on the training window only)"
    )
    return {
        "early stopping": f"{rows.get('early stopping', 0)} rows (first half of validation): "
        f"{fitted.rounds} rounds",
        "calibration rows": f"{rows.get('calibration', 0)} rows (second half of validation)",
        "final model": refit,
    }


def _log_run(
    fitted: FittedModels,
    evaluations: list[Evaluation],
    windows: TimeWindows,
    fingerprint: dict[str, str],
    config: TrainConfig,
    oracle: float | None,
    out: Path,
) -> None:
    params = {
        "level": config.level,
        "late_after_days": config.features.late_after_days,
        "horizon_days": config.features.horizon_days,
        **{
            f"default_{name}": value
            for name, value in _definition_metadata(config.default_definition)
            .get(DEFINITION_KEY, {})
            .items()
        },
        "seed": config.fit.seed,
        "n_trials": config.fit.n_trials,
        "engine": config.engine,
        "calibration": fitted.model.calibrator.method,
        "rounds": fitted.rounds,
        "refit_rows": fitted.rows.get("refit", 0),
        "test_window": f"{windows.valid_end.date()}..{windows.cutoff.date()}",
        **windows.as_dict(),
        **{f"lgb_{k}": v for k, v in fitted.params.items()},
    }
    mlflow.log_params(params)
    prefixes = {
        CALIBRATED: "test",
        "LightGBM (uncalibrated)": "test_raw",
        "logistic baseline": "baseline_test",
        SCORECARD: "scorecard_test",
        VOLUME_BASELINE: "volume_baseline_test",
    }
    for evaluation in evaluations:
        prefix = prefixes[evaluation.name]
        mlflow.log_metrics(
            {f"{prefix}_{k}": float(v) for k, v in evaluation.metrics.items() if np.isfinite(v)}
        )
        mlflow.log_metrics(
            {
                f"{prefix}_capture_{k}": float(v)
                for k, v in evaluation.capture.items()
                if np.isfinite(v)
            }
        )
    if oracle is not None:
        mlflow.log_metrics(
            {"oracle_auc": oracle, "oracle_gap": oracle - evaluations[0].metrics["auc"]}
        )
    gain = volume_gain(evaluations)
    if gain is not None:
        mlflow.log_metric("auc_gain_over_volume_baseline", gain)
    mlflow.set_tags(
        {**fingerprint, "git_commit": git_commit(), "calibration_choice": fitted.calibration_reason}
    )
    (out / "features.json").write_text(json.dumps(fitted.baseline_features, indent=2))
    if fitted.scorecard is not None:
        (out / "scorecard.json").write_text(json.dumps(fitted.scorecard.to_dict(), indent=2))
    mlflow.log_artifacts(str(out), artifact_path="evaluation")


def _definition_metadata(definition: DefaultDefinition | None) -> dict[str, Any]:
    """The default definition as model metadata (empty for the late-payment levels)."""
    return {} if definition is None else {DEFINITION_KEY: asdict(definition)}


def evaluate_registered(
    ledger: Ledger,
    level: Level,
    store: registry.Store,
    out_dir: Path,
    version: str | None = None,
    truth: pd.DataFrame | None = None,
) -> tuple[Path, list[str]]:
    """Evaluate a registered version (default: the champion) on this ledger's out-of-time
    window (from the version's validation end to the ledger's cut-off); write its report.

    Returns:
        The report path and the terminal summary lines.
    """
    model = registry.load_model(store, level, version=version)
    features = FeatureConfig(
        late_after_days=int(model.metadata.get("late_after_days", 30)),
        horizon_days=int(model.metadata.get("horizon_days", 180)),
        late_share_threshold=float(model.metadata.get("late_share_threshold", 0.25)),
    )
    definition = definition_from_metadata(model.metadata) if level == "default" else None
    data = training_data(ledger, level, features, definition=definition)
    valid_end = pd.Timestamp(model.metadata["windows"]["valid_end"])
    test = (data.as_of >= valid_end).to_numpy() & (data.matured_on <= data.cutoff).to_numpy()
    name = f"{registry.MODEL_NAMES[level]} v{model.metadata['model_version']}"
    p = model.predict_proba(data.frame[test])
    evaluation = evaluate_predictions(
        name, data.y[test], p, amounts=data.amounts[test], slices=_slices(data, test)
    )
    oracle = oracle_auc(truth, data, test, features.late_after_days)
    fair = fair_oracle_auc(truth, data, test, features.late_after_days)
    y = data.y[test]
    plots = report_plots(model, data.frame[test], y, {name: p}, name, out_dir)
    context = {
        "model": name,
        "test window": f"{valid_end.date()} .. {data.cutoff.date()}",
        **ledger_fingerprint(ledger),
    }
    path = write_report(
        [evaluation],
        out_dir,
        title=f"Evaluation of {name}",
        context=context,
        plots=plots,
        oracle_auc=oracle,
        fair_oracle_auc=fair,
        rows_name=rows_name(level),
    )
    return path, summary_lines([evaluation], oracle, fair, rows_name(level))


def train(
    ledger: Ledger,
    config: TrainConfig,
    store: registry.Store,
    truth: pd.DataFrame | None = None,
    report_dir: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> TrainingResult:
    """Run the whole training pipeline for ``config.level`` and log it to ``store``.

    Args:
        ledger: the validated ledger.
        config: level, windows, seed, tuning, gate.
        store: the MLflow store (``registry.Store.resolve()`` for the defaults).
        truth: the generator's invoice truth (``invoice_id``, ``p_late``) for the oracle AUC.
        report_dir: where the report and plots are written (default: a temporary folder,
            uploaded to MLflow either way).
        progress: called with each stage's name.
    """
    if config.level == "default":  # the default label's 12-month horizon, recorded as such
        config = replace(config, features=default_feature_config(config.features))
    else:  # the late-payment levels do not read the default event
        config = replace(config, default_definition=None)
    with training_engine(config.engine, config.scheduler) as engine:
        return _train_on(engine, ledger, config, store, truth, report_dir, progress)


def _train_on(
    engine: TrainingEngine,
    ledger: Ledger,
    config: TrainConfig,
    store: registry.Store,
    truth: pd.DataFrame | None,
    report_dir: Path | None,
    progress: Callable[[str], None],
) -> TrainingResult:
    config, horizon_note = short_history_config(ledger, config)
    notes = (horizon_note,) if horizon_note else ()
    progress("features")
    if config.level == "default" and config.default_definition is None:
        config = replace(config, default_definition=CreditPolicy.load().default_definition())
    data = engine.build(ledger, config.level, config.features, progress, config.default_definition)
    if config.level == "default":  # 12-month labels: windows on the observation date
        windows, masks = observation_windows(data, config.train_end, config.valid_end)
    else:
        windows = resolve_windows(data, config)
        masks = split_masks(data.as_of, data.matured_on, windows)
        check_windows(masks, data.y, config.level, config.minimum)
    logger.info(
        "windows %s: %d train, %d valid, %d test rows",
        windows.as_dict(),
        masks.train.sum(),
        masks.valid.sum(),
        masks.test.sum(),
    )
    with registry.training_run(
        store, config.level, f"{config.level}-{windows.cutoff.date()}"
    ) as run:

        def on_trial(number: int, params: dict[str, Any], loss: float) -> None:
            with mlflow.start_run(
                run_name=f"trial-{number}", nested=True, experiment_id=run.info.experiment_id
            ):
                mlflow.log_params(params)
                mlflow.log_metric("cv_log_loss", loss)

        fitted = fit_models(data, masks, windows, config.fit, on_trial, progress, engine.trainer)
        fitted.model.metadata["reference_profile"] = training_profile(fitted.model, data, masks)
        progress("evaluation")
        evaluations, probs = evaluate_fit(fitted, data, masks.test)
        oracle = oracle_auc(truth, data, masks.test, config.features.late_after_days)
        fair = fair_oracle_auc(truth, data, masks.test, config.features.late_after_days)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(report_dir) if report_dir else Path(tmp)
            out.mkdir(parents=True, exist_ok=True)
            plots = report_plots(
                fitted.model, data.frame[masks.test], data.y[masks.test], probs, CALIBRATED, out
            )
            fingerprint = ledger_fingerprint(ledger)
            context = {
                "level": config.level,
                **windows.as_dict(),
                **fingerprint,
                "rows train / valid / test": f"{masks.train.sum()} / {masks.valid.sum()} / {masks.test.sum()}",
                "calibration": fitted.calibration_reason,
                **fit_context(fitted),
                **({"horizon": horizon_note} if horizon_note else {}),
            }
            write_report(
                evaluations,
                out,
                title=f"Payment-risk model ({config.level} level)",
                context=context,
                plots=plots,
                oracle_auc=oracle,
                fair_oracle_auc=fair,
                sections=[*volume_lines(evaluations), *scorecard_lines(fitted)],
                rows_name=rows_name(config.level),
            )
            fitted.model.metadata.update(
                {
                    "fingerprint": fingerprint,
                    "engine": config.engine,
                    "late_after_days": config.features.late_after_days,
                    "horizon_days": config.features.horizon_days,
                    "late_share_threshold": config.features.late_share_threshold,
                    **_definition_metadata(config.default_definition),
                    "test_metrics": evaluations[0].metrics,
                }
            )
            _log_run(fitted, evaluations, windows, fingerprint, config, oracle, out)
            if fair is not None:
                mlflow.log_metrics(
                    {
                        "fair_oracle_auc": fair,
                        "fair_oracle_gap": fair - evaluations[0].metrics["auc"],
                    }
                )
        progress("registry")
        version, _ = registry.log_model(fitted.model, data.frame[masks.valid].head(50), store)
        promoted, reason = gate(
            store, config, data, masks.test, evaluations[0].metrics[config.gate_metric]
        )
        register_scorecard(store, config, data, masks.test, fitted, evaluations)
        if promoted:
            registry.set_champion(store, config.level, version, reason)
        mlflow.set_tags({"gate_promoted": str(promoted).lower(), "gate_reason": reason})
    return TrainingResult(
        config.level,
        version,
        promoted,
        reason,
        windows,
        evaluations[0].metrics,
        evaluations,
        oracle,
        Path(report_dir) if report_dir else None,
        run.info.run_id,
        notes,
        fair,
    )


def train_levels(
    ledger: Ledger,
    store: registry.Store,
    config: TrainConfig | None = None,
    truth: pd.DataFrame | None = None,
) -> dict[str, TrainingResult]:
    """Train, register and gate the invoice, the customer late-payment and the customer default
    model with the same settings (the default model on its own 12-month horizon)."""
    config = config or TrainConfig()
    return {
        level: train(ledger, replace(config, level=level), store, truth=truth)
        for level in ("invoice", "customer", "default")
    }

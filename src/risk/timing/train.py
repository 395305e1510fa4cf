"""Train, assess, register and gate the payment-timing model (registered as ``payment-timing``).

Windows (out of time, on the snapshot date): training rows ``[first issue, train_end)`` with
their outcomes censored at ``train_end``; validation rows ``[train_end, valid_end)`` censored at
``valid_end`` (early stopping, out-of-time calibration); with ``HazardConfig.refit`` (off by
default, it measured worse) both boosters are refitted on the training and validation rows
censored at ``valid_end`` with the rounds chosen on validation; then the model is assessed at ``eval_dates``
scoring dates from ``valid_end`` on, every ``eval_step_days``, the last one ``eval_maturity_days``
before the cut-off so that the outcomes are known. The champion alias moves only when the new
version beats the champion on the same dates (``test_auc`` by default).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from risk import registry
from risk.errors import ConfigError
from risk.features import FeatureConfig
from risk.features.frames import default_cutoff
from risk.fingerprint import ledger_fingerprint
from risk.ledger import Ledger
from risk.model.bundle import RiskModel
from risk.timing.assess import Assessment, assess, summary, write_assessment
from risk.timing.backtest import backtest_frame, calibrate_band
from risk.timing.forecast import BAND_KEY
from risk.timing.hazard import (
    LEVEL,
    HazardConfig,
    fit_hazard,
    fit_lost_share,
    refit_timing,
    training_pairs,
)
from risk.timing.outcomes import exit_dates
from risk.timing.score import score_open_invoices
from risk.timing.snapshots import (
    SnapshotConfig,
    snapshot_features,
    snapshot_frame,
    snapshot_queries,
)

logger = logging.getLogger(__name__)

#: the forecast band's back-tests at training (``calibrate_model_band``): at most this many dates,
#: this many days apart, each forecasting this many weeks...
BAND_DATES = 6
BAND_STEP_DAYS = 14
BAND_WEEKS = 13
#: ...and at least this many back-test weeks with cash expected, else the default ``BAND``
BAND_MIN_WEEKS = 26


@dataclass(frozen=True)
class TimingConfig:
    """Everything a timing training run depends on (see the module docstring for windows)."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    snapshots: SnapshotConfig = field(default_factory=SnapshotConfig)
    hazard: HazardConfig = field(default_factory=HazardConfig)
    eval_dates: int = 4
    eval_step_days: int = 28
    eval_maturity_days: int = 120
    valid_days: int = 180
    gate_metric: str = "test_auc"
    gate_min_gain: float = 0.0


@dataclass(frozen=True)
class TimingWindows:
    start: pd.Timestamp
    train_end: pd.Timestamp
    valid_end: pd.Timestamp
    eval_dates: list[pd.Timestamp]
    cutoff: pd.Timestamp

    def as_dict(self) -> dict[str, str]:
        return {
            "train_start": str(self.start.date()),
            "train_end": str(self.train_end.date()),
            "valid_end": str(self.valid_end.date()),
            "eval_dates": ",".join(str(d.date()) for d in self.eval_dates),
            "cutoff": str(self.cutoff.date()),
        }


@dataclass(frozen=True)
class TimingResult:
    version: str
    promoted: bool
    gate_reason: str
    windows: TimingWindows
    metrics: dict[str, float]
    report: Path | None

    def summary(self) -> list[str]:
        return summary(self.metrics)


def timing_windows(ledger: Ledger, config: TimingConfig) -> TimingWindows:
    """The windows of the module docstring for this ledger.

    Raises:
        ConfigError: the ledger is too short for them.
    """
    cutoff = default_cutoff(ledger)
    last = cutoff - pd.Timedelta(days=config.eval_maturity_days)
    step = pd.Timedelta(days=config.eval_step_days)
    dates = [last - step * k for k in reversed(range(config.eval_dates))]
    valid_end = dates[0]
    train_end = valid_end - pd.Timedelta(days=config.valid_days)
    start = ledger.invoices["issued_on"].min()
    if not start + pd.Timedelta(days=90) < train_end:
        raise ConfigError(
            f"the ledger ({start.date()} .. {cutoff.date()}) is too short for the payment-timing "
            f"windows: training would end on {train_end.date()}; shorten valid_days "
            f"({config.valid_days}) or eval_dates x eval_step_days"
        )
    return TimingWindows(pd.Timestamp(start), train_end, valid_end, dates, cutoff)


def training_rows(ledger: Ledger, config: TimingConfig, windows: TimingWindows) -> pd.DataFrame:
    """The snapshot rows before ``valid_end`` with their exit dates (``paid_on``, ``lost_on``)
    and the weights of ``config.hazard.row_weights`` (``"none"``, the default: every row 1)."""
    frame = snapshot_frame(ledger, windows.valid_end, config.features, config.snapshots)
    exits = exit_dates(ledger).set_index("invoice_id")
    frame["paid_on"] = frame["invoice_id"].map(exits["paid_on"])
    frame["lost_on"] = frame["invoice_id"].map(exits["lost_on"])
    if config.hazard.row_weights == "none":
        frame["snapshot_weight"] = 1.0
    return frame


def fit_timing(
    ledger: Ledger,
    config: TimingConfig,
    windows: TimingWindows,
    progress: Callable[[str], None] = lambda stage: None,
) -> RiskModel:
    """Snapshot rows before ``valid_end``, then the hazard model on their (row, week) pairs:
    fitted on the training rows with the rounds chosen on the validation rows, then (with
    ``config.hazard.refit``, off by default) refitted on both with those rounds, their outcomes
    censored at ``valid_end``; the assessment dates (from ``valid_end`` on) stay out of it.
    Last, the forecast band of this book (``calibrate_model_band``: the fitted model scored at
    past dates of the validation window, no refit) in ``metadata[BAND_KEY]``."""
    progress("snapshot rows")
    frame = training_rows(ledger, config, windows)
    train = (frame["as_of"] < windows.train_end).to_numpy()
    rows_train, rows_valid = frame[train], frame[~train]  # one copy each, not one per fit
    if not config.hazard.refit:
        del frame
    progress("hazard model")
    model = fit_hazard(
        rows_train, windows.train_end, rows_valid, windows.valid_end, config.features,
        config.hazard,
    )  # fmt: skip
    progress("lost outcome")
    fit_lost_share(
        model, rows_train, windows.train_end, rows_valid, windows.valid_end,
        config.features, config.hazard,
    )  # fmt: skip
    del rows_train, rows_valid
    if config.hazard.refit:
        progress("refit on training + validation rows")
        model = refit_timing(model, frame, windows.valid_end, config.features, config.hazard)
    model.metadata.update(
        {
            "late_after_days": config.features.late_after_days,
            "horizon_days": config.features.horizon_days,
            "snapshot_every_days": config.snapshots.every_days,
            "partial_week": config.hazard.partial_week,
            "row_weights": config.hazard.row_weights,
            "rows_train": int(train.sum()),
            "rows_valid": int((~train).sum()),
            "windows": windows.as_dict(),
        }
    )
    progress("forecast band")
    model.metadata[BAND_KEY] = calibrate_model_band(model, ledger, windows)
    return model


def band_dates(windows: TimingWindows) -> list[pd.Timestamp]:
    """The dates the forecast band is calibrated on: inside the validation window (on or after
    ``train_end``), every ``BAND_STEP_DAYS`` days back from the last one whose ``BAND_WEEKS``
    weeks end on ``valid_end`` (out of time for the assessment dates), at most ``BAND_DATES``;
    the dates of ``benchmarks/bench_forecast_band.py``."""
    last = windows.valid_end - pd.Timedelta(days=7 * BAND_WEEKS)
    step = pd.Timedelta(days=BAND_STEP_DAYS)
    dates = [last - step * k for k in reversed(range(BAND_DATES))]
    return [d for d in dates if d >= windows.train_end]


def band_backtests(
    model: RiskModel, ledger: Ledger, windows: TimingWindows
) -> dict[pd.Timestamp, pd.DataFrame]:
    """The fitted model's forecast back-tested at each of ``band_dates`` (scored at the date,
    never refitted), outcomes known to ``valid_end``."""
    return {
        d: backtest_frame(
            ledger, score_open_invoices(model, ledger, d), windows.valid_end, BAND_WEEKS
        )
        for d in band_dates(windows)
    }


def calibrate_model_band(
    model: RiskModel, ledger: Ledger, windows: TimingWindows
) -> dict[str, object]:
    """The forecast band of this book, for ``model.metadata[BAND_KEY]``: ``calibrate_band`` on
    the back-tests at ``band_dates`` (``source`` ``calibrated``, the ``BandConfig``'s fields, the
    dates and the number of weeks), or ``source`` ``default`` with the reason when fewer than
    ``BAND_MIN_WEEKS`` weeks expect cash (small book or short history) or the back-tests fail:
    never an error, the forecasts then use ``BAND``."""
    dates = band_dates(windows)
    try:
        frames = band_backtests(model, ledger, windows)
    except Exception as exc:  # the band is never a reason to fail training
        logger.warning("forecast band: back-tests failed, default band kept (%s)", exc)
        return {"source": "default", "reason": f"band: default, back-tests failed ({exc})"}
    weeks = sum(int((f["expected"] > 0).sum()) for f in frames.values())
    if weeks < BAND_MIN_WEEKS:
        return {
            "source": "default",
            "weeks": weeks,
            "reason": (
                f"band: default, {weeks} weeks (back-tests at {len(dates)} dates between "
                f"{windows.train_end.date()} and {BAND_WEEKS} weeks before "
                f"{windows.valid_end.date()}; {BAND_MIN_WEEKS} needed)"
            ),
        }
    band = calibrate_band(list(frames.values()))
    return {
        "source": "calibrated",
        "customer_dependence": band.customer_dependence,
        "common_shock": band.common_shock,
        "cumulative_shock": band.cumulative_shock,
        "dates": [str(d.date()) for d in frames],
        "weeks": weeks,
    }


def _example(model: RiskModel, ledger: Ledger, windows: TimingWindows) -> pd.DataFrame:
    """A few (row, week) input rows for the registered signature."""
    queries = snapshot_queries(ledger, windows.train_end).tail(10)
    frame = snapshot_features(ledger, queries.reset_index(drop=True), model_features(model))
    frame["paid_on"] = pd.NaT
    frame["snapshot_weight"] = 1.0
    inputs, _, _ = training_pairs(model, frame, windows.cutoff, int(model.metadata["weeks"]))
    return inputs.head(20)


def model_features(model: RiskModel) -> FeatureConfig:
    return FeatureConfig(late_after_days=int(model.metadata.get("late_after_days", 30)))


def band_params(model: RiskModel) -> dict[str, object]:
    """The stored forecast band as MLflow params (``band_source``, ``band_*``)."""
    stored = dict(model.metadata.get(BAND_KEY) or {"source": "default"})
    out: dict[str, object] = {"band_source": stored.pop("source")}
    if "dates" in stored:
        stored["dates"] = ",".join(stored["dates"])
    out.update({f"band_{k}": v for k, v in stored.items() if k != "reason"})
    if "reason" in stored:
        out["band_reason"] = str(stored["reason"])[:490]
    return out


def _gate(
    store: registry.Store, ledger: Ledger, windows: TimingWindows, config: TimingConfig,
    value: float,
) -> tuple[bool, str]:  # fmt: skip
    champion_version = registry.current_champion(store, LEVEL)
    if champion_version is None:
        return True, "first payment-timing model: no champion yet"
    try:
        champion = registry.load_model(store, LEVEL, version=champion_version)
        result = assess(champion, ledger, windows.eval_dates, windows.cutoff)
    except Exception as exc:  # a champion that cannot score this ledger does not block
        return False, (
            f"champion v{champion_version} cannot score these dates ({exc}); use `risk promote`"
        )
    old = result.metrics[config.gate_metric]
    gain = value - old
    verdict = bool(gain > config.gate_min_gain)
    words = "beats" if verdict else "does not beat"
    return verdict, (
        f"challenger {words} champion v{champion_version} on {config.gate_metric} at the same "
        f"scoring dates: {value:.4f} vs {old:.4f} (gain {gain:+.4f}, needed > {config.gate_min_gain})"
    )


def _issue_model(store: registry.Store) -> RiskModel | None:
    try:
        return registry.load_model(store, "invoice")
    except registry.ModelNotFoundError:
        return None


def train_timing(
    ledger: Ledger,
    store: registry.Store,
    config: TimingConfig | None = None,
    report_dir: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
    truth: pd.DataFrame | None = None,
) -> TimingResult:
    """Fit, assess (against the issue-date champion when there is one, and the generator's
    ``invoice_truth`` of a generated ledger when given), log to MLflow, register as
    ``payment-timing`` and apply the champion gate."""
    config = config or TimingConfig()
    windows = timing_windows(ledger, config)
    with registry.training_run(store, LEVEL, f"{LEVEL}-{windows.cutoff.date()}"):
        model = fit_timing(ledger, config, windows, progress)
        progress("assessment at past dates")
        found: Assessment = assess(
            model, ledger, windows.eval_dates, windows.cutoff, _issue_model(store), truth
        )
        metrics = {k: float(v) for k, v in found.metrics.items() if np.isfinite(v)}
        model.metadata["test_metrics"] = metrics
        fingerprint = ledger_fingerprint(ledger)
        model.metadata["fingerprint"] = fingerprint
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(report_dir) if report_dir else Path(tmp)
            context = {**windows.as_dict(), **fingerprint, **{
                k: str(v) for k, v in model.metadata.items() if k.startswith(("pairs_", "rows_"))
            }}  # fmt: skip
            report = write_assessment(found, out, "Payment-timing model", context)
            mlflow.log_params(
                {
                    **windows.as_dict(),
                    "test_window": windows.as_dict()["eval_dates"],
                    "weeks": config.hazard.weeks,
                    "snapshot_every_days": config.snapshots.every_days,
                    "partial_week": config.hazard.partial_week,
                    "row_weights": config.hazard.row_weights,
                    "seed": config.hazard.seed,
                    **band_params(model),
                }
            )
            mlflow.log_metrics(metrics)
            mlflow.set_tags(fingerprint)
            mlflow.log_artifacts(str(out), artifact_path="evaluation")
        progress("registry")
        version, _ = registry.log_model(model, _example(model, ledger, windows), store)
        promoted, reason = _gate(
            store, ledger, windows, config, metrics.get(config.gate_metric, np.nan)
        )
        if promoted:
            registry.set_champion(store, LEVEL, version, reason)
        mlflow.set_tags({"gate_promoted": str(promoted).lower(), "gate_reason": reason})
    return TimingResult(version, promoted, reason, windows, metrics, report if report_dir else None)

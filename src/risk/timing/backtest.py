"""Back-test of the cash-in forecast at past dates, side by side with two naive forecasts.

At a past date ``t`` the invoices open at ``t`` are forecast, and the forecast is compared with
what was received: the open amount at ``t`` of each invoice settled in week ``k`` after ``t``.
The naive forecasts put each invoice's open amount in one week:

* **due date**: paid on its due date (an overdue invoice in the first week);
* **historical delay**: paid on due date + the customer's mean days late over the invoices it
  settled before ``t`` (the portfolio's mean for a customer without history), not before ``t``.

The error at horizon ``h`` weeks is ``|forecast - received|`` over the first ``h`` weeks,
divided by what was received in them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from risk.ledger import Ledger
from risk.timing.forecast import cash_forecast
from risk.timing.outcomes import exit_dates
from risk.timing.predict import WEEK
from risk.timing.score import OpenInvoiceScores

HORIZONS = (4, 13)


def _week_index(days: np.ndarray) -> np.ndarray:
    return np.floor(np.maximum(days, 0) / WEEK).astype(np.int64)


def _cash_by_week(amount: np.ndarray, days: np.ndarray, weeks: int) -> np.ndarray:
    finite = np.isfinite(days)
    week = np.where(finite, _week_index(np.where(finite, days, 0.0)), weeks)
    inside = week < weeks
    return np.bincount(week[inside], weights=amount[inside], minlength=weeks)[:weeks]


def historical_delay(ledger: Ledger, as_of: pd.Timestamp) -> tuple[pd.Series, float]:
    """Mean days late per customer over invoices settled before ``as_of``, and the overall."""
    inv = ledger.invoices
    settled = inv[inv["paid_on"] < as_of]
    late = (settled["paid_on"] - settled["due_on"]).dt.days
    overall = float(late.mean()) if len(late) else 0.0
    return late.groupby(settled["customer_id"]).mean(), overall


def backtest_frame(
    ledger: Ledger, scored: OpenInvoiceScores, cutoff: pd.Timestamp, weeks: int = 13
) -> pd.DataFrame:
    """Week by week: the model's expected cash and band, the two naive forecasts, received."""
    scores = scored.scores
    as_of = scored.as_of
    amount = scores["open_amount"].to_numpy(dtype="float64")
    # what was received: payments only (a written-off or frozen invoice brings no cash)
    paid = scores["invoice_id"].map(exit_dates(ledger, cutoff).set_index("invoice_id")["paid_on"])
    paid = paid.where(paid < cutoff)
    paid_days = (paid - as_of).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    due_days = (scores["due_on"] - as_of).dt.days.to_numpy(dtype="float64")
    delays, overall = historical_delay(ledger, as_of)
    delay = scores["customer_id"].map(delays).fillna(overall).to_numpy(dtype="float64")
    model = cash_forecast(scored, weeks)
    return model.assign(
        due_date_naive=_cash_by_week(amount, due_days, weeks),
        historical_delay_naive=_cash_by_week(amount, due_days + delay, weeks),
        received=_cash_by_week(amount, paid_days, weeks),
    )


def forecast_errors(frame: pd.DataFrame) -> dict[str, float]:
    """Relative error of each forecast over the first 4 and 13 weeks (see module docstring) and
    the share of weeks whose received cash fell inside the model's 80 % band."""
    inside = (frame["received"] >= frame["low"]) & (frame["received"] <= frame["high"])
    out: dict[str, float] = {"forecast_band_coverage": float(inside.mean())}
    for h in HORIZONS:
        head = frame[frame["week"] <= h]
        received = float(head["received"].sum())
        for name in ("expected", "due_date_naive", "historical_delay_naive"):
            label = "model" if name == "expected" else name.removesuffix("_naive")
            error = abs(float(head[name].sum()) - received) / received if received else np.nan
            out[f"forecast_error_{label}_{h}w"] = error
    return out


def plot_backtest(frame: pd.DataFrame, path: Path, title: str) -> Path:
    """Received cash per week (bars), the model's forecast with its 80 % band, the naive ones."""
    fig = Figure(figsize=(7.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    weeks = frame["week"].to_numpy()
    ax.bar(weeks, frame["received"], color="0.8", label="received")
    ax.fill_between(weeks, frame["low"], frame["high"], alpha=0.3, label="model 80 % band")
    ax.plot(weeks, frame["expected"], marker="o", label="model (expected)")
    ax.plot(weeks, frame["due_date_naive"], linestyle="--", label="naive: due date")
    ax.plot(weeks, frame["historical_delay_naive"], linestyle=":", label="naive: historical delay")
    ax.set_xlabel("week after the forecast date")
    ax.set_ylabel("cash in")
    ax.set_title(title)
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    return path

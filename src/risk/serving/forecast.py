"""The service's ``/forecast``: request -> ``risk.timing.forecast.forecast_cash_in`` -> response.

No BentoML here (like ``risk.serving.app``), so that it is tested on its own.
"""

from __future__ import annotations

import pandas as pd

from risk.ledger import Ledger
from risk.scoring import Scorer
from risk.serving import schemas
from risk.serving.app import InputError
from risk.timing.forecast import CashForecast, Scenario, forecast_cash_in


def scenario_of(request: schemas.ForecastRequest) -> Scenario:
    """The request's stress scenario (none when absent)."""
    if request.scenario is None:
        return Scenario()
    return Scenario(**request.scenario.model_dump())


def run_forecast(
    scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, request: schemas.ForecastRequest
) -> CashForecast:
    """The forecast of the request, from the scorer's payment-timing model.

    Raises:
        InputError (409): the service has no payment-timing model (the others still score).
        ForecastInputError, ConfigError: the request breaks a rule (answered 422).
    """
    if scorer.timing_model is None:
        raise InputError(
            "no payment-timing model is served: train one with `risk train --level timing` "
            "and restart the service",
            409,
        )

    def grades(date: pd.Timestamp) -> pd.Series:
        frame = scorer.score_customers(ledger, date, explain=False)
        return frame.set_index("customer_id")["grade"]

    return forecast_cash_in(
        scorer.timing_model,
        ledger,
        as_of,
        request.weeks,
        request.by,
        scenario_of(request),
        grades,
    )


def forecast_out(
    found: CashForecast,
    request: schemas.ForecastRequest,
    request_id: str,
    models: dict[str, str],
    ledger_version: str,
) -> schemas.CashForecastOut:
    """The response: the ``top`` groups with the largest expected cash, week by week."""
    rows = found.rows
    sizes = rows.groupby("group")["expected"].sum().sort_values(ascending=False, kind="stable")
    kept = rows[rows["group"].isin(sizes.index[: request.top])]
    order = {name: rank for rank, name in enumerate(sizes.index)}
    kept = kept.assign(_rank=kept["group"].map(order)).sort_values(["_rank", "week"])
    return schemas.CashForecastOut(
        request_id=request_id,
        as_of=found.as_of.date(),
        weeks=found.weeks,
        by=found.by,  # type: ignore[arg-type]
        scenario=found.scenario.describe(),
        open_invoices=len(found.scored.scores),
        open_amount=found.open_amount,
        expected_total=found.expected_total,
        groups=len(sizes),
        models=models,
        ledger_version=ledger_version,
        rows=[
            schemas.ForecastWeek(
                group=str(r.group),
                week=int(r.week),
                week_start=pd.Timestamp(r.week_start).date(),
                expected=float(r.expected),
                low=float(r.low),
                high=float(r.high),
            )
            for r in kept.itertuples(index=False)
        ],
    )

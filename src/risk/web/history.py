"""Grade and probability history of the customer sheet: from the nightly batch's SQL outputs
when there are some (``risk score --sql-url``, table ``customer_scores``, one set of rows per
as-of date), else computed by the pages at month ends."""

from __future__ import annotations

import logging

import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

COLUMNS = ["customer_id", "month_end", "probability", "grade"]


def history_from_batch(url: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    """Scores of past batch runs between ``start`` and ``end`` (inclusive), the last run of each
    month kept; None when the table is absent, unreadable or holds fewer than two months."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    query = text(
        "select customer_id, as_of, probability, grade from customer_scores "
        "where as_of >= :start and as_of <= :end"
    )
    try:
        with engine.connect() as connection:
            frame = pd.read_sql(
                query,
                connection,
                params={"start": start.to_pydatetime(), "end": end.to_pydatetime()},
            )
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
        logger.warning(
            "no batch history at %s: %s", parsed.render_as_string(hide_password=True), exc
        )
        return None
    finally:
        engine.dispose()
    if frame.empty:
        return None
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["month"] = frame["as_of"].dt.to_period("M")
    last = frame.groupby("month")["as_of"].transform("max")
    frame = frame[frame["as_of"] == last]
    if frame["month"].nunique() < 2:
        return None
    out = frame.rename(columns={"as_of": "month_end"})[COLUMNS]
    out["customer_id"] = out["customer_id"].astype(str)
    return out.sort_values(["customer_id", "month_end"]).reset_index(drop=True)

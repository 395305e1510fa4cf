"""Legal information: collective proceedings, privileges, payment orders, governance changes.

A legal event is known at ``t`` when it was published before ``t``. A collective proceeding
(safeguard, receivership, liquidation) is *active* at ``t`` when it is the latest status event
(collective proceeding, plan adopted, proceeding closed) published before ``t``. Events of the
same day are ordered by severity, so the result never depends on the row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import EventIndex, to_days

FAMILY = "legal"
NEEDS = ("legal_events.published_on", "legal_events.kind")
#: event kinds from least to most severe (tie-break on the same day).
SEVERITY: tuple[str, ...] = (
    "director_change", "capital_decrease", "payment_order", "tax_privilege",
    "social_privilege", "proceeding_closed", "plan_adopted", "safeguard", "receivership",
    "liquidation", "company_closed",
)  # fmt: skip
STATUS_KINDS = ("proceeding_closed", "plan_adopted", *COLLECTIVE_PROCEEDING_KINDS)
#: counted kinds: feature stem -> kinds
COUNTED: dict[str, tuple[str, ...]] = {
    "n_privileges": ("tax_privilege", "social_privilege"),
    "n_payment_orders": ("payment_order",),
    "n_director_changes": ("director_change",),
    "n_capital_decreases": ("capital_decrease",),
}
COUNTED_TEXT: dict[str, tuple[str, str]] = {
    "n_privileges": (
        "tax or social-security privileges registered",
        "privilèges du Trésor ou URSSAF inscrits",
    ),
    "n_payment_orders": ("payment orders", "injonctions de payer"),
    "n_director_changes": ("director changes", "changements de dirigeant"),
    "n_capital_decreases": ("capital decreases", "réductions de capital"),
}


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The legal features for ``config``."""
    w = window_label(config.legal_window_days)
    we, wf = window_words(config.legal_window_days)
    counted = tuple(
        FeatureSpec(
            f"{stem}_{w}",
            FAMILY,
            f"Number of {en} published in the last {we}.",
            f"Nombre de {fr} publiés sur les {wf}.",
            1,
            "numeric",
            NEEDS,
            f"{{value:.0f}} {en} in the last {we}",
            f"{{value:.0f}} {fr} sur les {wf}",
        )
        for stem, (en, fr) in COUNTED_TEXT.items()
    )
    return (
        FeatureSpec(
            "in_collective_proceeding",
            FAMILY,
            "1 if a collective proceeding (safeguard, receivership, liquidation) is active.",
            "1 si une procédure collective (sauvegarde, redressement, liquidation) est en cours.",
            1,
            "numeric",
            NEEDS,
            "collective proceeding in progress",
            "procédure collective en cours",
        ),
        FeatureSpec(
            "had_collective_proceeding",
            FAMILY,
            "1 if a collective proceeding was ever published before the date.",
            "1 si une procédure collective a été publiée avant la date.",
            1,
            "numeric",
            NEEDS,
            "past collective proceeding",
            "procédure collective passée",
        ),
        FeatureSpec(
            "days_since_collective_proceeding",
            FAMILY,
            "Days since the last collective proceeding was published (NaN: none).",
            "Jours depuis la publication de la dernière procédure collective (NaN : aucune).",
            -1,
            "numeric",
            NEEDS,
            "collective proceeding published {value:.0f} days ago",
            "procédure collective publiée il y a {value:.0f} jours",
        ),
        FeatureSpec(
            "last_legal_event_kind",
            FAMILY,
            "Kind of the last legal event published.",
            "Nature du dernier événement légal publié.",
            0,
            "categorical",
            NEEDS,
            "last legal event: {value}",
            "dernier événement légal : {value}",
        ),
        FeatureSpec(
            "days_since_last_legal_event",
            FAMILY,
            "Days since the last legal event was published (NaN: none).",
            "Jours depuis la publication du dernier événement légal (NaN : aucun).",
            0,
            "numeric",
            NEEDS,
            "last legal event {value:.0f} days ago",
            "dernier événement légal il y a {value:.0f} jours",
        ),
        *counted,
    )


def _index(
    timeline: LedgerTimeline, kinds: tuple[str, ...] | None
) -> tuple[EventIndex, np.ndarray]:
    """Index of the events of ``kinds`` (all when None), ties by severity; and their kind."""
    events = timeline.ledger.legal_events
    if events is None:  # pragma: no cover - guarded by the caller
        raise ValueError("the ledger has no legal_events table")
    kind = events["kind"].astype("str").to_numpy(dtype=object)
    keep = np.ones(len(kind), dtype=bool) if kinds is None else np.isin(kind, kinds)
    rank = pd.Index(SEVERITY).get_indexer(pd.Index(kind[keep]))
    codes = timeline.customer_codes(events["customer_id"])[keep]
    days = to_days(events["published_on"])[keep]
    index = EventIndex(codes, days, {"rank": rank.astype(np.float64)}, tiebreak=rank)
    return index, index.values["rank"].astype(np.int64)


def _take(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``values[pos]``, -1 where ``pos`` is -1 (no event)."""
    padded = np.append(values, -1)
    return padded[np.where(pos >= 0, pos, len(values))]


def _last(index: EventIndex, queries: Queries) -> tuple[np.ndarray, np.ndarray]:
    """Position of the last event before each query (-1 when none) and its day (NaN)."""
    start = index.start(queries.codes)
    hi = index.before(queries.codes, queries.days)
    return np.where(hi > start, hi - 1, -1), index.last_day(hi, start)


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, object]:
    """Legal features for each query (empty without a legal_events table).

    Only the queries of customers with at least one legal event are looked up; the others get
    the no-event values (0 counts and flags, NaN days, missing kind).

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    if not all(timeline.has(needed) for needed in NEEDS):
        return {}
    events = timeline.ledger.legal_events
    with_events = np.zeros(len(timeline.customer_ids) + 1, dtype=bool)
    if events is not None:
        with_events[timeline.customer_codes(events["customer_id"])] = True
    with_events[-1] = False  # unknown customer ids (code -1)
    chosen = np.flatnonzero(with_events[queries.codes])
    if chosen.size:
        subset = _compute_all(timeline, Queries(queries.codes[chosen], queries.days[chosen]))
    else:  # no queried customer has an event (an inline one-customer ledger): no index to build
        subset = _no_queries(timeline.config)
    out: dict[str, object] = {}
    for name, values in subset.items():
        if isinstance(values, pd.Categorical):
            codes = np.full(len(queries), -1, dtype=np.int8)
            codes[chosen] = values.codes
            out[name] = pd.Categorical.from_codes(codes, dtype=values.dtype)
        else:
            default = np.nan if name.startswith("days_since") else 0.0
            full = np.full(len(queries), default)
            full[chosen] = np.asarray(values)
            out[name] = full
    return out


def _no_queries(config: FeatureConfig) -> dict[str, object]:
    """What ``_compute_all`` gives for no query: each feature without values, in its order."""
    empty = np.zeros(0, dtype=np.float64)
    w = window_label(config.legal_window_days)
    return {
        "in_collective_proceeding": empty,
        "had_collective_proceeding": empty,
        "days_since_collective_proceeding": empty,
        "last_legal_event_kind": pd.Categorical.from_codes(
            np.zeros(0, dtype=np.int8), dtype=pd.CategoricalDtype(list(SEVERITY))
        ),
        "days_since_last_legal_event": empty,
        **{f"{stem}_{w}": empty for stem in COUNTED},
    }


def _compute_all(timeline: LedgerTimeline, queries: Queries) -> dict[str, object]:
    """Legal features for each query, looked up in the event indexes.

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    config = timeline.config
    out: dict[str, object] = {}
    status, status_rank = _index(timeline, STATUS_KINDS)
    last_pos, _ = _last(status, queries)
    collective_ranks = [SEVERITY.index(kind) for kind in COLLECTIVE_PROCEEDING_KINDS]
    active = np.isin(_take(status_rank, last_pos), collective_ranks)
    out["in_collective_proceeding"] = active.astype(np.float64)
    collective, _ = _index(timeline, COLLECTIVE_PROCEEDING_KINDS)
    _, last_day = _last(collective, queries)
    out["had_collective_proceeding"] = (~np.isnan(last_day)).astype(np.float64)
    out["days_since_collective_proceeding"] = queries.days - last_day
    every, every_rank = _index(timeline, None)
    last_pos, last_day = _last(every, queries)
    kind_codes = _take(every_rank, last_pos)  # rank in SEVERITY, -1 when no event
    out["last_legal_event_kind"] = pd.Categorical.from_codes(
        kind_codes, dtype=pd.CategoricalDtype(list(SEVERITY))
    )
    out["days_since_last_legal_event"] = queries.days - last_day
    w = window_label(config.legal_window_days)
    for stem, kinds in COUNTED.items():
        index, _ = _index(timeline, kinds)
        hi = index.before(queries.codes, queries.days)
        lo = index.before(queries.codes, queries.days - config.legal_window_days)
        out[f"{stem}_{w}"] = (hi - lo).astype(np.float64)
    return out

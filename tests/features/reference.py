"""A slow, obviously-correct reference of the features: plain loops, one query at a time.

Written from the definitions in the feature modules' docstrings, independently of the
vectorised code, to check it on generated ledgers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from risk.contracts import PUBLIC_FORMS, SOLE_TRADER_FORMS
from risk.features.config import FeatureConfig
from risk.features.sector import SECTION_OF_DIVISION
from risk.ledger import Ledger

SEVERITY = (
    "director_change", "capital_decrease", "payment_order", "tax_privilege",
    "social_privilege", "proceeding_closed", "plan_adopted", "safeguard", "receivership",
    "liquidation", "company_closed",
)  # fmt: skip
COLLECTIVE = ("safeguard", "receivership", "liquidation")
STATUS = ("proceeding_closed", "plan_adopted", *COLLECTIVE)
NAN = math.nan


def _records(frame: pd.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dict("records")


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _days(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (pd.Timestamp(a) - pd.Timestamp(b)).days


def _group(records: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(record[key], []).append(record)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else NAN


class Reference:
    """Features of one ledger, one (customer, date) at a time."""

    def __init__(self, ledger: Ledger, config: FeatureConfig) -> None:
        self.ledger = ledger
        try:  # the export's undated snapshot is known from its cut-off (never without events)
            self.cutoff = ledger.cutoff
        except ValueError:
            self.cutoff = pd.Timestamp.max
        self.config = config
        self.customers = {r["customer_id"]: r for r in _records(ledger.customers)}
        self.invoices = _records(ledger.invoices)
        self.payments = _records(ledger.payments)
        self.legal = _records(ledger.legal_events)
        self.reminders = _records(ledger.reminders)
        self.has_paid_on = "paid_on" in ledger.invoices.columns
        # records grouped once by owner: the loops below then visit one owner's records only
        self.invoices_of = _group(self.invoices, "customer_id")
        self.payments_of = _group(self.payments, "invoice_id")
        self.reminders_of = _group(self.reminders, "invoice_id")
        self.invoice_by_id = {inv["invoice_id"]: inv for inv in self.invoices}

    def _paid(self, inv: dict) -> pd.Timestamp | None:
        if not self.has_paid_on or _missing(inv["paid_on"]):
            return None
        return inv["paid_on"]

    def payment(self, customer_id: str, t: pd.Timestamp) -> dict[str, float]:
        cfg = self.config
        w, r = cfg.history_window_days, cfg.recent_window_days
        settled = [
            i
            for i in self.invoices_of.get(customer_id, [])
            if i["customer_id"] == customer_id and self._paid(i) is not None and self._paid(i) < t
        ]
        window = [i for i in settled if _days(t, i["paid_on"]) <= w]
        late = {id(i): _days(i["paid_on"], i["due_on"]) for i in settled}
        n = len(window)
        out: dict[str, float] = {
            "n_invoices_settled_12m": n,
            "n_invoices_settled_total": len(settled),
            "days_late_mean_12m": _mean([late[id(i)] for i in window]),
            "days_late_max_12m": max((late[id(i)] for i in window), default=NAN),
            "share_paid_late_12m": _mean([late[id(i)] > 0 for i in window]),
            "share_paid_late_30d_12m": _mean([late[id(i)] > 30 for i in window]),
            "n_invoices_paid_late_60d_12m": sum(late[id(i)] > 60 for i in window),
            "days_to_pay_mean_12m": _mean([_days(i["paid_on"], i["issued_on"]) for i in window]),
            "share_paid_before_due_12m": _mean([late[id(i)] < 0 for i in window]),
        }
        weights = [(w + 1 - _days(t, i["paid_on"])) / w for i in window]
        weighted = sum(wt * late[id(i)] for wt, i in zip(weights, window, strict=True))
        out["days_late_recency_weighted_12m"] = weighted / sum(weights) if window else NAN
        recent = [late[id(i)] for i in window if _days(t, i["paid_on"]) <= r]
        older = [late[id(i)] for i in window if _days(t, i["paid_on"]) > r]
        out["days_late_trend_3m_vs_12m"] = _mean(recent) - _mean(older)
        for h in (30, 90, 180):  # weight 2 ** (-age / h), every settlement before t
            ewm = [(2.0 ** (-_days(t, i["paid_on"]) / h), late[id(i)]) for i in settled]
            total = sum(wt for wt, _ in ewm)
            out[f"days_late_ewm_{h}d"] = sum(wt * d for wt, d in ewm) / total if ewm else NAN
        for lo, hi in ((30, 90), (90, 180)):  # invoices due in [t - hi, t - lo), paid by due
            cohort = [
                i for i in self.invoices_of.get(customer_id, []) if lo < _days(t, i["due_on"]) <= hi
            ]
            out[f"on_time_share_due_{lo}_{hi}d"] = _mean(
                [self._paid(i) is not None and self._paid(i) <= i["due_on"] for i in cohort]
            )
        late_days = [i["paid_on"] for i in settled if late[id(i)] > 0]
        out["days_since_last_late_payment"] = _days(t, max(late_days)) if late_days else NAN
        if "disputed" in self.ledger.invoices.columns:
            out["dispute_rate_12m"] = _mean([bool(i["disputed"]) for i in window])
        if self.ledger.payments is not None:
            n_pay = [
                sum(
                    p["invoice_id"] == i["invoice_id"] and p["paid_on"] <= i["paid_on"]
                    for p in self.payments_of.get(i["invoice_id"], [])
                )
                for i in window
            ]
            out["partial_payment_rate_12m"] = _mean([k >= 2 for k in n_pay])
        if self.ledger.reminders is not None:
            n_rem = [
                sum(
                    m["invoice_id"] == i["invoice_id"] and m["sent_on"] <= i["paid_on"]
                    for m in self.reminders_of.get(i["invoice_id"], [])
                )
                for i in window
            ]
            out["reminders_per_invoice_12m"] = _mean(n_rem)
        return out

    def _open_amount(self, inv: dict, t: pd.Timestamp) -> float:
        paid = sum(
            p["amount"]
            for p in self.payments_of.get(inv["invoice_id"], [])
            if p["invoice_id"] == inv["invoice_id"] and p["paid_on"] < t
        )
        return inv["amount"] - paid

    def exposure(self, customer_id: str, t: pd.Timestamp) -> dict[str, float]:
        buckets = dict.fromkeys(("not_due", "1_30", "31_60", "61_90", "91_plus"), 0.0)
        largest, oldest, count = 0.0, NAN, 0
        for inv in self.invoices_of.get(customer_id, []):
            paid = self._paid(inv)
            if inv["customer_id"] != customer_id or not inv["issued_on"] < t:
                continue
            if paid is not None and paid < t:
                continue
            amount = self._open_amount(inv, t)
            dpd = _days(t, inv["due_on"])
            name = (
                "not_due"
                if dpd <= 0
                else "1_30"
                if dpd <= 30
                else "31_60"
                if dpd <= 60
                else "61_90"
                if dpd <= 90
                else "91_plus"
            )
            buckets[name] += amount
            count += 1
            largest = max(largest, amount)
            oldest = dpd if math.isnan(oldest) else max(oldest, dpd)
        total = sum(buckets.values())
        out = {f"open_amount_{k}": v for k, v in buckets.items()}
        out.update(
            open_amount_total=total,
            n_open_invoices=count,
            open_invoice_amount_max=largest,
            open_days_past_due_max=oldest,
        )
        sales = sum(
            i["amount"]
            for i in self.invoices_of.get(customer_id, [])
            if i["customer_id"] == customer_id
            and i["issued_on"] < t
            and _days(t, i["issued_on"]) <= 90
        )
        out["dso_days_3m"] = total / sales * 90 if sales else NAN
        if "credit_limit" in self.ledger.customers.columns:
            # the limit at t: the last history row valid from t or before; the customers
            # table is the export's snapshot, its limit known from the cut-off on
            limit = NAN
            for row in sorted(
                (r for r in _records(self.ledger.credit_limits) if r["customer_id"] == customer_id),
                key=lambda r: (r["valid_from"], r["credit_limit"]),
            ):
                if row["valid_from"] <= t:
                    limit = row["credit_limit"]
            current = self.customers[customer_id]["credit_limit"]
            if t >= self.cutoff and not _missing(current):
                limit = current
            ok = not _missing(limit) and limit > 0
            out["credit_limit_utilisation"] = total / limit if ok else NAN
        return out

    def customer(self, customer_id: str, t: pd.Timestamp) -> dict[str, object]:
        row = self.customers[customer_id]
        cols = self.ledger.customers.columns
        out: dict[str, object] = {}
        if "legal_form" in cols:
            form = row["legal_form"]
            out["legal_form"] = None if _missing(form) else form
            out["is_sole_trader"] = NAN if _missing(form) else float(form in SOLE_TRADER_FORMS)
            out["is_public_buyer"] = NAN if _missing(form) else float(form in PUBLIC_FORMS)
        if "naf_code" in cols:
            code = row["naf_code"]
            out["naf_division"] = None if _missing(code) else code[:2]
            out["naf_section"] = None if _missing(code) else SECTION_OF_DIVISION[code[:2]]
        for name, col in (
            ("employees_count", "employees"),
            ("agreed_terms_days", "payment_terms_days"),
            ("end_of_month_terms", "end_of_month_terms"),
        ):
            if col in cols:
                out[name] = NAN if _missing(row[col]) else float(row[col])
        if "created_on" in cols:
            created = row["created_on"]
            out["company_age_years"] = NAN if _missing(created) else _days(t, created) / 365.25
        return out

    def legal_features(self, customer_id: str, t: pd.Timestamp) -> dict[str, object]:
        if self.ledger.legal_events is None:
            return {}
        known = [e for e in self.legal if e["customer_id"] == customer_id and e["published_on"] < t]

        def order(e: dict) -> tuple:
            return (e["published_on"], SEVERITY.index(e["kind"]))

        status = [e for e in known if e["kind"] in STATUS]
        collective = [e for e in known if e["kind"] in COLLECTIVE]
        last_status = max(status, key=order) if status else None
        last = max(known, key=order) if known else None
        out: dict[str, object] = {
            "in_collective_proceeding": float(
                last_status is not None and last_status["kind"] in COLLECTIVE
            ),
            "had_collective_proceeding": float(bool(collective)),
            "days_since_collective_proceeding": (
                _days(t, max(e["published_on"] for e in collective)) if collective else NAN
            ),
            "last_legal_event_kind": last["kind"] if last else None,
            "days_since_last_legal_event": _days(t, last["published_on"]) if last else NAN,
        }
        recent = [e["kind"] for e in known if _days(t, e["published_on"]) <= 365]
        out["n_privileges_12m"] = sum(k in ("tax_privilege", "social_privilege") for k in recent)
        out["n_payment_orders_12m"] = recent.count("payment_order")
        out["n_director_changes_12m"] = recent.count("director_change")
        out["n_capital_decreases_12m"] = recent.count("capital_decrease")
        return out

    def cold_start(self, customer_id: str, t: pd.Timestamp) -> dict[str, float]:
        issued = [
            i["issued_on"]
            for i in self.invoices_of.get(customer_id, [])
            if i["customer_id"] == customer_id and i["issued_on"] < t
        ]
        out = {
            "n_invoices_issued_total": len(issued),
            "relationship_age_days": _days(t, min(issued)) if issued else NAN,
        }
        if self.has_paid_on:
            out["has_history"] = float(
                any(
                    i["customer_id"] == customer_id
                    and self._paid(i) is not None
                    and self._paid(i) < t
                    for i in self.invoices_of.get(customer_id, [])
                )
            )
        return out

    def customer_features(self, customer_id: str, t: pd.Timestamp) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.has_paid_on:
            out.update(self.payment(customer_id, t))
            out.update(self.exposure(customer_id, t))
        out.update(self.customer(customer_id, t))
        out.update(self.legal_features(customer_id, t))
        out.update(self.cold_start(customer_id, t))
        return out

    def invoice_features(self, invoice_id: str, t: pd.Timestamp) -> dict[str, object]:
        inv = self.invoice_by_id[invoice_id]
        out = self.customer_features(inv["customer_id"], t)
        amounts = [
            i["amount"]
            for i in self.invoices_of[inv["customer_id"]]
            if i["customer_id"] == inv["customer_id"]
            and i["issued_on"] < t
            and _days(t, i["issued_on"]) <= 365
        ]
        out["invoice_amount"] = inv["amount"]
        out["invoice_amount_to_mean_12m"] = inv["amount"] / _mean(amounts) if amounts else NAN
        out["invoice_terms_days"] = _days(inv["due_on"], inv["issued_on"])
        out["issue_month"] = inv["issued_on"].month
        out["due_month"] = inv["due_on"].month
        if "channel" in self.ledger.invoices.columns:
            out["invoice_channel"] = None if _missing(inv["channel"]) else inv["channel"]
        # open dispute at t: a reminder answered "dispute" before t on an invoice not settled
        # before t; the undated flag (the export's state) from the cut-off date on
        if "disputed" not in self.ledger.invoices.columns:
            return out
        paid = inv.get("paid_on")
        unsettled = _missing(paid) or paid >= t
        answered = self.ledger.reminders is not None and "outcome" in self.ledger.reminders.columns
        said = answered and any(
            m["outcome"] == "dispute" and m["sent_on"] < t
            for m in self.reminders_of.get(invoice_id, [])
        )
        dated = said and unsettled
        if self.ledger.disputes is not None:  # the disputes table, when present, is the source
            dated = any(
                row["opened_on"] < t
                and (_missing(row.get("resolved_on")) or row["resolved_on"] >= t)
                for row in _records(self.ledger.disputes)
                if row["invoice_id"] == invoice_id
            )
        flag = bool(inv.get("disputed", False)) and t >= self.cutoff and unsettled
        out["invoice_disputed"] = float(dated or flag)
        return out


def reference_customer_frame(
    ledger: Ledger, pairs: Iterable[tuple[str, pd.Timestamp]], config: FeatureConfig
) -> pd.DataFrame:
    ref = Reference(ledger, config)
    return pd.DataFrame([ref.customer_features(c, pd.Timestamp(t)) for c, t in pairs])


def reference_invoice_frame(
    ledger: Ledger, pairs: Iterable[tuple[str, pd.Timestamp]], config: FeatureConfig
) -> pd.DataFrame:
    ref = Reference(ledger, config)
    return pd.DataFrame([ref.invoice_features(i, pd.Timestamp(t)) for i, t in pairs])

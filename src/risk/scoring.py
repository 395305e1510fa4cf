"""The scoring core: one code path for the HTTP service, the batch job and the notebooks.

Features come from ``risk.features`` (the very code the models were trained on), probabilities
from the registered models, grades from the grade scale, reason codes from ``risk.explain``
and credit limits from the credit policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risk import registry
from risk.contracts import PUBLIC_FORMS
from risk.decisions.credit import (
    CreditPolicy,
    active_proceedings,
    monthly_sales,
    typical_invoice,
)
from risk.decisions.credit_limits import suggest_limits
from risk.decisions.policy_check import policy_warnings
from risk.explain import Reason, reasons_text, top_reasons
from risk.features import FeatureConfig, customer_features_as_of, invoice_features_as_of
from risk.grades import GradeScale
from risk.ledger import Ledger, subset_ledger
from risk.lookup import fast_isin
from risk.model.bundle import RiskModel
from risk.portfolio import open_amounts
from risk.timing.score import OpenInvoiceScores, invoice_and_book_scores

logger = logging.getLogger(__name__)

NO_DEFAULT_MODEL = (
    "no customer default model (payment-risk-default): grades and credit limits come from the "
    "12-month default PD; train it with `risk train --level default` (or `risk run`)"
)


def load_default_model(store: registry.Store, alias: str = registry.CHAMPION) -> RiskModel:
    """The registered default model, or an error naming the command that trains it.

    Raises:
        registry.ModelNotFoundError: no default model with that alias in ``store``.
    """
    try:
        return registry.load_model(store, "default", alias=alias)
    except registry.ModelNotFoundError as exc:
        raise registry.ModelNotFoundError(
            f"{NO_DEFAULT_MODEL} (alias {alias!r} in {store.tracking_uri})"
        ) from exc


class UnknownEntityError(KeyError):
    """A customer or invoice id is not in the ledger."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Scorer:
    """Loaded models and decision settings; every scoring entry point is a method."""

    customer_model: RiskModel
    invoice_model: RiskModel
    policy: CreditPolicy = field(default_factory=CreditPolicy)
    scale: GradeScale = field(default_factory=GradeScale)
    top_reasons: int = 3
    default_model: RiskModel | None = None
    timing_model: RiskModel | None = None

    @classmethod
    def from_registry(
        cls,
        store: registry.Store,
        alias: str = registry.CHAMPION,
        policy: CreditPolicy | None = None,
        scale: GradeScale | None = None,
    ) -> Scorer:
        """Load the invoice, customer late-payment, customer default and payment-timing models
        by alias (hash-verified); grades come from the policy's master scale unless ``scale`` is
        given.

        Without a registered payment-timing model, open invoices are scored by the issue-date
        invoice model (and the timing columns are empty); a warning says so.

        Raises:
            registry.ModelNotFoundError: a level has no model with that alias (for the default
                model, the message names the command that trains it).
        """
        policy = policy or CreditPolicy.load()
        return cls(
            customer_model=registry.load_model(store, "customer", alias=alias),
            invoice_model=registry.load_model(store, "invoice", alias=alias),
            policy=policy,
            scale=scale or policy.grade_scale(),
            default_model=load_default_model(store, alias),
            timing_model=load_timing_model(store, alias),
        )

    @property
    def versions(self) -> dict[str, str]:
        """Model name -> version, for stamping every output row."""
        return {
            m.metadata.get("model_name", f"payment-risk-{m.level}"): str(
                m.metadata.get("model_version", "local")
            )
            for m in (
                self.customer_model,
                self.invoice_model,
                self.default_model,
                self.timing_model,
            )
            if m is not None
        }

    def policy_warnings(self, lang: str = "en") -> list[str]:
        """Warnings to show beside the decisions: the policy's default event differs from the
        one the default model was trained with (``risk.decisions.policy_check``)."""
        model = self.default_model
        return policy_warnings(
            self.policy,
            None if model is None else model.metadata,
            "fr" if lang == "fr" else "en",
        )

    def _feature_config(self, model: RiskModel) -> FeatureConfig:
        return FeatureConfig(
            late_after_days=int(model.metadata.get("late_after_days", 30)),
            horizon_days=int(model.metadata.get("horizon_days", 180)),
        )

    def _explain(
        self,
        model: RiskModel,
        frame: pd.DataFrame,
        explain: bool,
        inputs: pd.DataFrame | None = None,
    ) -> list[list[Reason]]:
        if not explain or frame.empty:
            return [[] for _ in range(len(frame))]
        return top_reasons(model, frame, top=self.top_reasons, inputs=inputs)

    def customer_features(
        self, ledger: Ledger, as_of: pd.Timestamp, customer_ids: list[str] | None = None
    ) -> pd.DataFrame:
        """Customer features as of ``as_of`` for the given customers (default: all).

        Raises:
            UnknownEntityError: an id is not in the ledger's customers.
        """
        ids = (
            ledger.customers["customer_id"]
            if customer_ids is None
            else pd.Series(customer_ids, dtype="str")
        )
        unknown = sorted(set(ids) - set(ledger.customers["customer_id"]))
        if unknown:
            raise UnknownEntityError(f"unknown customer_id(s): {', '.join(unknown[:10])}")
        queries = pd.DataFrame({"customer_id": ids.to_numpy(), "as_of": pd.Timestamp(as_of)})
        return customer_features_as_of(ledger, queries, self._feature_config(self.customer_model))

    def score_customers(
        self,
        ledger: Ledger,
        as_of: pd.Timestamp,
        customer_ids: list[str] | None = None,
        explain: bool = True,
    ) -> pd.DataFrame:
        """Probabilities, grade, reasons and credit-limit suggestion per customer at ``as_of``.

        ``probability`` is the late-payment probability (drives dunning); ``pd_default`` the
        12-month default PD, which gives the ``grade`` (master scale) and the credit limit.

        Raises:
            registry.ModelNotFoundError: no default model (``default_model`` is None).
            UnknownEntityError: an id is not in the ledger's customers.
        """
        if self.default_model is None:
            raise registry.ModelNotFoundError(NO_DEFAULT_MODEL)
        as_of = pd.Timestamp(as_of)
        scored = customer_ids
        if customer_ids is not None:  # group members too: limits are consolidated per group
            scored = self._with_group_members(ledger, customer_ids)
            if len(set(scored)) < len(ledger.customers):  # an inline ledger is its customers'
                ledger = subset_ledger(ledger, scored)
        frame = self.customer_features(ledger, as_of, scored).reset_index(drop=True)
        # each model's inputs are prepared once per call (shared by prediction and reasons)
        inputs = self.customer_model.prepare(frame) if len(frame) else frame
        p = self.customer_model.predict_prepared(inputs)
        pd_default = self.default_model.predict_prepared(
            inputs
            if self.default_model.same_inputs(self.customer_model) or not len(frame)
            else self.default_model.prepare(frame, like=(self.customer_model, inputs))
        )
        grades = self.scale.grade(pd_default) if len(p) else np.array([], dtype=object)
        limits = suggest_limits(
            self._limit_inputs(ledger, as_of, frame, pd_default, grades), self.policy
        )
        if customer_ids is not None:
            wanted = frame["customer_id"].isin(customer_ids).to_numpy()
            frame, p, grades = frame[wanted].reset_index(drop=True), p[wanted], grades[wanted]
            pd_default = pd_default[wanted]
            inputs = inputs[wanted].reset_index(drop=True)
        reasons = self._explain(self.customer_model, frame, explain, inputs)
        out = pd.DataFrame(
            {
                "customer_id": frame["customer_id"].astype("str"),
                "as_of": as_of,
                "probability": p,
                "pd_default": pd_default,
                "grade": pd.Series(grades, dtype="str"),
                "reasons_en": [reasons_text(r, "en") for r in reasons],
                "reasons_fr": [reasons_text(r, "fr") for r in reasons],
            }
        )
        out = out.merge(limits, on="customer_id", how="left")
        out["reasons"] = reasons
        return self._stamp(out)

    def _with_group_members(self, ledger: Ledger, customer_ids: list[str]) -> list[str]:
        """The ids plus the other members of their groups (limits are consolidated per group).

        Raises:
            UnknownEntityError: an id is not in the ledger's customers.
        """
        customers = ledger.customers
        unknown = sorted(set(customer_ids) - set(customers["customer_id"]))
        if unknown:
            raise UnknownEntityError(f"unknown customer_id(s): {', '.join(unknown[:10])}")
        if "group_id" not in customers:
            return list(customer_ids)
        chosen = customers["customer_id"].isin(customer_ids)
        groups = customers.loc[chosen, "group_id"].dropna()
        members = customers.loc[customers["group_id"].isin(groups), "customer_id"]
        return sorted(set(customer_ids) | set(members))

    def _limit_inputs(
        self,
        ledger: Ledger,
        as_of: pd.Timestamp,
        frame: pd.DataFrame,
        p: np.ndarray,
        grades: np.ndarray,
    ) -> pd.DataFrame:
        customers = ledger.customers
        ids = frame["customer_id"].astype("str")
        # each customer's row, found once (ids are known customers: checked by the caller)
        rows = pd.Index(customers["customer_id"]).get_indexer(ids)
        # to the cent: a float sum depends on the order of the rows (one customer alone or
        # the whole portfolio), and an exposure ending in .50 would then print either way
        exposure = open_amounts(ledger, as_of).groupby("customer_id")["open_amount"].sum().round(2)
        window = self.policy.sales_window_days

        def column(name: str, default: object) -> pd.Series:
            if name in customers:
                return customers[name].take(rows).set_axis(ids.index)
            return pd.Series(default, index=ids.index)

        def by_customer(values: pd.Series) -> np.ndarray:
            return values.reindex(ids.to_numpy()).to_numpy()

        return pd.DataFrame(
            {
                "customer_id": ids,
                "pd": p,
                "grade": grades,
                "monthly_sales": np.nan_to_num(
                    by_customer(monthly_sales(ledger, as_of, window)).astype("float64"), nan=0.0
                ),
                "terms_days": column("payment_terms_days", 30),
                "end_of_month": column("end_of_month_terms", False),
                "has_history": frame["has_history"].fillna(0).astype(bool)
                if "has_history" in frame
                else True,
                "proceeding": by_customer(active_proceedings(ledger, as_of)),
                "current_limit": column("credit_limit", np.nan),
                "exposure": np.nan_to_num(by_customer(exposure).astype("float64"), nan=0.0),
                "group_id": column("group_id", None),
                "insured_limit": column("insured_limit", np.nan),
                "public_buyer": column("legal_form", None).isin(PUBLIC_FORMS),
                "typical_invoice": by_customer(typical_invoice(ledger, as_of, window)),
            }
        )

    def score_invoices(
        self,
        ledger: Ledger,
        as_of: pd.Timestamp,
        invoice_ids: list[str] | None = None,
        explain: bool = True,
    ) -> pd.DataFrame:
        """P(late) of open invoices at ``as_of`` with the expected amount at risk and reasons.

        With a payment-timing model (``risk.timing``) every column comes from it, computed on
        the invoice's state at ``as_of``: ``probability`` = P(paid more than L days after due)
        (1 once more than L days past due), ``p_late_30``, ``p_late_60``, ``p_unpaid_13w``,
        ``p_lost`` (written off or frozen by a proceeding), ``expected_loss``,
        ``expected_paid_on``, ``median_paid_on`` and ``expected_at_risk`` (open amount x
        ``risk.timing.predict.at_risk_probability``); without one, the issue-date model gives
        ``probability`` and ``expected_at_risk`` = P x open amount, the timing columns empty.

        Raises:
            UnknownEntityError: an id is not in the ledger's invoices.
        """
        return self._score_invoices(ledger, as_of, invoice_ids, explain, book=False)[0]

    def score_invoices_and_book(
        self, ledger: Ledger, as_of: pd.Timestamp, explain: bool = True
    ) -> tuple[pd.DataFrame, OpenInvoiceScores | None]:
        """``score_invoices`` of every open invoice and, with a payment-timing model, every
        invoice open at ``as_of`` scored in the same pass (``risk.timing.score``'s
        ``OpenInvoiceScores``, the cash-in forecast's input): the batch scores a chunk once.
        None without a payment-timing model."""
        return self._score_invoices(ledger, as_of, None, explain, book=True)

    def _score_invoices(
        self,
        ledger: Ledger,
        as_of: pd.Timestamp,
        invoice_ids: list[str] | None,
        explain: bool,
        book: bool,
    ) -> tuple[pd.DataFrame, OpenInvoiceScores | None]:
        as_of = pd.Timestamp(as_of)
        if invoice_ids is not None:
            # the asked ids matched column-wise: a Python set of every invoice id of a large
            # ledger cost most of a one-invoice rescoring (a recorded action)
            named = ledger.invoices.loc[
                fast_isin(ledger.invoices["invoice_id"], pd.Series(invoice_ids, dtype=object)),
                ["invoice_id", "customer_id"],
            ]
            unknown = sorted(set(invoice_ids) - set(named["invoice_id"]))
            if unknown:
                raise UnknownEntityError(f"unknown invoice_id(s): {', '.join(unknown[:10])}")
            ledger = subset_ledger(ledger, sorted(set(named["customer_id"])))
        items = open_amounts(ledger, as_of)
        items = items[
            ledger.invoices.set_index("invoice_id").loc[items["invoice_id"], "issued_on"].to_numpy()
            < as_of
        ]
        if invoice_ids is not None:
            unknown = sorted(set(invoice_ids) - set(ledger.invoices["invoice_id"]))
            if unknown:
                raise UnknownEntityError(f"unknown invoice_id(s): {', '.join(unknown[:10])}")
            items = items[items["invoice_id"].isin(invoice_ids)]
        items = items.reset_index(drop=True)
        if self.timing_model is not None:  # the payment-timing model (risk.timing)
            scores, opened = invoice_and_book_scores(
                self.timing_model, ledger, items, as_of, explain, self.top_reasons, book
            )
            return self._stamp(scores), opened
        queries = pd.DataFrame({"invoice_id": items["invoice_id"], "as_of": as_of})
        frame = invoice_features_as_of(
            ledger, queries, self._feature_config(self.invoice_model)
        ).reset_index(drop=True)
        inputs = self.invoice_model.prepare(frame) if len(frame) else frame
        p = self.invoice_model.predict_prepared(inputs)
        reasons = self._explain(self.invoice_model, frame, explain, inputs)
        out = items.assign(
            as_of=as_of,
            probability=p,
            expected_at_risk=p * items["open_amount"].to_numpy(),
            reasons_en=[reasons_text(r, "en") for r in reasons],
            reasons_fr=[reasons_text(r, "fr") for r in reasons],
            reasons=reasons,
            **{
                name: np.nan
                for name in ("p_late_30", "p_late_60", "p_unpaid_13w", "p_lost", "expected_loss")
            },
            expected_paid_on=pd.NaT,
            median_paid_on=pd.NaT,
        )
        return self._stamp(out), None

    def _stamp(self, frame: pd.DataFrame) -> pd.DataFrame:
        versions = ", ".join(f"{name} v{version}" for name, version in self.versions.items())
        return frame.assign(model_versions=versions)


def load_timing_model(store: registry.Store, alias: str = registry.CHAMPION) -> RiskModel | None:
    """The payment-timing model with ``alias``, or None (logged) when none is registered."""
    try:
        return registry.load_model(store, "timing", alias=alias)
    except registry.ModelNotFoundError:
        logger.warning(
            "no payment-timing model with alias %r: open invoices are scored by the issue-date "
            "model (train one with `risk train --level timing`)",
            alias,
        )
        return None

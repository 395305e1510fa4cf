"""Wiring of the generator: one seed, child generators per stage, ledger and truth tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.ledger import Ledger
from risk.synth import calibration as cal
from risk.synth.behaviour import (
    Behaviour,
    draw_behaviour,
    knowable_at_issue,
    late_probability_at_issue,
)
from risk.synth.config import SampleConfig
from risk.synth.customers import (
    CustomerDraw,
    Window,
    customer_ids,
    customers_frame,
    draw_customers,
)
from risk.synth.dated import credit_limits_frame, disputes_frame
from risk.synth.dates import NEVER, to_datetime
from risk.synth.ids import make_ids, strings_from_codes
from risk.synth.invoices import InvoiceDraw, draw_invoices, invoice_ids
from risk.synth.knowable import customer_latent_frame, knowable_columns
from risk.synth.latent import FailureTimeline, draw_failures, latent_paths
from risk.synth.legal import legal_events_frame
from risk.synth.reminders import reminders_frame
from risk.synth.settlement import Settlement, settle
from risk.synth.statuses import invoice_statuses_frame

logger = logging.getLogger(__name__)

_STAGES = ("customers", "failures", "latent", "invoices", "behaviour", "settlement", "reminders",
           "legal", "names")  # fmt: skip


@dataclass(frozen=True)
class Portfolio:
    """A synthetic ledger and the latent truth it was drawn from.

    Attributes:
        ledger: the observable ledger (what a company's ERP would hold at the end date).
        truth: ``invoice_truth`` and ``customer_truth`` frames (never part of the ledger).
    """

    ledger: Ledger
    truth: dict[str, pd.DataFrame]


def _invoices_frame(
    inv: InvoiceDraw, beh: Behaviour, cash: Settlement, ids: pd.Series, cust_ids: pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ids,
            "customer_id": cust_ids.take(inv.customer).reset_index(drop=True),
            "issued_on": to_datetime(inv.issued_day),
            "due_on": to_datetime(inv.due_day),
            "amount": inv.amount,
            "paid_on": to_datetime(beh.pay_day, missing=~cash.paid),
            "amount_paid": cash.amount_paid,
            "disputed": beh.disputed,
            "channel": strings_from_codes(inv.electronic.astype(np.int64), ("paper", "electronic")),
        }
    )


def _side_tables(
    cash: Settlement, inv: InvoiceDraw, ids: pd.Series, cust_ids: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the ``payments`` and ``credit_notes`` tables, sorted by date then invoice."""
    order = np.lexsort((cash.payment_invoice, cash.payment_day))
    pay_invoice = cash.payment_invoice[order]
    payments = pd.DataFrame(
        {
            "payment_id": make_ids(
                "PAY", np.arange(1, order.size + 1), max(8, len(str(order.size)))
            ),
            "invoice_id": ids.take(pay_invoice).reset_index(drop=True),
            "paid_on": to_datetime(cash.payment_day[order]),
            "amount": cash.payment_amount[order],
        }
    )
    order = np.lexsort((cash.credit_invoice, cash.credit_day))
    credit_invoice = cash.credit_invoice[order]
    credit_notes = pd.DataFrame(
        {
            "credit_note_id": make_ids(
                "CN", np.arange(1, order.size + 1), max(7, len(str(order.size)))
            ),
            "customer_id": cust_ids.take(inv.customer[credit_invoice]).reset_index(drop=True),
            "invoice_id": ids.take(credit_invoice).reset_index(drop=True),
            "issued_on": to_datetime(cash.credit_day[order]),
            "amount": cash.credit_amount[order],
        }
    )
    return payments, credit_notes


def _truth(
    draw: CustomerDraw,
    timeline: FailureTimeline,
    latent: npt.NDArray[np.float32],
    beh: Behaviour,
    ids: pd.Series,
    cust_ids: pd.Series,
    config: SampleConfig,
    p_late_at_issue: npt.NDArray[np.float64] | None = None,
) -> dict[str, pd.DataFrame]:
    """Build ``invoice_truth`` and ``customer_truth``."""
    invoice_truth = pd.DataFrame(
        {
            "invoice_id": ids,
            "p_late": beh.p_late,
            **({} if p_late_at_issue is None else {"p_late_at_issue": p_late_at_issue}),
            "days_late_drawn": beh.days_late,
            "frozen": beh.frozen,
            "late": beh.frozen | (beh.days_late > config.late_threshold_days),
            "latent_lateness": beh.latent.astype(np.float64),
            # what the generator knows about timing, for open invoices at any date
            # (``risk.synth.open_truth.open_late_truth``)
            "late_branch_probability": beh.late_branch,
            "late_scale_days": beh.late_scale,
            "opening_on": to_datetime(beh.next_opening, missing=beh.next_opening >= NEVER),
        }
    )
    failed = timeline.first_day < NEVER
    kind = strings_from_codes(np.maximum(timeline.first_kind, 0), cal.FIRST_PROCEEDING_KINDS)
    customer_truth = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "is_public": draw.is_public,
            "initial_discipline": -latent[:, 0].astype(np.float64),
            "lateness_level_days": draw.lateness_days,
            "annual_failure_hazard": timeline.annual_hazard,
            "failed_on": to_datetime(timeline.first_day, missing=~failed),
            "failure_kind": kind.where(pd.Series(failed)),
            "liquidated_on": to_datetime(
                timeline.liquidation_day, missing=timeline.liquidation_day >= NEVER
            ),
            "deterioration_months": pd.Series(timeline.ramp_months, dtype="Int64").where(
                pd.Series(failed)
            ),
        }
    )
    return {"invoice_truth": invoice_truth, "customer_truth": customer_truth}


def generate_portfolio(config: SampleConfig) -> Portfolio:
    """Generate a synthetic French B2B receivables portfolio.

    Args:
        config: sizes, seed, end date and calibration parameters.

    Returns:
        The ledger (customers, invoices, credit notes, payments, legal events, reminders,
        disputes, credit-limit history, e-invoicing statuses) and
        the truth tables. The same config always gives identical frames.

    Example:
        >>> portfolio = generate_portfolio(SampleConfig(customers=20, seed=1))
        >>> sorted(portfolio.truth)
        ['customer_latent', 'customer_truth', 'invoice_truth']
    """
    rng = dict(zip(_STAGES, np.random.default_rng(config.seed).spawn(len(_STAGES)), strict=True))
    window = Window.from_config(config)
    draw = draw_customers(rng["customers"], config, window)
    timeline = draw_failures(rng["failures"], draw, window, config)
    latent = latent_paths(rng["latent"], draw, timeline, window, config)
    inv = draw_invoices(rng["invoices"], draw, timeline, window)
    segment = np.log(draw.lateness_days / config.mean_days_late)
    beh = draw_behaviour(rng["behaviour"], inv, latent, timeline, window, config, segment)
    cash = settle(rng["settlement"], inv, beh, window, config)
    cust_ids, ids = customer_ids(draw.size), invoice_ids(inv.size)
    payments, credit_notes = _side_tables(cash, inv, ids, cust_ids)
    invoices = _invoices_frame(inv, beh, cash, ids, cust_ids)
    reminders = reminders_frame(rng["reminders"], inv, beh, window, ids)
    ledger = Ledger(
        customers=customers_frame(draw, rng["names"], timeline.liquidation_day <= window.end_day),
        invoices=invoices,
        credit_notes=credit_notes,
        payments=payments,
        legal_events=legal_events_frame(rng["legal"], draw, timeline, window, cust_ids),
        reminders=reminders,
        disputes=disputes_frame(invoices, reminders),  # dated facts: no random draw
        credit_limits=credit_limits_frame(draw, timeline, window, invoices),
    )
    ledger = ledger.with_tables(invoice_statuses=invoice_statuses_frame(ledger, config.seed))
    logger.info("generated %d customers and %d invoices", draw.size, inv.size)
    fair = late_probability_at_issue(inv, latent, window, config, segment)
    truth = _truth(draw, timeline, latent, beh, ids, cust_ids, config, fair)
    # what a fair ceiling at any snapshot date reads (``risk.synth.open_truth``)
    known_shift, p_dispute = knowable_at_issue(inv, config)
    truth["invoice_truth"] = truth["invoice_truth"].assign(
        **knowable_columns(ledger, known_shift, p_dispute)
    )
    truth["customer_latent"] = customer_latent_frame(latent, window, cust_ids)
    return Portfolio(ledger, truth)

"""Fair ceilings (issue 19, finding 1): the truth's probability from what is knowable at issue."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import gamma

from risk.synth import SampleConfig, generate_portfolio
from risk.synth import calibration as cal
from risk.synth.behaviour import DISPUTE_SHIFT, LATE_SHAPE, _mixture, late_probability_at_issue
from risk.synth.customers import Window
from risk.synth.dates import month_number, month_of_year
from risk.synth.invoices import InvoiceDraw


def test_p_late_at_issue_follows_the_rule_for_one_invoice_by_hand() -> None:
    """One electronic invoice of 1,000 EUR due the month after its issue; customer latent 0.4
    in the issue month and 3.0 afterwards: the later drift is not knowable at issue. Its
    segment's latent is 0.1, so its distress at issue is 0.3 (0.3 + 1 if disputed)."""
    config = SampleConfig(customers=1, years=1, seed=1)
    window = Window.from_config(config)
    issued = window.start_day + 70
    due = issued + 30
    issue_month = month_number(np.array([issued]))[0]
    assert month_number(np.array([due]))[0] != issue_month
    invoice = InvoiceDraw(
        customer=np.array([0]),
        issued_day=np.array([issued]),
        due_day=np.array([due]),
        amount=np.array([1000.0]),
        electronic=np.array([True]),
    )
    latent = np.full((1, window.n_months), 3.0, dtype=np.float32)
    latent[0, issue_month - window.start_month] = 0.4
    p = late_probability_at_issue(invoice, latent, window, config, segment=np.array([0.1]))
    # the rule as written in docs/synthetic-data.md, with no proceeding ahead:
    # P(late) = (1 - q) * P(X >= L), X ~ Gamma(k, s / k), averaged over the dispute (p_d =
    # dispute rate for an electronic invoice up to 5,000 EUR); z = issue-month latent + due
    # month's season, distress = issue-month latent - segment latent (+ the dispute's shift)
    own = float(np.float32(0.4))
    z = own + cal.SEASONAL_SHIFT.get(int(month_of_year(np.array([due]))[0]), 0.0)
    expected = 0.0
    for shift, weight in ((0.0, 1 - config.dispute_rate), (DISPUTE_SHIFT, config.dispute_rate)):
        branch, scale = _mixture(config, np.array([z + shift]), np.array([own - 0.1 + shift]))
        tail = gamma.sf(config.late_threshold_days, LATE_SHAPE, scale=scale[0] / LATE_SHAPE)
        expected += weight * branch[0] * tail
    assert p[0] == pytest.approx(expected, rel=1e-12)


@pytest.fixture(scope="module")
def portfolio():
    return generate_portfolio(SampleConfig(customers=200, years=3, seed=4))


def test_fair_ceiling_is_below_the_full_truth_and_keeps_the_late_rate(portfolio) -> None:
    from sklearn.metrics import roc_auc_score

    truth = portfolio.truth["invoice_truth"]
    full = roc_auc_score(truth["late"], truth["p_late"])
    fair = roc_auc_score(truth["late"], truth["p_late_at_issue"])
    assert fair < full  # post-issue facts are worth AUC
    assert abs(truth["p_late_at_issue"].mean() - truth["late"].mean()) < 0.02


def test_disputes_and_future_proceedings_do_not_move_the_fair_probability(portfolio) -> None:
    """Same customer, month, channel and size class: disputed or not, the same probability."""
    truth = portfolio.truth["invoice_truth"]
    invoices = portfolio.ledger.invoices.set_index("invoice_id").loc[truth["invoice_id"]]
    frame = truth.assign(
        customer_id=invoices["customer_id"].to_numpy(),
        issued=invoices["issued_on"].dt.to_period("M").to_numpy(),
        due=invoices["due_on"].dt.to_period("M").to_numpy(),
        channel=invoices["channel"].to_numpy(),
        big=(invoices["amount"] > 5000).to_numpy(),
        disputed=invoices["disputed"].to_numpy(),
    )
    groups = frame.groupby(["customer_id", "issued", "due", "channel", "big"])
    spread_fair = groups["p_late_at_issue"].agg(lambda s: s.max() - s.min())
    mixed = groups["disputed"].nunique() > 1
    assert mixed.any()
    assert (spread_fair[mixed] < 1e-12).all()
    spread_full = groups["p_late"].agg(lambda s: s.max() - s.min())
    assert (spread_full[mixed] > 1e-6).any()  # the full truth sees the dispute


def test_training_reports_the_fair_ceiling_beside_the_full_truth(tmp_path, store) -> None:
    from risk.train import TrainConfig, train

    portfolio = generate_portfolio(SampleConfig(customers=200, years=3, seed=4))
    truth = portfolio.truth["invoice_truth"]
    result = train(
        portfolio.ledger, TrainConfig(), store, truth=truth, report_dir=tmp_path / "report"
    )
    assert result.fair_oracle_auc is not None and result.oracle_auc is not None
    assert result.fair_oracle_auc < result.oracle_auc
    report = (tmp_path / "report" / "report.md").read_text()
    assert "fair ceiling AUC (knowable at issue)" in report and "gap to fair ceiling" in report
    assert "facts dated after issue" in report
    assert any("fair ceiling AUC" in line for line in result.summary())

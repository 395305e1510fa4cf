"""Synthetic French B2B receivables portfolios, calibrated on published figures.

Example:
    >>> from risk.synth import SampleConfig, generate_portfolio
    >>> portfolio = generate_portfolio(SampleConfig(customers=50, years=1, seed=3))
    >>> portfolio.ledger.invoices.columns[0]
    'invoice_id'
"""

from risk.synth.config import SampleConfig
from risk.synth.portfolio import Portfolio, generate_portfolio

__all__ = ["Portfolio", "SampleConfig", "generate_portfolio"]

"""Payment-risk scoring for B2B receivables: ledgers, point-in-time features, calibrated models,
decisions (grades, credit limits, worklists), served over HTTP and in batch."""

__version__ = "0.1.0"

"""Payment-risk scoring for B2B receivables: ledgers, point-in-time features, calibrated models,
decisions (grades, credit limits, worklists), served over HTTP and in batch."""

import os

__version__ = "0.1.0"

# LightGBM's OpenMP threads sleep while they wait for each other instead of spinning: on a
# shared, loaded machine the spinning counted as CPU (a 2-thread fit of the payment-timing model:
# 72.5 CPU-s spinning, 14.5 passive, the same trees; docs/timing.md). libgomp reads the variable
# once, when LightGBM is first loaded, so it is set here, before any module imports it; a value
# set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

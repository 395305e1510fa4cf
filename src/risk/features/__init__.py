"""Point-in-time features: training frames (invoice and customer level) and scoring frames.

A fact is known at ``t`` when it is dated strictly before ``t``. Every frame comes from the same
as-of functions, so training and scoring use the very same feature code.
"""

from risk.features.config import FeatureConfig
from risk.features.dated import credit_limit_at, dispute_open_at
from risk.features.frames import (
    build_customer_frame,
    build_invoice_frame,
    build_scoring_frames,
    customer_features_as_of,
    default_cutoff,
    invoice_features_as_of,
    snapshot_dates,
)
from risk.features.registry import (
    feature_specs,
    get_spec,
    missing_features,
    monotone_constraints,
    reason_sentence,
)
from risk.features.sector import SectorLatenessEncoder
from risk.features.spec import FeatureSpec
from risk.features.training import customer_training_frame, invoice_training_frame

__all__ = [
    "FeatureConfig",
    "FeatureSpec",
    "SectorLatenessEncoder",
    "build_customer_frame",
    "build_invoice_frame",
    "build_scoring_frames",
    "credit_limit_at",
    "customer_features_as_of",
    "customer_training_frame",
    "default_cutoff",
    "dispute_open_at",
    "feature_specs",
    "get_spec",
    "invoice_features_as_of",
    "invoice_training_frame",
    "missing_features",
    "monotone_constraints",
    "reason_sentence",
    "snapshot_dates",
]

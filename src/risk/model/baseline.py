"""Logistic-regression scorecard: the baseline every LightGBM model must beat."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler


def _categories_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("object").where(frame.notna(), "missing").astype("str")


def make_scorecard(numeric: list[str], categorical: list[str], seed: int) -> Pipeline:
    """Median-imputed (with missing flags), standardised numeric features and one-hot
    categories into an L2 logistic regression."""
    numeric_steps = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
        ]
    )
    categorical_steps = Pipeline(
        [
            ("text", FunctionTransformer(_categories_as_text, feature_names_out="one-to-one")),
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20)),
        ]
    )
    columns = ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical)],
        remainder="drop",
    )
    model = LogisticRegression(C=0.5, max_iter=2000, random_state=seed)
    return Pipeline([("columns", columns), ("logit", model)])


def fit_scorecard(
    X: pd.DataFrame,  # noqa: N803
    y: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    seed: int,
) -> Pipeline:
    """Fit the baseline on the training window."""
    return make_scorecard(numeric, categorical, seed).fit(X, y)

"""Exported feature frames round-trip (issue 19, finding 7): Parquet out, identical model back;
unmatured labels dropped or marked; categorical dtypes survive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from risk.cli import app
from risk.features import FeatureConfig
from risk.io import write_ledger
from risk.model.dataset import training_data
from risk.model.fit import FitConfig, fit_models
from risk.model.frame_io import (
    MATURED,
    MATURED_ON,
    FrameExportError,
    export_frame,
    read_training_data,
    write_frame,
)
from risk.model.lgbm import LightGBMConfig
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio


@pytest.fixture(scope="module")
def small_ledger():
    return generate_portfolio(SampleConfig(customers=80, years=3, seed=9)).ledger


def test_unmatured_rows_are_dropped_or_marked(small_ledger) -> None:
    data = training_data(small_ledger, "invoice", FeatureConfig())
    immature = (data.matured_on > data.cutoff).to_numpy()
    # the censoring the issue measured: every unmatured row is an early payer, labelled 0
    assert immature.any() and (data.y[immature] == 0).all()
    marked = export_frame(data, "mark")
    assert len(marked) == len(data.frame)
    assert (~marked[MATURED]).sum() == immature.sum()
    dropped = export_frame(data, "drop")
    assert len(dropped) == (~immature).sum() and dropped[MATURED].all()
    assert (dropped[MATURED_ON] <= data.cutoff).all()


def test_a_frame_read_back_from_parquet_trains_the_identical_model(
    small_ledger, tmp_path: Path
) -> None:
    config = FeatureConfig()
    data = training_data(small_ledger, "invoice", config)
    path = tmp_path / "frame.parquet"
    write_frame(export_frame(data, "mark"), path)
    back = read_training_data(path, "invoice", config)
    # categorical dtypes survive, integer-valued categories (issue_month) included
    for name in data.categorical:
        assert isinstance(back.frame[name].dtype, pd.CategoricalDtype), name
        assert [str(c) for c in data.frame[name].cat.categories] == list(
            back.frame[name].cat.categories
        )
    assert back.features == data.features and back.cutoff == data.cutoff
    pd.testing.assert_series_equal(back.matured_on, data.matured_on, check_names=False)
    fit = FitConfig(seed=3, lightgbm=LightGBMConfig(num_boost_round=60))

    def model_of(d):
        windows = derive_windows(d.as_of, d.matured_on, d.cutoff)
        masks = split_masks(d.as_of, d.matured_on, windows)
        return fit_models(d, masks, windows, fit).model, masks

    original, masks = model_of(data)
    again, _ = model_of(back)
    assert original.booster.model_to_string() == again.booster.model_to_string()
    test = data.frame[masks.test]
    np.testing.assert_array_equal(original.predict_proba(test), again.predict_proba(test))


def test_a_foreign_parquet_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pd.DataFrame({"issued_on": pd.to_datetime(["2024-01-01"]), "label_late": [0]}).to_parquet(path)
    with pytest.raises(FrameExportError, match="label_matured_on"):
        read_training_data(path, "invoice", FeatureConfig())


def test_cli_says_how_many_unmatured_rows_it_dropped(small_ledger, tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    write_ledger(small_ledger, folder)
    out = tmp_path / "f.parquet"
    done = CliRunner().invoke(app, ["features", "--ledger", str(folder), "--out", str(out)])
    assert done.exit_code == 0, done.output
    frame = pd.read_parquet(out)
    assert frame[MATURED].all() and "had not matured" in done.output and "dropped" in done.output
    marked = CliRunner().invoke(
        app, ["features", "--ledger", str(folder), "--out", str(out), "--unmatured", "mark"]
    )
    assert marked.exit_code == 0, marked.output
    assert (~pd.read_parquet(out)[MATURED]).sum() > 0

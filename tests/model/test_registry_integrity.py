"""Every file of a registered model is covered: tamper with each one and loading refuses it.

The attack of the issue: ``MLmodel`` decides which file is loaded and with which flavor, so a
changed ``MLmodel`` (pointing at another booster, or switched to a pickle flavor) must be
refused like a changed booster file; no pickle is ever loaded.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from tests.model.test_registry import _log

from risk import registry


def _model_dir(tmp_path: Path) -> Path:
    (mlmodel,) = list((tmp_path / "mlruns" / "artifacts").rglob("MLmodel"))
    return mlmodel.parent


class Boom:
    """Unpickling this would write a marker file: the test checks it never exists."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "unpickled"))


def _switch_to_pickle(directory: Path, marker: Path) -> None:
    (directory / "model.pkl").write_bytes(pickle.dumps(Boom(marker)))
    meta = yaml.safe_load((directory / "MLmodel").read_text())
    meta["flavors"]["python_function"]["loader_module"] = "mlflow.pyfunc.model"
    meta["flavors"]["python_function"]["data"] = "model.pkl"
    meta["flavors"]["lightgbm"]["data"] = "model.pkl"
    meta["flavors"]["lightgbm"]["serialization_format"] = "cloudpickle"
    (directory / "MLmodel").write_text(yaml.safe_dump(meta))


def _point_at_other_booster(directory: Path, marker: Path) -> None:
    booster = (directory / "model.lgb").read_text()
    (directory / "other.lgb").write_text(booster.replace("sigmoid=1", "sigmoid=2"))
    text = (directory / "MLmodel").read_text().replace("data: model.lgb", "data: other.lgb")
    (directory / "MLmodel").write_text(text)


def _edit_booster(directory: Path, marker: Path) -> None:
    path = directory / "model.lgb"
    path.write_text(path.read_text().replace("shrinkage=", "shrinkage=0", 1))


def _edit_example(directory: Path, marker: Path) -> None:
    path = directory / "input_example.json"
    path.write_text(path.read_text() + " ")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_switch_to_pickle, "MLmodel changed"),
        (_point_at_other_booster, "MLmodel changed"),
        (_edit_booster, r"model\.lgb changed"),
        (_edit_example, r"input_example\.json changed"),
    ],
)
def test_each_tampered_file_is_refused(
    fitted, invoice_data, windows_and_masks, store, tmp_path: Path, tamper, reason
) -> None:
    _, masks = windows_and_masks
    version = _log(fitted, invoice_data, masks, store)
    marker = tmp_path / "unpickled.txt"
    tamper(_model_dir(tmp_path), marker)
    with pytest.raises(registry.ModelIntegrityError, match=reason):
        registry.load_model(store, "invoice", version=version)
    assert not marker.exists()


def _model_copy(tmp_path: Path, fitted, invoice_data, windows_and_masks, store) -> Path:
    _, masks = windows_and_masks
    _log(fitted, invoice_data, masks, store)
    return _model_dir(tmp_path)


def test_mlmodel_rules_hold_even_with_matching_hashes(
    fitted, invoice_data, windows_and_masks, store, tmp_path: Path
) -> None:
    """Second line of defence: an MLmodel is only followed to ``model.lgb`` by mlflow.lightgbm."""
    directory = _model_copy(tmp_path, fitted, invoice_data, windows_and_masks, store)
    assert registry.check_mlmodel(directory, "m") == directory / "model.lgb"
    _point_at_other_booster(directory, tmp_path / "x")
    with pytest.raises(registry.ModelIntegrityError, match=r"'other\.lgb'"):
        registry.check_mlmodel(directory, "m")
    _switch_to_pickle(directory, tmp_path / "x")
    with pytest.raises(registry.ModelIntegrityError, match="refusing to load"):
        registry.check_mlmodel(directory, "m")


def test_pickle_file_beside_a_valid_mlmodel_is_refused(
    fitted, invoice_data, windows_and_masks, store, tmp_path: Path
) -> None:
    directory = _model_copy(tmp_path, fitted, invoice_data, windows_and_masks, store)
    (directory / "extra.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(registry.ModelIntegrityError, match="pickle file"):
        registry.check_mlmodel(directory, "m")


def test_version_without_file_hashes_is_refused_with_the_fix(
    fitted, invoice_data, windows_and_masks, store
) -> None:
    _, masks = windows_and_masks
    version = _log(fitted, invoice_data, masks, store)
    store.client().delete_model_version_tag(
        registry.MODEL_NAMES["invoice"], version, registry.FILES_TAG
    )
    with pytest.raises(registry.ModelIntegrityError, match="risk train"):
        registry.load_model(store, "invoice", version=version)

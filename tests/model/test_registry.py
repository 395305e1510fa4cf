"""Registry round trip on SQLite under tmp_path: signature, hash check, aliases, gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from risk import registry
from risk.model.bundle import RiskModel


def _log(fitted, invoice_data, masks, store) -> str:
    with registry.training_run(store, "invoice", "test"):
        version, _ = registry.log_model(
            fitted.model, invoice_data.frame[masks.valid].head(20), store
        )
    return version


def test_round_trip_gives_the_same_predictions(
    fitted, invoice_data, windows_and_masks, store
) -> None:
    _, masks = windows_and_masks
    version = _log(fitted, invoice_data, masks, store)
    loaded = registry.load_model(store, "invoice", version=version)
    rows = invoice_data.frame[masks.test].head(200)
    np.testing.assert_array_equal(loaded.predict_proba(rows), fitted.model.predict_proba(rows))
    mv = store.client().get_model_version(registry.MODEL_NAMES["invoice"], version)
    assert len(mv.tags[registry.HASH_TAG]) == 64
    info = registry.mlflow.models.get_model_info(
        f"models:/{registry.MODEL_NAMES['invoice']}/{version}"
    )
    assert info.signature is not None
    assert "days_late_mean_12m" in info.signature.inputs.input_names()


def test_tampered_artifacts_are_refused(
    fitted, invoice_data, windows_and_masks, store, tmp_path: Path
) -> None:
    _, masks = windows_and_masks
    version = _log(fitted, invoice_data, masks, store)
    bundles = list((tmp_path / "mlruns" / "artifacts").rglob("risk_model.json"))
    assert len(bundles) == 1
    bundle = json.loads(bundles[0].read_text())
    bundle["features"] = list(reversed(bundle["features"]))  # a silent, dangerous change
    bundles[0].write_text(json.dumps(bundle))
    with pytest.raises(registry.ModelIntegrityError, match=r"risk_model\.json changed"):
        registry.load_model(store, "invoice", version=version)


def test_missing_model_and_alias_are_clear_errors(store) -> None:
    with pytest.raises(registry.ModelNotFoundError, match="risk train --level customer"):
        registry.load_model(store, "customer")


def test_champion_alias_and_forced_promotion_are_recorded(
    fitted, invoice_data, windows_and_masks, store
) -> None:
    _, masks = windows_and_masks
    first = _log(fitted, invoice_data, masks, store)
    second = _log(fitted, invoice_data, masks, store)
    assert registry.current_champion(store, "invoice") is None
    registry.set_champion(store, "invoice", first, "first model")
    assert registry.current_champion(store, "invoice") == first
    registry.set_champion(store, "invoice", second, "auditor asked for it", forced=True)
    assert registry.current_champion(store, "invoice") == second
    mv = store.client().get_model_version(registry.MODEL_NAMES["invoice"], second)
    assert mv.tags["promotion_reason"] == "auditor asked for it"
    assert mv.tags["promotion_forced"] == "true"
    listed = registry.list_versions(store, "invoice")
    assert listed["version"].tolist() == [first, second]
    assert listed.set_index("version").loc[second, "aliases"] == "champion"
    with pytest.raises(registry.ModelNotFoundError):
        registry.set_champion(store, "invoice", "99", "no such version")


def test_bundle_saves_and_loads_without_pickle(
    fitted, invoice_data, windows_and_masks, tmp_path: Path
) -> None:
    _, masks = windows_and_masks
    fitted.model.save(tmp_path / "bundle")
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == [
        "model.txt",
        "risk_model.json",
    ]
    loaded = RiskModel.load(tmp_path / "bundle")
    rows = invoice_data.frame[masks.test].head(100)
    np.testing.assert_array_equal(loaded.predict_proba(rows), fitted.model.predict_proba(rows))

"""``bentoml build`` packs the service with the registry's pinned champion models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.service.conftest import ROOT, Trained

from risk import registry
from risk.serving.app import OPTIONAL_LEVELS, import_to_bentoml, load_bento_model


def test_build_packs_the_champion_models(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "bentoml"
    monkeypatch.setenv("BENTOML_HOME", str(home))
    tags = import_to_bentoml(registry.Store.resolve(trained.tracking_uri))
    # the fixture registers no payment-timing model: it is optional, the others are packed
    required = {n for level, n in registry.MODEL_NAMES.items() if level not in OPTIONAL_LEVELS}
    assert {t.split(":")[0] for t in tags} == required
    done = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "service", "--output", "tag"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        env={**os.environ, "BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "true"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    bentos = list((home / "bentos" / "risk_service").glob("*/bento.yaml"))
    assert len(bentos) == 1
    manifest = bentos[0].read_text()
    for tag in tags:
        assert tag.split(":")[1] in manifest
    assert "RISK_MODEL_SOURCE" in manifest
    model = load_bento_model("customer")
    assert model.metadata["model_version"] == "1"

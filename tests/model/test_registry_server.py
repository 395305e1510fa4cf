"""Registry round trip against a real ``mlflow server`` on loopback, PostgreSQL as its backend
store (skipped with the reason when no PostgreSQL server answers)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from risk import registry
from risk.cli.serve import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def mlflow_server(fresh_postgres_database: str, tmp_path: Path) -> Iterator[str]:
    backend = fresh_postgres_database.replace("postgresql://", "postgresql+psycopg://", 1)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend,
            "--artifacts-destination",
            str(tmp_path / "server-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "mlflow server did not start:\n" + (tmp_path / "server.log").read_text()
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_round_trip_through_a_tracking_server_on_postgresql(
    mlflow_server: str, fitted, invoice_data, windows_and_masks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _, masks = windows_and_masks
    store = registry.Store.resolve(mlflow_server)
    assert store.artifact_root is None  # the server decides where artifacts go
    with registry.training_run(store, "invoice", "server-test"):
        version, sha = registry.log_model(
            fitted.model, invoice_data.frame[masks.valid].head(20), store
        )
    registry.set_champion(store, "invoice", version, "first model on the server")
    loaded = registry.load_model(store, "invoice")
    rows = invoice_data.frame[masks.test].head(200)
    np.testing.assert_array_equal(loaded.predict_proba(rows), fitted.model.predict_proba(rows))
    assert loaded.metadata["model_version"] == version
    listed = registry.list_versions(store, "invoice")
    assert listed["aliases"].tolist() == ["champion"]
    assert len(sha) == 64

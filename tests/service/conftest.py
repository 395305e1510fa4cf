"""A small trained model store, its ledger and API keys, shared by the service tests.

Models are trained once per session (300 generated customers); each test gets its own BentoML
home and audit database under ``tmp_path``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.levels_fast import fast_levels

from risk import registry
from risk.cli.serve import free_port, serve_command
from risk.io import write_ledger
from risk.serving.auth import hash_key
from risk.synth import SampleConfig, generate_portfolio
from risk.train import train_levels

ROOT = Path(__file__).resolve().parents[2]
KEY = "test-key-ops"
OTHER_KEY = "test-key-erp"


@dataclass(frozen=True)
class Trained:
    tracking_uri: str
    ledger_dir: Path
    customer_id: str
    invoice_ids: list[str]


def train_service_store(root: Path) -> Trained:
    """The champion models trained on a 300-customer portfolio, and that ledger as CSV, under
    ``root``: the session fixture ``trained`` of tests/conftest.py (one training per session
    for tests/service and tests/web)."""
    portfolio = generate_portfolio(SampleConfig(customers=300, years=3, seed=7))
    store = registry.Store.resolve(f"sqlite:///{root}/mlruns/mlflow.db")
    train_levels(portfolio.ledger, store, fast_levels())
    ledger_dir = root / "ledger"
    write_ledger(portfolio.ledger, ledger_dir)
    from risk.portfolio import open_amounts

    as_of = portfolio.ledger.date_range[1]
    open_ids = open_amounts(portfolio.ledger, as_of)["invoice_id"].head(3).tolist()
    return Trained(
        store.tracking_uri,
        ledger_dir,
        str(portfolio.ledger.customers["customer_id"].iloc[0]),
        [str(i) for i in open_ids],
    )


def service_env(trained: Trained, tmp_path: Path, **extra: str) -> dict[str, str]:
    keys = f"ops:{hash_key(KEY)},erp:sha256${__import__('hashlib').sha256(OTHER_KEY.encode()).hexdigest()}"
    return {
        "RISK_TRACKING_URI": trained.tracking_uri,
        "RISK_LEDGER": str(trained.ledger_dir),
        "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit/audit.db",
        "RISK_API_KEYS": keys,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        **extra,
    }


@pytest.fixture
def service_environ(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The service's environment set in this process (for the direct and ASGI depths)."""
    env = service_env(trained, tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("RISK_API_KEYS_FILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(env: dict[str, str], log: Path, timeout: float = 90.0) -> LiveServer:
    """``bentoml serve`` on a free loopback port; returns once ``/livez`` answers."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    full_env.pop("MLFLOW_TRACKING_URI", None)
    command = serve_command(port, "127.0.0.1", ROOT, reload=False)
    handle = log.open("wb")
    process = subprocess.Popen(
        command, env=full_env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"bentoml serve exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{url}/livez", timeout=1).status_code == 200:
                return LiveServer(url, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(LiveServer(url, process, log))
    raise RuntimeError(f"bentoml serve did not start in {timeout} s:\n{log.read_text()[-3000:]}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def wait_ready(url: str, timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    response = httpx.get(f"{url}/readyz", timeout=2)
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
        response = httpx.get(f"{url}/readyz", timeout=2)
    return response


@pytest.fixture(scope="session")
def live_server(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real ``bentoml serve`` process for the session, ready to score."""
    tmp = tmp_path_factory.mktemp("live")
    ledger = shutil.copytree(trained.ledger_dir, tmp / "ledger")  # events may change it
    env = service_env(trained, tmp, RISK_HEADER_TIMEOUT_S="2", RISK_LEDGER=str(ledger))
    server = start_server(env, tmp / "server.log")
    try:
        assert wait_ready(server.url).status_code == 200, server.log.read_text()[-3000:]
        yield server
    finally:
        stop_server(server)

"""Importing the service has no side effect: no database, folder or file is created where it is
imported (the pages' session store opens on first use)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_service_creates_no_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISK_")}
    env["PYTHONPATH"] = str(REPO)
    subprocess.run(
        [sys.executable, "-c", "import service.service"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == []

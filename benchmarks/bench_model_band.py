"""Benchmark: CPU of ``calibrate_model_band`` (the forecast band calibrated at training).

    BAND_MODEL_DIR=/tmp/h12/band5k uv run python benchmarks/bench_model_band.py

5,000 generated customers (seed 11), the timing model and back-tests kept in ``BAND_MODEL_DIR``
by ``bench_forecast_band.py --customers 5000 --model-dir``; prints the band calibrated at
training, ``calibrate_band`` on that bench's kept back-tests at the same dates, the CPU.
"""

import os
import resource
import time
from pathlib import Path

import pandas as pd

from risk.model.bundle import RiskModel
from risk.synth import SampleConfig, generate_portfolio
from risk.timing.backtest import calibrate_band
from risk.timing.train import TimingConfig, band_dates, calibrate_model_band, timing_windows

KEPT = Path(os.environ.get("BAND_MODEL_DIR", "/tmp/h12/band5k"))
ledger = generate_portfolio(SampleConfig(customers=5000, years=3, seed=11)).ledger
model = RiskModel.load(KEPT)
windows = timing_windows(ledger, TimingConfig())
print("dates", [str(d.date()) for d in band_dates(windows)])
c0 = time.process_time()
w0 = time.time()
stored = calibrate_model_band(model, ledger, windows)
c1 = time.process_time()
w1 = time.time()
print("band", stored)
# the bench's kept back-tests at the same dates (cutoff = ledger cutoff there)
frames = [pd.read_parquet(KEPT / f"backtest-{d}.parquet") for d in stored.get("dates", [])]
if frames:
    print("bench's calibrate_band on its kept back-tests:", calibrate_band(frames))
print(
    f"calibrate_model_band CPU {c1 - c0:.1f} s wall {w1 - w0:.1f} s; load {os.getloadavg()}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
)

"""Benchmark: CPU time of ``fit_models`` (cross-fitted calibration included) per level, against
another version of ``risk/model/fit.py`` in the same process.

    uv run python benchmarks/bench_fit_models.py --baseline-fit <old checkout>/src/risk/model/fit.py
    uv run python benchmarks/bench_fit_models.py --quick      # 150 customers, no baseline

The portfolio is the service tests' (300 customers, seed 7, 3 years). Each level's training
frame is built once; then the baseline's ``fit_models`` and the current one run alternately
(``--repeats`` times each) on the same frame, windows and seed; CPU time
(``time.process_time``, every thread of the process) is printed with the load average, and the
calibrated test probabilities of both must be equal (the change is about work, not results).

    uv run python benchmarks/bench_fit_models.py --stages     # where the CPU of one fit goes

``--stages`` times each stage of the current ``fit_models`` (its ``progress`` callback: early
stopping, the calibration's customer-fold boosters, the refit on train + validation, the
baselines) and the same code with ``refit=False`` (no cross-fitting, no refit: early stopping
and the calibrator on the early-stopping booster's scores), so the price of the validator's
windows is measured in one process.

    uv run python benchmarks/bench_fit_models.py --quick --one-thread-rule

``--one-thread-rule`` runs today's ``fit_models`` with every booster on ``num_threads`` (2)
threads (``risk.model.lgbm.ONE_THREAD_BELOW_ROWS`` set to 0: the code before the rule) and then
as shipped (boosters under 100,000 training rows on one thread), on the same frame, and checks
that the calibrated test probabilities are identical.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_results
from risk.features import FeatureConfig
from risk.model import fit as current
from risk.model import lgbm
from risk.model.dataset import training_data
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio


def load_fit(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("baseline_fit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def cpu_fit(module: ModuleType, data, masks, windows) -> tuple[float, np.ndarray]:
    start = time.process_time()
    fitted = module.fit_models(data, masks, windows, module.FitConfig(seed=42))
    cpu = time.process_time() - start
    return cpu, module.score_test(fitted, data, masks.test)["LightGBM (calibrated)"]


def cpu_stages(data, masks, windows, refit: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """CPU seconds of each ``fit_models`` stage (named by its ``progress`` callback)."""
    marks: list[tuple[str, float]] = [("prepare", time.process_time())]
    current.fit_models(
        data, masks, windows, current.FitConfig(seed=42, refit=refit),
        progress=lambda stage: marks.append((stage, time.process_time())),
    )  # fmt: skip
    marks.append(("end", time.process_time()))
    return {
        name: round(marks[i + 1][1] - start, 2) for i, (name, start) in enumerate(marks[:-1])
    } | {"total": round(marks[-1][1] - marks[0][1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline-fit", type=Path, default=None, help="an older fit.py")
    parser.add_argument("--levels", default="invoice,customer")
    parser.add_argument("--stages", action="store_true", help="CPU per stage, refit or not")
    parser.add_argument(
        "--one-thread-rule", action="store_true", help="every booster on 2 threads vs the rule"
    )
    args = parser.parse_args()
    customers = args.customers or (150 if args.quick else 300)
    ledger = generate_portfolio(SampleConfig(customers=customers, years=3, seed=7)).ledger
    versions = {"current": current}
    if args.baseline_fit:
        versions = {"baseline": load_fit(args.baseline_fit), **versions}
    figures: dict[str, object] = {"customers": customers, "baseline": str(args.baseline_fit)}
    for level in args.levels.split(","):
        data = training_data(ledger, level, FeatureConfig())  # type: ignore[arg-type]
        windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
        masks = split_masks(data.as_of, data.matured_on, windows)
        if args.one_thread_rule:
            rule = lgbm.ONE_THREAD_BELOW_ROWS
            arms: dict[str, tuple[float, np.ndarray]] = {}
            load = [os.getloadavg()[0]]
            for arm, threshold in (("two threads", 0), ("one-thread rule", rule)):
                lgbm.ONE_THREAD_BELOW_ROWS = threshold
                arms[arm] = cpu_fit(current, data, masks, windows)
                load.append(os.getloadavg()[0])
            lgbm.ONE_THREAD_BELOW_ROWS = rule
            same = arms["two threads"][1].tobytes() == arms["one-thread rule"][1].tobytes()
            figures[f"{level}_one_thread_rule"] = {
                "cpu_s": {arm: round(cpu, 2) for arm, (cpu, _) in arms.items()},
                "identical_test_probabilities": same,
                "load": load,
            }
            print(f"{level}: fit_models CPU "
                  + ", ".join(f"{arm} {cpu:.1f} s" for arm, (cpu, _) in arms.items())
                  + f"; identical test probabilities: {same}; "
                  f"load average {min(load):.1f}-{max(load):.1f}", flush=True)  # fmt: skip
            continue
        if args.stages:
            for refit in (True, False):
                load = os.getloadavg()[0]
                stages = cpu_stages(data, masks, windows, refit)
                figures[f"{level}_stages_refit_{refit}"] = {**stages, "load": load}
                print(f"{level}, refit={refit}: CPU by stage "
                      + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
                      + f"; load average {load:.1f}", flush=True)  # fmt: skip
            continue
        cpu: dict[str, list[float]] = {name: [] for name in versions}
        probs: dict[str, np.ndarray] = {}
        load = [os.getloadavg()[0]]
        for _ in range(args.repeats):
            for name, module in versions.items():
                seconds, probs[name] = cpu_fit(module, data, masks, windows)
                cpu[name].append(seconds)
                load.append(os.getloadavg()[0])
        same = len({p.tobytes() for p in probs.values()}) == 1
        figures[level] = {"cpu_s": cpu, "identical_test_probabilities": same, "load": load}
        print(
            f"{level}: fit_models CPU "
            + ", ".join(f"{n} {statistics.median(v):.1f} s" for n, v in cpu.items())
            + f"; identical test probabilities: {same}; "
            f"load average {min(load):.1f}-{max(load):.1f}",
            flush=True,
        )
    name = "bench_fit_models-stages" if args.stages else "bench_fit_models"
    name = "bench_fit_models-threads" if args.one_thread_rule else name
    print(f"results: {write_results(name, figures)}")


if __name__ == "__main__":
    main()

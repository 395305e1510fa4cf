"""Check the monotone constraints against an unconstrained model on the benchmark portfolio.

    uv run python benchmarks/bench_constraints.py                  # 5,000 customers, seed 11
    uv run python benchmarks/bench_constraints.py --quick          # 400 customers (seconds)
    uv run python benchmarks/bench_constraints.py --customers 1500 --levels invoice

For each level an unconstrained LightGBM (150 rounds) is fitted on the training window and
the correlation of each feature's value with its SHAP contribution is compared with the sign
of each constraint of ``risk.features.constraints`` (dead band 0.05), the check
``tests/features/test_constraints_evidence.py`` makes on 400 customers at every test run.
Prints the table, writes ``benchmarks/results/constraints.json`` and exits 1 when a constraint
is contradicted or unmeasured without resting on the law. The baseline of the same run is the
expected direction of each constrained feature (its registry direction).
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_results
from risk.features.constraints import constraints
from risk.model.constraint_evidence import contradicted, shap_directions, unmeasured_without_law
from risk.synth import SampleConfig, generate_portfolio


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--levels", nargs="+", default=["invoice", "customer"])
    parser.add_argument("--quick", action="store_true", help="400 customers, seed 5")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.seed = 400, 5
    start = cpu_seconds()
    generated = generate_portfolio(
        SampleConfig(customers=args.customers, years=args.years, seed=args.seed)
    )
    # as the test: the e-invoicing statuses (unconstrained) left out, the ledger most users have
    ledger = generated.ledger.with_tables(invoice_statuses=None)
    table = constraints()
    measured = {level: shap_directions(ledger, level) for level in args.levels}
    print(f"{args.customers:,} customers, seed {args.seed}, {args.years} years")
    print(f"{'constraint':<36} {'sign':>4} " + " ".join(f"{lv:>9}" for lv in args.levels))
    for name, c in table.items():
        cells = [measured[lv].get(name) for lv in args.levels]
        text = " ".join(f"{v:>+9.2f}" if v is not None else f"{'n/a':>9}" for v in cells)
        print(f"{name:<36} {c.sign:>+4d} {text}")
    failures = {
        lv: {
            "contradicted": contradicted(measured[lv], table),
            "unmeasured_without_law": unmeasured_without_law(measured[lv], table),
        }
        for lv in args.levels
    }
    bad = any(f["contradicted"] or f["unmeasured_without_law"] for f in failures.values())
    cpu = cpu_seconds() - start
    print(
        f"CPU {cpu:.1f} s; "
        + ("CONTRADICTED: " + str(failures) if bad else "every constraint agrees")
    )
    write_results(
        "constraints",
        {
            "customers": args.customers,
            "seed": args.seed,
            "directions": measured,
            "signs": {n: c.sign for n, c in table.items()},
            "failures": failures,
            "cpu_s": round(cpu, 1),
        },
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

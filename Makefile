# The README's commands. `make run` and `make test` bootstrap uv and the locked environment.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: bootstrap run test lint format typecheck sample bench-quick bench docs

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet

run: bootstrap  ## the main job on embedded defaults (sample ledger, local store)
	$(UV) run risk run

test: bootstrap  ## the whole test suite
	$(UV) run pytest

lint: bootstrap
	$(UV) run ruff check src tests benchmarks service notebooks
	$(UV) run ruff format --check src tests benchmarks service

format: bootstrap
	$(UV) run ruff format src tests benchmarks
	$(UV) run ruff check --fix src tests benchmarks

typecheck: bootstrap
	$(UV) run mypy

sample: bootstrap  ## regenerate the committed sample byte-identically
	$(UV) run risk sample --customers 300 --years 3 --seed 7 --out data/sample

docs: bootstrap  ## regenerate docs/features.md from the feature registry
	$(UV) run python -m risk.features.docs

bench-quick: bootstrap
	$(UV) run python benchmarks/bench_sample.py --quick
	$(UV) run python benchmarks/bench_validate.py --quick
	$(UV) run python benchmarks/bench_features.py --quick
	$(UV) run python benchmarks/bench_train.py --quick
	$(UV) run python benchmarks/bench_timing.py --quick

bench: bootstrap
	$(UV) run python benchmarks/bench_sample.py
	$(UV) run python benchmarks/bench_validate.py
	$(UV) run python benchmarks/bench_features.py
	$(UV) run python benchmarks/bench_train.py
	$(UV) run python benchmarks/bench_timing.py

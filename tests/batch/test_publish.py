"""A run is published whole or not at all: disk full, a failure at each stage, SIGKILL at each
stage, a busy or unwritable output folder, file permissions."""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.batch.publish import (
    DIR_MODE,
    FILE_MODE,
    OutputBusyError,
    OutputError,
    latest_run,
    output_lock,
    read_summary,
    verify,
)
from risk.batch.run import STAGES
from risk.io import write_ledger
from risk.synth import SampleConfig, generate_portfolio

TABLES = ("customer_scores", "invoice_scores", "worklist")
EARLIER = pd.Timestamp("2025-11-30")


def published(dest: Path) -> tuple[str, dict[str, pd.DataFrame]]:
    """As-of date and tables of the published run, after checking every file's hash."""
    folder = latest_run(dest)
    assert folder is not None, "nothing published"
    assert verify(folder) == [], f"files of {folder.name} differ from its summary"
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    for frame in tables.values():  # every row of the run has the run's date: nothing mixed
        assert set(frame["as_of"].dt.strftime("%Y-%m-%d")) <= {read_summary(folder)["as_of"]}
    return str(read_summary(folder)["as_of"]), tables


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smaller portfolio than the package's (every test here runs the batch 2-3 times)."""
    folder = tmp_path_factory.mktemp("small-ledger")
    portfolio = generate_portfolio(SampleConfig(customers=60, years=3, seed=12))
    write_ledger(portfolio.ledger, folder, "parquet")
    return folder


@pytest.fixture(scope="module")
def clean_run(batch_scorer, ledger_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run as of the ledger's last date, to compare resumed runs with."""
    dest = tmp_path_factory.mktemp("clean")
    run_batch(ledger_dir, dest, batch_scorer, BatchConfig(chunk_customers=15))
    return dest


@pytest.fixture(scope="module")
def earlier_runs(
    batch_scorer, ledger_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[bool, Path]:
    """A complete run as of ``EARLIER`` (without and with SQL), made once: each test starts
    from a copy of it (the run's folder, its ``latest`` link and its database) instead of
    scoring the same night again."""
    runs = {}
    for sql in (False, True):
        root = tmp_path_factory.mktemp("earlier-sql" if sql else "earlier")
        url = f"sqlite:///{root}/scores.db" if sql else None
        config = BatchConfig(as_of=EARLIER, chunk_customers=15, sql_url=url)
        run_batch(ledger_dir, root / "scores", batch_scorer, config)
        runs[sql] = root
    return runs


def _start_from(earlier: Path, folder: Path) -> Path:
    """Copy a made run (``scores`` and ``scores.db`` when present) into ``folder``; the
    published run's folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(earlier / "scores", folder / "scores", symlinks=True)
    if (earlier / "scores.db").exists():
        shutil.copy2(earlier / "scores.db", folder / "scores.db")
    first = latest_run(folder / "scores")
    assert first is not None and published(folder / "scores")[0] == "2025-11-30"
    return first


def _run_folders(dest: Path) -> list[str]:
    return [p.name for p in (dest / "runs").iterdir() if p.is_dir()]


def _assert_same(dest: Path, clean: Path) -> None:
    mine, theirs = published(dest)[1], published(clean)[1]
    for name in TABLES:
        pd.testing.assert_frame_equal(mine[name], theirs[name])


def _mount_tmpfs(path: Path, size: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.parametrize("free_share", [0.05, 0.5, 0.9])
def test_disk_full_leaves_the_previous_run_published(
    batch_scorer,
    ledger_dir: Path,
    clean_run: Path,
    earlier_runs: dict[bool, Path],
    tmp_path: Path,
    free_share: float,
) -> None:
    """A real ENOSPC (a small tmpfs) at several points of the second run."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, 64 * 1024 * 1024):
        pytest.skip("cannot mount a tmpfs here (needs root): see the injected-failure test")
    try:
        dest = disk / "scores"
        first = _start_from(earlier_runs[False], disk)
        before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}  # type: ignore[union-attr]
        needed = sum(len(b) for b in before.values())  # less than a run and its chunks
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        ballast = disk / "ballast"
        with ballast.open("wb") as handle:  # leave only a share of what the next run needs
            handle.truncate(0)
            handle.write(b"\0" * max(free - int(needed * free_share), 0))
        with pytest.raises(OutputError, match="No space left on device") as failure:
            run_batch(ledger_dir, dest, batch_scorer, BatchConfig(chunk_customers=15))
        assert f"{first.name} is still the published run" in str(failure.value)  # type: ignore[union-attr]
        assert latest_run(dest) == first
        assert published(dest)[0] == "2025-11-30"
        assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before  # type: ignore[union-attr]
        assert _run_folders(dest) == [first.name]  # type: ignore[union-attr]
        ballast.unlink()
        run_batch(ledger_dir, dest, batch_scorer, BatchConfig(chunk_customers=15))
        assert published(dest)[0] == "2025-12-31"
        _assert_same(dest, clean_run)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.parametrize("failing", STAGES)
def test_a_failure_at_any_stage_publishes_nothing(
    batch_scorer,
    ledger_dir: Path,
    clean_run: Path,
    earlier_runs: dict[bool, Path],
    tmp_path: Path,
    failing: str,
) -> None:
    """An OSError (disk full) raised as each stage starts, through the stage hook."""
    dest = tmp_path / "scores"
    first = _start_from(earlier_runs[False], tmp_path)

    def fail(stage: str) -> None:
        if stage == failing:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest / "x"))

    config = BatchConfig(chunk_customers=15, sql_url=f"sqlite:///{tmp_path}/scores.db")
    if failing == "cleanup":  # after publishing: the run stands, only tidying up failed
        run_batch(ledger_dir, dest, batch_scorer, config, on_stage=fail)
        assert published(dest)[0] == "2025-12-31"
        return
    with pytest.raises(OutputError, match="Nothing was published"):
        run_batch(ledger_dir, dest, batch_scorer, config, on_stage=fail)
    assert latest_run(dest) == first and published(dest)[0] == "2025-11-30"
    assert _run_folders(dest) == [first.name]  # type: ignore[union-attr]
    run_batch(ledger_dir, dest, batch_scorer, config)  # the next night resumes
    _assert_same(dest, clean_run)


CHILD = textwrap.dedent(
    """
    import pickle, sys, time
    from pathlib import Path
    from risk.batch import BatchConfig, run_batch

    scorer = pickle.loads(Path(sys.argv[1]).read_bytes())
    target = sys.argv[4]

    def on_stage(name):
        print(name, flush=True)
        if name == target:
            time.sleep(600)  # killed here by the test

    config = BatchConfig(chunk_customers=15, sql_url=sys.argv[5])
    run_batch(Path(sys.argv[2]), Path(sys.argv[3]), scorer, config, on_stage=on_stage)
    """
)


@pytest.mark.parametrize("killed_at", STAGES)
def test_sigkill_at_any_stage_leaves_one_whole_run(
    batch_scorer,
    ledger_dir: Path,
    clean_run: Path,
    earlier_runs: dict[bool, Path],
    tmp_path: Path,
    killed_at: str,
) -> None:
    dest = tmp_path / "scores"
    url = f"sqlite:///{tmp_path}/scores.db"
    first = _start_from(earlier_runs[True], tmp_path)
    model = tmp_path / "scorer.pkl"
    model.write_bytes(pickle.dumps(batch_scorer))
    args = [sys.executable, "-c", CHILD, str(model), str(ledger_dir), str(dest), killed_at, url]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.monotonic() + 900  # a guard against a hung child, not a speed limit
    while killed_at not in seen:
        line = child.stdout.readline().strip()  # type: ignore[union-attr]
        assert line or child.poll() is None, child.stderr.read()  # type: ignore[union-attr]
        seen.append(line)
        assert time.monotonic() < deadline
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    if killed_at == "cleanup":
        assert published(dest)[0] == "2025-12-31"
    else:
        assert latest_run(dest) == first and published(dest)[0] == "2025-11-30"
    rerun = run_batch(ledger_dir, dest, batch_scorer, BatchConfig(chunk_customers=15, sql_url=url))
    if killed_at in ("worklist", "write", "sql", "summary", "publish"):
        assert rerun.chunks["computed"] == 0  # every chunk was saved before the kill
    _assert_same(dest, clean_run)
    published_runs = 3 if killed_at == "cleanup" else 2  # stale unpublished folders removed
    assert len(_run_folders(dest)) == published_runs


def test_a_second_run_into_a_busy_folder_fails_clearly(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "scores"
    stages: list[str] = []
    with output_lock(dest), pytest.raises(OutputBusyError, match="another run is writing"):
        run_batch(ledger_dir, dest, batch_scorer, on_stage=stages.append)
    assert stages == [] and latest_run(dest) is None


def test_an_unwritable_output_is_found_before_any_work(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    stages: list[str] = []
    with pytest.raises(OutputError, match="is not writable"):
        run_batch(ledger_dir, blocker / "scores", batch_scorer, on_stage=stages.append)
    assert stages == []
    url = f"sqlite:///{tmp_path}/missing-folder/scores.db"
    with pytest.raises(OutputError, match="is not writable"):
        run_batch(ledger_dir, tmp_path / "ok", batch_scorer, BatchConfig(sql_url=url))
    assert not (tmp_path / "ok" / "latest").exists()


def test_every_file_and_folder_has_the_same_permissions(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "scores"
    (dest / ".chunks").mkdir(parents=True)
    run_batch(ledger_dir, dest, batch_scorer, BatchConfig(chunk_customers=15))
    modes = {
        p.relative_to(dest).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in (dest / "runs").rglob("*")
    }
    assert modes and all(m == (DIR_MODE if m & 0o100 else FILE_MODE) for m in modes.values())
    assert {m for n, m in modes.items() if n.endswith(".json")} == {FILE_MODE}
    assert {m for n, m in modes.items() if n.endswith("state")} == {DIR_MODE}

"""The batch job end to end on a small portfolio: chunking, explanations, quarantine, SQL,
incremental runs, the CLI and a SIGKILL in the middle of a run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from risk.batch import BatchConfig, run_batch
from risk.batch.state import IncrementalRunError
from risk.cli.batch import score
from risk.decisions.worklist import WorklistFilters, build_worklist
from risk.io import write_ledger

TABLES = ("customer_scores", "invoice_scores", "worklist")


def read_outputs(dest: Path) -> dict[str, pd.DataFrame]:
    """The published run's tables (``DEST/latest``)."""
    return {name: pd.read_parquet(dest / "latest" / f"{name}.parquet") for name in TABLES}


def assert_same_outputs(left: Path, right: Path) -> None:
    theirs = read_outputs(right)
    for name, frame in read_outputs(left).items():
        pd.testing.assert_frame_equal(frame, theirs[name])


def test_chunked_run_equals_one_chunk_and_the_scoring_core(
    batch_scorer, batch_portfolio, ledger_dir: Path, tmp_path: Path
) -> None:
    chunked = run_batch(ledger_dir, tmp_path / "a", batch_scorer, BatchConfig(chunk_customers=30))
    whole = run_batch(ledger_dir, tmp_path / "b", batch_scorer, BatchConfig(chunk_customers=10**6))
    assert chunked.chunks["total"] > 5 and whole.chunks["total"] == 1
    assert_same_outputs(tmp_path / "a", tmp_path / "b")
    ledger = batch_portfolio.ledger
    out = read_outputs(tmp_path / "a")
    expected = build_worklist(batch_scorer, ledger, ledger.cutoff, WorklistFilters(top=50))
    pd.testing.assert_frame_equal(out["worklist"], expected, check_dtype=False)
    core = batch_scorer.score_customers(ledger, ledger.cutoff, explain=False)
    core = core.drop(columns=["reasons", "reasons_en", "reasons_fr"]).sort_values("customer_id")
    mine = out["customer_scores"].drop(columns=["reasons_en", "reasons_fr"])
    pd.testing.assert_frame_equal(mine, core.reset_index(drop=True), check_dtype=False)
    summary = json.loads((tmp_path / "a" / "latest" / "summary.json").read_text())
    assert summary["reconciles"] and summary["scored"]["customers"] == len(ledger.customers)
    # monitoring: the customer model's score and inputs against its training window (issue 19)
    monitoring = summary["monitoring"]
    from risk.monitor.drift import psi_against_profile

    profile = batch_scorer.customer_model.metadata["reference_profile"]
    expected_psi = psi_against_profile(profile["score"], mine["probability"].to_numpy())
    assert monitoring["score_psi"] == pytest.approx(expected_psi, abs=1e-4)
    assert 0 < len(monitoring["top_features"]) <= 10
    psis = [row["psi"] for row in monitoring["top_features"]]
    assert psis == sorted(psis, reverse=True)
    assert all(
        ("alert" in row["status"]) == (row["psi"] > 0.25) for row in monitoring["top_features"]
    )
    assert not (tmp_path / "a" / ".chunks" / "2025-12-31").exists()  # cleaned after publishing
    csv = pd.read_csv(tmp_path / "a" / "latest" / "customer_scores.csv")
    assert len(csv) == len(mine) and (csv["probability"] - mine["probability"]).abs().max() < 1e-12


def test_chunks_cut_by_rows_score_like_one_chunk(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    """Chunks of about 2,000 ledger rows (customers kept whole) give the one-chunk outputs."""
    by_rows = BatchConfig(chunk_customers=10**6, chunk_rows=2_000)
    cut = run_batch(ledger_dir, tmp_path / "rows", batch_scorer, by_rows)
    run_batch(ledger_dir, tmp_path / "one", batch_scorer, BatchConfig(chunk_customers=10**6))
    assert cut.chunks["total"] > 5
    assert_same_outputs(tmp_path / "rows", tmp_path / "one")


def test_reason_codes_follow_the_explain_mode(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    run_batch(ledger_dir, tmp_path / "w", batch_scorer, BatchConfig(chunk_customers=100, top=10))
    run_batch(
        ledger_dir, tmp_path / "n", batch_scorer, BatchConfig(chunk_customers=100, explain="none")
    )
    worklist_mode = read_outputs(tmp_path / "w")
    listed = set(worklist_mode["worklist"]["invoice_id"])
    invoices = worklist_mode["invoice_scores"]
    explained = invoices["reasons_en"].str.len() > 0
    assert set(invoices.loc[explained, "invoice_id"]) <= listed and explained.any()
    customers = worklist_mode["customer_scores"]
    on_list = customers["customer_id"].isin(set(worklist_mode["worklist"]["customer_id"]))
    assert (customers.loc[~on_list, "reasons_en"] == "").all()
    assert (customers.loc[on_list, "reasons_en"].str.len() > 0).any()
    none_mode = read_outputs(tmp_path / "n")
    assert (none_mode["customer_scores"]["reasons_en"] == "").all()
    assert (none_mode["invoice_scores"]["reasons_fr"] == "").all()


def test_bad_rows_are_quarantined_and_counts_reconcile(
    batch_scorer, batch_portfolio, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    write_ledger(batch_portfolio.ledger, folder, "csv")
    with (folder / "invoices.csv").open("a", encoding="utf-8") as handle:
        handle.write("BAD1,NOPE,2025-01-01,2025-01-31,10.00,,0.00,false,paper\n")
    summary = run_batch(folder, tmp_path / "out", batch_scorer, BatchConfig(chunk_customers=100))
    quarantined = pd.read_csv(tmp_path / "out" / "latest" / "quarantine" / "invoices.csv")
    assert "BAD1" in set(quarantined["invoice_id"])
    rows = summary.rows["invoices"]
    assert rows["quarantined"] == 1 and rows["read"] == rows["kept"] + rows["quarantined"]
    assert summary.reconciles


def test_sql_tables_are_replaced_per_as_of_date(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/scores.db"
    config = BatchConfig(chunk_customers=100, sql_url=url, explain="none", top=5)
    run_batch(ledger_dir, tmp_path / "out", batch_scorer, config)
    run_batch(ledger_dir, tmp_path / "out", batch_scorer, config)  # a rerun: no double rows
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        counts = {
            name: connection.execute(sa.text(f"select count(*) from {name}")).scalar()
            for name in TABLES
        }
        versions = connection.execute(sa.text("select distinct model_versions from worklist"))
        assert len(versions.fetchall()) == 1
    engine.dispose()
    files = read_outputs(tmp_path / "out")
    assert counts == {name: len(frame) for name, frame in files.items()}


@pytest.mark.postgres
def test_sql_tables_on_postgresql(
    batch_scorer, ledger_dir, tmp_path, fresh_postgres_database
) -> None:
    url = fresh_postgres_database.replace("postgresql://", "postgresql+psycopg://", 1)
    config = BatchConfig(chunk_customers=100, sql_url=url, explain="none", top=5)
    run_batch(ledger_dir, tmp_path / "out", batch_scorer, config)
    run_batch(ledger_dir, tmp_path / "out", batch_scorer, config)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        n = connection.execute(sa.text("select count(*) from customer_scores")).scalar()
    engine.dispose()
    assert n == len(read_outputs(tmp_path / "out")["customer_scores"])


def test_incremental_run_equals_a_full_run(batch_scorer, batch_portfolio, tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    write_ledger(batch_portfolio.ledger, folder, "parquet")
    config = BatchConfig(chunk_customers=50, since_last_run=True)
    run_batch(folder, tmp_path / "inc", batch_scorer, config)
    invoices = pd.read_parquet(folder / "invoices.parquet")
    open_ones = invoices[invoices["paid_on"].isna()]
    changed = open_ones["invoice_id"].iloc[0]
    invoices.loc[invoices["invoice_id"] == changed, "amount"] *= 3  # a late ledger correction
    invoices.loc[invoices["invoice_id"] == changed, "disputed"] = True
    invoices.to_parquet(folder / "invoices.parquet", index=False)
    again = run_batch(folder, tmp_path / "inc", batch_scorer, config)
    assert 1 <= again.scored["customers_recomputed"] <= 5
    run_batch(folder, tmp_path / "full", batch_scorer, BatchConfig(chunk_customers=50))
    assert_same_outputs(tmp_path / "inc", tmp_path / "full")
    other_date = BatchConfig(as_of=pd.Timestamp("2025-11-30"), since_last_run=True)
    with pytest.raises(IncrementalRunError, match="same as-of date"):
        run_batch(folder, tmp_path / "inc", batch_scorer, other_date)


def test_cli_prints_a_summary(batch_store, ledger_dir: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(score)
    args = ["--ledger", str(ledger_dir), "--out", str(tmp_path / "out")]
    args += ["--tracking-uri", batch_store.tracking_uri, "--as-of", "2025-12-31", "--top", "5"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "Time per stage" in done.output and "rows in = scored + quarantined" in done.output
    assert len(pd.read_csv(tmp_path / "out" / "latest" / "worklist.csv")) == 5
    wrong = CliRunner().invoke(app, ["--ledger", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert wrong.exit_code == 3 and "does not exist" in wrong.output  # unreadable input
    assert "Traceback" not in wrong.output


def _score_process(ledger_dir: Path, dest: Path, tracking_uri: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "risk.cli.batch", "--ledger", str(ledger_dir)]
    command += ["--out", str(dest), "--tracking-uri", tracking_uri, "--chunk-customers", "8"]
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def test_a_killed_run_resumes_to_the_same_result(
    batch_store, batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "killed"
    chunks = dest / ".chunks" / "2025-12-31"
    process = _score_process(ledger_dir, dest, batch_store.tracking_uri)
    while not list(chunks.glob("chunk-*")) and process.poll() is None:  # ends with the process
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    completed = len(list(chunks.glob("chunk-*")))
    assert 1 <= completed < 25 and not (dest / "latest").exists()
    rerun = _score_process(ledger_dir, dest, batch_store.tracking_uri)
    assert rerun.wait() == 0, rerun.stderr.read().decode() if rerun.stderr else ""
    resumed = json.loads((dest / "latest" / "summary.json").read_text())["chunks"]
    assert resumed["resumed"] >= completed and resumed["computed"] > 0
    clean = tmp_path / "clean"
    run_batch(ledger_dir, clean, batch_scorer, BatchConfig(chunk_customers=8))
    assert_same_outputs(dest, clean)


def _run_from_database(url: str, batch_portfolio, batch_scorer, ledger_dir: Path, tmp: Path):
    from risk.store import SqlSource

    source = SqlSource(url)
    try:
        source.import_ledger(batch_portfolio.ledger)
        config = BatchConfig(chunk_customers=10**6)
        from_db = run_batch(url, tmp / "db", batch_scorer, config)
    finally:
        source.drop()
    from_folder = run_batch(ledger_dir, tmp / "folder", batch_scorer, config)
    assert from_db.rows == from_folder.rows and from_db.reconciles
    theirs = read_outputs(tmp / "folder")
    for name, frame in read_outputs(tmp / "db").items():
        pd.testing.assert_frame_equal(frame, theirs[name], check_dtype=False)


def test_batch_reads_a_sqlite_ledger_as_the_service_does(
    batch_scorer, batch_portfolio, ledger_dir: Path, tmp_path: Path
) -> None:
    """The batch's ledger source is ``risk.store``'s: a database URL scores like the folder."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    _run_from_database(url, batch_portfolio, batch_scorer, ledger_dir, tmp_path)


@pytest.mark.postgres
def test_batch_reads_a_postgresql_ledger(
    batch_scorer, batch_portfolio, ledger_dir: Path, tmp_path: Path, fresh_postgres_database: str
) -> None:
    _run_from_database(fresh_postgres_database, batch_portfolio, batch_scorer, ledger_dir, tmp_path)


def test_batch_on_a_database_without_a_ledger_is_a_ledger_error(
    batch_scorer, tmp_path: Path
) -> None:
    from risk.errors import LedgerError

    with pytest.raises(LedgerError):
        run_batch(f"sqlite:///{tmp_path}/empty.db", tmp_path / "out", batch_scorer)


def test_monitoring_is_logged_as_an_mlflow_run_in_the_given_store(
    batch_scorer, ledger_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19, Deliver 8: each batch run logs its monitoring (PSI of the score and of every
    input, grade migration since the previous run, alerts) as an MLflow run in the tracking
    store it was given, tagged with the as-of date and the customer model's version."""
    from risk import registry

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # MLflow's relative default (./mlruns) would land here
    uri = f"sqlite:///{tmp_path}/tracking/mlflow.db"
    dest = tmp_path / "out"
    config = BatchConfig(chunk_customers=10**6, tracking_uri=uri, as_of=pd.Timestamp("2025-09-30"))
    run_batch(ledger_dir, dest, batch_scorer, config)
    first_grades = read_outputs(dest)["customer_scores"].set_index("customer_id")["grade"]
    run_batch(ledger_dir, dest, batch_scorer, replace(config, as_of=pd.Timestamp("2025-12-31")))
    summary = json.loads((dest / "latest" / "summary.json").read_text())
    second_grades = read_outputs(dest)["customer_scores"].set_index("customer_id")["grade"]

    store = registry.Store.resolve(uri)
    runs = store.client().search_runs(
        [registry.experiment_id(store, "customer")],
        "tags.kind = 'batch-monitor'",
        order_by=["tags.as_of ASC"],
    )
    assert [r.data.tags["as_of"] for r in runs] == ["2025-09-30", "2025-12-31"]
    version = str(batch_scorer.customer_model.metadata["model_version"])
    assert {r.data.tags["model_version"] for r in runs} == {version}
    assert all(r.info.status == "FINISHED" for r in runs)
    last = runs[1]
    assert summary["monitoring"]["mlflow"]["run_id"] == last.info.run_id
    metrics = last.data.metrics
    monitoring = summary["monitoring"]
    assert metrics["score_psi"] == pytest.approx(monitoring["score_psi"])
    profiled = batch_scorer.customer_model.metadata["reference_profile"]["features"]
    assert {f"psi_{name}" for name in profiled} <= set(metrics)
    for row in monitoring["feature_psi"]:
        assert metrics[f"psi_{row['variable']}"] == pytest.approx(row["psi"])
    assert metrics["n_alerts"] == len(monitoring["alerts"])
    # grade migration, from its definition: of the customers graded in both runs, the share
    # in each (previous, current) pair of grades, by previous grade
    both = first_grades.index.intersection(second_grades.index)
    pairs = pd.crosstab(first_grades[both], second_grades[both], normalize="index")
    for before, row in pairs.iterrows():
        for after, share in row.items():
            assert metrics[f"migration_{before}_to_{after}"] == pytest.approx(share, abs=1e-4)
    unchanged = float((first_grades[both] == second_grades[both]).mean())
    assert metrics["migration_unchanged_share"] == pytest.approx(unchanged, abs=1e-4)
    assert not any(k.startswith("migration_") for k in runs[0].data.metrics)  # first run
    assert not (tmp_path / "mlruns").exists()


#: a policy whose master scale and default event differ from the packaged one (issue 13)
OTHER_POLICY = """\
master_scale: {A: 0.001, B: 0.01, C: 0.03, D: 0.06}
default_past_due_days: 120
"""


def test_cli_reads_the_policy_file_and_warns_of_another_default_event(
    batch_store, ledger_dir: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(OTHER_POLICY, encoding="utf-8")
    app = typer.Typer()
    app.command()(score)
    args = ["--ledger", str(ledger_dir), "--out", str(tmp_path / "out"), "--explain", "none"]
    args += ["--tracking-uri", batch_store.tracking_uri, "--policy", str(policy)]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    assert done.exit_code == 0, done.output
    scores = read_outputs(tmp_path / "out")["customer_scores"].dropna(subset=["pd_default"])
    # the file's bands, each grade's upper bound included: A <= 0.1 %, B <= 1 %, C <= 3 %,
    # D <= 6 %, E above
    pd_default = scores["pd_default"]
    expected = pd.cut(pd_default, [-1, 0.001, 0.01, 0.03, 0.06, 2], labels=list("ABCDE"))
    assert (scores["grade"] == expected.astype(str)).all()
    assert set(scores["grade"]) - {"A"}  # the bands are used, not a constant
    # the default model learnt the packaged 90-day event: said on the terminal and in the run
    assert "days past due: 120 (model: 90)" in done.output
    summary = json.loads((tmp_path / "out" / "latest" / "summary.json").read_text())
    assert len(summary["warnings"]) == 1 and "(model: 90)" in summary["warnings"][0]

"""SQL outputs: concurrent runs serialise (advisory lock / BEGIN IMMEDIATE), one row per
(as-of date, entity), new score columns added to existing tables."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from risk.batch.sql import LOCK_KEY, write_sql

AS_OF = pd.Timestamp("2025-12-31")

WRITER = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from risk.batch.sql import write_sql

    url, run_id, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    as_of = pd.Timestamp("2025-12-31")
    ids = [f"C{k}" for k in range(n)]
    customers = pd.DataFrame({"customer_id": ids, "probability": 0.25, "as_of": as_of})
    invoices = pd.DataFrame(
        {"invoice_id": [f"I{k}" for k in range(n)], "customer_id": ids, "as_of": as_of}
    )
    print("ready", flush=True)
    frames = {"customer_scores": customers, "invoice_scores": invoices, "worklist": invoices[:2]}
    write_sql(frames, url, as_of, run_id)
    print("done", flush=True)
    """
)


def _writer(url: str, run_id: str, n: int) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", WRITER, url, run_id, str(n)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _frames(
    ids: list[str], as_of: pd.Timestamp = AS_OF, **extra: object
) -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame({"customer_id": ids, "probability": 0.5, "as_of": as_of, **extra})
    invoices = pd.DataFrame({"invoice_id": [i.replace("C", "I") for i in ids], "as_of": as_of})
    return {"customer_scores": customers, "invoice_scores": invoices, "worklist": invoices[:1]}


def _rows(url: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql("select * from customer_scores", connection)
    finally:
        engine.dispose()


def _assert_one_run(url: str, n: int) -> None:
    rows = _rows(url)
    assert len(rows) == n and rows["customer_id"].is_unique
    assert rows["run_id"].nunique() == 1  # every row of the date from the same run


@pytest.mark.postgres
def test_two_concurrent_runs_on_postgresql_serialise(fresh_postgres_database: str) -> None:
    import psycopg

    url = fresh_postgres_database.replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(fresh_postgres_database, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))  # both writers must wait
        writers = [_writer(url, run_id, 7) for run_id in ("run-a", "run-b")]
        deadline = time.monotonic() + 600  # a guard against a hung test, not a speed limit
        waiting = 0
        while waiting < 2:
            assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
            time.sleep(0.2)
            waiting = holder.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and not granted"
            ).fetchone()[0]  # type: ignore[index]
        holder.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    for writer in writers:
        assert writer.wait() == 0, writer.stderr.read()  # type: ignore[union-attr]
    _assert_one_run(url, 7)
    with pytest.raises(sa.exc.IntegrityError):  # the key refuses a double even without lock
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                row = {"customer_id": "C1", "as_of": AS_OF.to_pydatetime()}
                connection.execute(
                    sa.text("insert into customer_scores (customer_id, as_of) values (:c, :a)"),
                    {"c": row["customer_id"], "a": row["as_of"]},
                )
        finally:
            engine.dispose()


def test_two_concurrent_runs_on_sqlite_serialise(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path}/scores.db"
    write_sql(_frames(["C1"]), url, AS_OF, "run-0")  # tables exist
    holder = sqlite3.connect(tmp_path / "scores.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock: both writers wait
    writers = [_writer(url, run_id, 5) for run_id in ("run-a", "run-b")]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
    time.sleep(1.0)  # let both reach BEGIN IMMEDIATE; the result must not depend on it
    holder.execute("COMMIT")
    holder.close()
    for writer in writers:
        assert writer.wait() == 0, writer.stderr.read()  # type: ignore[union-attr]
    _assert_one_run(url, 5)


def test_rerun_replaces_the_date_and_new_columns_are_added(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/scores.db"
    write_sql(_frames(["C1", "C2", "C3"]), url, AS_OF, "run-1")
    write_sql(_frames(["C1", "C2"], pd_default=0.03), url, AS_OF, "run-2")  # a new score
    rows = _rows(url)
    assert rows["customer_id"].tolist() == ["C1", "C2"]
    assert set(rows["run_id"]) == {"run-2"} and rows["pd_default"].tolist() == [0.03, 0.03]
    earlier = pd.Timestamp("2025-11-30")
    write_sql(_frames(["C9"], earlier), url, earlier, "run-3")
    assert len(_rows(url)) == 3  # another date's rows are left alone

"""Scoring core and worklist on trained champions: ranking, filters, actions, outputs, CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.levels_fast import fast_levels
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.decisions.ranking import priority_tier
from risk.decisions.worklist import WorklistFilters, build_worklist
from risk.io import write_ledger
from risk.scoring import Scorer, UnknownEntityError
from risk.train import train_levels


@pytest.fixture(scope="module")
def champions(portfolio, tmp_path_factory: pytest.TempPathFactory) -> registry.Store:
    store = registry.Store.resolve(f"sqlite:///{tmp_path_factory.mktemp('wl')}/mlflow.db")
    # the ranking, filters and outputs are asserted, not the models' quality
    train_levels(portfolio.ledger, store, fast_levels())
    return store


@pytest.fixture(scope="module")
def scorer(champions: registry.Store) -> Scorer:
    return Scorer.from_registry(champions)


def test_customer_scores_carry_grade_reasons_limit_and_versions(scorer, portfolio) -> None:
    ledger = portfolio.ledger
    scores = scorer.score_customers(
        ledger, ledger.cutoff, customer_ids=list(ledger.customers["customer_id"][:20])
    )
    assert len(scores) == 20 and scores["probability"].between(0, 1).all()
    assert set(scores["grade"]) <= set("ABCDE")
    assert (scores["reasons_en"].str.len() > 0).all() and (scores["reasons_fr"].str.len() > 0).all()
    assert (scores["suggested_limit"] >= 0).all() and scores["rules"].str.len().gt(0).all()
    assert scores["model_versions"].iloc[0] == (
        "payment-risk-customer v1, payment-risk-invoice v1, payment-risk-default v1"
    )
    assert scores["pd_default"].between(0, 1).all()
    assert (scores["grade"] == scorer.scale.grade(scores["pd_default"].to_numpy())).all()
    with pytest.raises(UnknownEntityError, match="NOPE"):
        scorer.score_customers(ledger, ledger.cutoff, customer_ids=["NOPE"])


def test_customer_scores_prepare_each_model_once_and_match_its_predictions(
    scorer, portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One call prepares each model's inputs once (shared by prediction and reasons); the
    probabilities are the models' own predictions on the customer features."""
    from risk.model.bundle import RiskModel

    ledger = portfolio.ledger
    ids = list(ledger.customers["customer_id"][:5])
    features = scorer.customer_features(ledger, ledger.cutoff)
    features = features[features["customer_id"].isin(ids)].reset_index(drop=True)
    expected_p = scorer.customer_model.predict_proba(features)
    expected_pd = scorer.default_model.predict_proba(features)
    prepared: list[str] = []
    original = RiskModel.prepare

    def counting(self: RiskModel, frame: pd.DataFrame, like=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        prepared.append(self.level)
        return original(self, frame, like=like)

    monkeypatch.setattr(RiskModel, "prepare", counting)
    scores = scorer.score_customers(ledger, ledger.cutoff, customer_ids=ids, explain=True)
    distinct = 1 + (not scorer.default_model.same_inputs(scorer.customer_model))
    assert len(prepared) == distinct, prepared
    by_id = scores.set_index("customer_id").loc[features["customer_id"]]
    assert by_id["probability"].to_numpy() == pytest.approx(expected_p)
    assert by_id["pd_default"].to_numpy() == pytest.approx(expected_pd)


def test_invoice_scores_and_empty_requests(scorer, portfolio) -> None:
    ledger = portfolio.ledger
    scores = scorer.score_invoices(ledger, ledger.cutoff, explain=False)
    assert len(scores) > 0
    assert (
        scores["expected_at_risk"] - scores["probability"] * scores["open_amount"]
    ).abs().max() < 1e-9
    assert scorer.score_invoices(ledger, ledger.cutoff, invoice_ids=[]).empty


def test_scoring_some_invoices_equals_scoring_all_and_names_unknown_ids(scorer, portfolio) -> None:
    """Invoices asked by id are scored on their customers' rows exactly as in the whole
    portfolio; an unknown id is named (and only it), whatever else is asked with it."""
    ledger = portfolio.ledger
    everyone = scorer.score_invoices(ledger, ledger.cutoff, explain=False)
    ids = everyone["invoice_id"].sample(8, random_state=3).tolist()
    some = scorer.score_invoices(ledger, ledger.cutoff, invoice_ids=ids, explain=False)
    columns = ["open_amount", "probability", "expected_at_risk"]
    pd.testing.assert_frame_equal(
        some.set_index("invoice_id").loc[ids, columns],
        everyone.set_index("invoice_id").loc[ids, columns],
    )
    with pytest.raises(UnknownEntityError, match=r"unknown invoice_id\(s\): NOPE-1, NOPE-2$"):
        scorer.score_invoices(ledger, ledger.cutoff, invoice_ids=[ids[0], "NOPE-2", "NOPE-1"])


def test_worklist_is_ranked_filtered_and_actionable(scorer, portfolio) -> None:
    ledger = portfolio.ledger
    worklist = build_worklist(scorer, ledger, ledger.cutoff, WorklistFilters(top=25))
    assert len(worklist) == 25 and worklist["rank"].tolist() == list(range(1, 26))
    tiers = priority_tier(worklist)
    assert list(tiers) == sorted(tiers)  # legal deadlines, due now, courtesy, upcoming
    assert worklist.loc[tiers == 2, "expected_at_risk"].is_monotonic_decreasing
    assert worklist["action"].notna().all() and (worklist["action_fr"].str.len() > 0).all()
    assert (worklist["customer_reasons_en"].str.len() > 0).all()
    assert not worklist["why_en"].str.contains("open invoices").any()
    disputed = worklist[worklist["disputed"]]
    assert (disputed["action"] == "dispute_resolution").all()
    overdue = worklist[(worklist["days_past_due"] > 0) & ~worklist["disputed"]]
    assert (overdue["indemnity"].isin([0.0, 40.0])).all()
    graded = build_worklist(
        scorer, ledger, ledger.cutoff, WorklistFilters(top=None, grades=("E",), min_amount=1000)
    )
    assert (graded["grade"] == "E").all() and (graded["open_amount"] >= 1000).all()


def test_cli_worklist_writes_csv_and_excel(champions, portfolio, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    write_ledger(portfolio.ledger, ledger)
    done = CliRunner().invoke(
        app,
        [
            "worklist",
            "--ledger",
            str(ledger),
            "--tracking-uri",
            champions.tracking_uri,
            "--top",
            "5",
            "--lang",
            "fr",
            "--csv",
            str(tmp_path / "w.csv"),
            "--xlsx",
            str(tmp_path / "w.xlsx"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "Relances à faire" in done.output
    csv = pd.read_csv(tmp_path / "w.csv")
    xlsx = pd.read_excel(tmp_path / "w.xlsx")
    # one action per customer by default, French headers
    assert len(csv) == len(xlsx) == 5 and list(csv["code client"]) == list(xlsx["code client"])
    assert csv["code client"].is_unique
    by_invoice = CliRunner().invoke(
        app,
        ["worklist", "--ledger", str(ledger), "--tracking-uri", champions.tracking_uri,
         "--top", "5", "--by", "invoice", "--csv", str(tmp_path / "i.csv")],
    )  # fmt: skip
    assert by_invoice.exit_code == 0, by_invoice.output
    assert len(pd.read_csv(tmp_path / "i.csv")["invoice_id"]) == 5


def test_cli_letters_write_letters_and_statements(champions, portfolio, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    write_ledger(portfolio.ledger, ledger)
    customer = portfolio.ledger.invoices["customer_id"].iloc[-1]
    done = CliRunner().invoke(
        app,
        ["letters", "--ledger", str(ledger), "--tracking-uri", champions.tracking_uri,
         "--out", str(tmp_path / "letters"), "--customer", customer, "--statements"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    names = {p.name for p in (tmp_path / "letters").iterdir()}
    assert {f"{customer}_statement_fr.html", f"{customer}_statement_fr.xlsx"} <= names


def test_scoring_some_customers_equals_scoring_all(scorer, portfolio) -> None:
    """Scoring a few customers works on their own rows (plus their group) and must give
    exactly what scoring the whole portfolio gives for them, credit limits included."""
    ledger = portfolio.ledger
    grouped = ledger.customers.dropna(subset=["group_id"])["customer_id"].head(2).tolist()
    ids = [*grouped, *ledger.customers["customer_id"].head(5)]
    everyone = scorer.score_customers(ledger, ledger.cutoff).set_index("customer_id")
    some = scorer.score_customers(ledger, ledger.cutoff, customer_ids=ids).set_index("customer_id")
    columns = [
        "probability",
        "grade",
        "reasons_en",
        "suggested_limit",
        "exposure",
        "group_exposure",
        "rules",
    ]
    pd.testing.assert_frame_equal(some[columns], everyone.loc[some.index, columns])
    assert set(some.index) == set(ids)

"""The generator's open-data files read back by ``risk enrich`` restore what was removed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from risk.cli import app
from risk.enrich.bodacc import judgment_kind
from risk.enrich.run import enrich_bodacc, enrich_sirene
from risk.enrich.sirene_codes import SIZE_BANDS
from risk.io import load_ledger, write_ledger
from risk.synth import SampleConfig, generate_portfolio
from risk.synth.open_data import PROCEEDING_KINDS, _nature, bodacc_records, write_open_data


def test_round_trip_through_the_open_data_files(tmp_path: Path) -> None:
    ledger = generate_portfolio(SampleConfig(customers=150, years=2, seed=3)).ledger
    files = write_open_data(ledger, tmp_path / "open")
    events = ledger.legal_events
    assert events is not None
    proceedings = events["kind"].isin(PROCEEDING_KINDS)
    stripped = ledger.with_tables(legal_events=events[~proceedings].reset_index(drop=True))
    customers = stripped.customers.copy()
    customers[["naf_code", "legal_form"]] = pd.NA
    customers["created_on"] = pd.NaT
    customers["employees"] = pd.array([pd.NA] * len(customers), dtype="Int64")
    write_ledger(stripped.with_tables(customers=customers), tmp_path / "ledger")

    enrich_bodacc(tmp_path / "ledger", [files["bodacc"]])
    enrich_sirene(tmp_path / "ledger", [files["sirene"]])
    back = load_ledger(tmp_path / "ledger")

    with_siren = set(ledger.customers.dropna(subset=["siren"])["customer_id"])
    wanted = events[proceedings & events["customer_id"].isin(with_siren)]
    got = back.legal_events[back.legal_events["kind"].isin(PROCEEDING_KINDS)]
    key = ["customer_id", "kind", "published_on"]
    assert sorted(map(tuple, got[key].astype("str").to_numpy())) == sorted(
        map(tuple, wanted[key].astype("str").to_numpy())
    )
    assert (got["judgment_on"] < got["published_on"]).all()
    before = ledger.customers.set_index("customer_id").loc[sorted(with_siren)]
    after = back.customers.set_index("customer_id").loc[sorted(with_siren)]
    for column in ("naf_code", "legal_form", "created_on"):
        pd.testing.assert_series_equal(after[column], before[column], check_dtype=False)
    for original, filled in zip(before["employees"], after["employees"], strict=True):
        if pd.isna(original):
            assert pd.isna(filled)
            continue
        band = next(
            b
            for b in SIZE_BANDS.values()
            if b[0] <= original and (b[1] is None or original <= b[1])
        )
        assert filled == band[0]


@pytest.mark.parametrize("kind", PROCEEDING_KINDS)
@pytest.mark.parametrize(
    "before", [[], ["safeguard"], ["receivership"], ["receivership", "liquidation"]]
)
def test_every_generated_nature_maps_back_to_its_kind(kind: str, before: list[str]) -> None:
    _family, nature = _nature(kind, before)
    assert judgment_kind(nature) == kind
    if kind == "liquidation" and before:
        assert "conversion" in nature  # a receivership converted, not a second opening


def test_generated_announcements_follow_the_ledger_events() -> None:
    ledger = generate_portfolio(SampleConfig(customers=400, years=3, seed=5)).ledger
    records = bodacc_records(ledger)
    events = ledger.legal_events
    assert events is not None
    with_siren = set(ledger.customers.dropna(subset=["siren"])["customer_id"])
    expected = events["kind"].isin(PROCEEDING_KINDS) & events["customer_id"].isin(with_siren)
    assert len(records) == expected.sum() > 0
    kinds = sorted(judgment_kind(json.loads(str(r["jugement"]))["nature"]) or "" for r in records)
    assert kinds == sorted(events.loc[expected, "kind"])


def test_sample_writes_open_data(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        app,
        [
            "sample",
            "--customers",
            "40",
            "--years",
            "1",
            "--out",
            str(tmp_path / "s"),
            "--open-data",
            str(tmp_path / "open"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert (tmp_path / "open" / "bodacc_annonces.json").is_file()
    stock = pd.read_csv(tmp_path / "open" / "StockUniteLegale.csv", dtype="str")
    assert set(stock["nomenclatureActivitePrincipaleUniteLegale"]) == {"NAFRev2"}

"""BODACC announcements become dated legal events, matched by SIREN, never twice."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.enrich.conftest import bodacc_files, day
from typer.testing import CliRunner

from risk.cli import app
from risk.decisions.credit import active_proceedings
from risk.enrich.bodacc import BodaccFormatError, judgment_kind, read_announcements, sirens_of
from risk.enrich.run import enrich_bodacc
from risk.io import load_ledger


@pytest.mark.parametrize(
    ("nature", "kind"),
    [
        ("Jugement d'ouverture d'une procédure de sauvegarde", "safeguard"),
        ("Jugement d'ouverture d'une procédure de sauvegarde accélérée", "safeguard"),
        ("Jugement d'ouverture d'une procédure de redressement judiciaire", "receivership"),
        (
            "Jugement d'ouverture d'une procédure de liquidation judiciaire simplifiée",
            "liquidation",
        ),
        ("Jugement de conversion en liquidation judiciaire", "liquidation"),
        ("Jugement prononçant la résolution du plan et la liquidation judiciaire", "liquidation"),
        (
            "Jugement prononçant la conversion de la procédure de sauvegarde en redressement "
            "judiciaire",
            "receivership",
        ),
        ("Jugement arrêtant le plan de sauvegarde", "plan_adopted"),
        ("Jugement arrêtant le plan de redressement", "plan_adopted"),
        ("Jugement de clôture pour insuffisance d'actif", "proceeding_closed"),
        ("Jugement de clôture de la procédure de sauvegarde", "proceeding_closed"),
        ("Jugement modifiant le plan de sauvegarde", None),  # not an opening: reported
        ("Dépôt de l'état des créances", None),
        ("Jugement d'annulation du jugement d'ouverture", None),
    ],
)
def test_judgment_natures_map_to_documented_kinds(nature: str, kind: str | None) -> None:
    assert judgment_kind(nature) == kind


def test_registre_field_gives_each_siren_once() -> None:
    assert sirens_of(["732 829 320", "732829320"]) == ("732829320",)
    assert sirens_of("732 829 320,732829320") == ("732829320",)
    assert sirens_of(None) == ()
    assert sirens_of("RCS Lyon") == ()


def test_only_collective_proceedings_are_read() -> None:
    frame = read_announcements(bodacc_files())
    # 11 + 2 records, one registration left out, one announcement present in both files
    assert len(frame) == 11
    assert "A202400301211" not in set(frame["announcement_id"])
    plan = frame.set_index("announcement_id").loc["A202501201205"]
    assert plan["kind"] == "plan_adopted"
    assert plan["judgment_on"] == day("2025-06-01")  # "1er juin 2025"
    assert plan["published_on"] == day("2025-06-24")


def test_enrich_adds_dated_events_and_reports_the_rest(ledger_dir: Path) -> None:
    result = enrich_bodacc(ledger_dir, bodacc_files())
    added = result.events.sort_values(["customer_id", "published_on"]).reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2", "C2"],
            "published_on": [
                day(d)
                for d in ("2024-03-05", "2024-09-10", "2025-10-07", "2024-04-23", "2025-06-24")
            ],
            "kind": [
                "receivership",
                "liquidation",
                "proceeding_closed",
                "safeguard",
                "plan_adopted",
            ],
            "judgment_on": [
                day(d)
                for d in ("2024-02-27", "2024-09-03", "2025-09-30", "2024-04-16", "2025-06-01")
            ],
        }
    )
    pd.testing.assert_frame_equal(
        added[["customer_id", "published_on", "kind", "judgment_on"]],
        expected,
        check_dtype=False,
    )
    assert set(added["source"]) == {"BODACC"}
    # the correction notice repeats the receivership (the CSV's repeat of the conversion has
    # the same announcement id and is read once)
    assert (result.matched["status"] == "duplicate").sum() == 1
    assert sorted(result.unmatched["reason"]) == [
        "SIREN not in the ledger",
        "no SIREN in the announcement",
    ]
    reasons = result.ambiguous.set_index("announcement_id")["reason"]
    assert reasons["A202400901206"] == "several customers share this SIREN"
    assert "not mapped" in reasons["A202500101209"]
    assert "cancellation" in reasons["A202500201210"]

    ledger = load_ledger(ledger_dir)
    events = ledger.legal_events
    assert len(events) == 6  # the director change kept, five added
    kept = events[events["kind"] == "director_change"].iloc[0]
    assert (kept["customer_id"], kept["published_on"], kept["source"]) == (
        "C2",
        day("2023-11-20"),
        "greffe",
    )
    # the features and decisions read them: C1 is in liquidation between conversion and closure
    assert "C1" in active_proceedings(ledger, day("2025-01-01")).index
    assert "C1" not in active_proceedings(ledger, day("2024-03-01")).index  # before publication


def test_enrich_twice_adds_nothing(ledger_dir: Path) -> None:
    enrich_bodacc(ledger_dir, bodacc_files())
    before = (ledger_dir / "legal_events.csv").read_bytes()
    again = enrich_bodacc(ledger_dir, bodacc_files())
    assert again.events.empty
    assert set(again.matched["status"]) == {"duplicate"}
    assert (ledger_dir / "legal_events.csv").read_bytes() == before


def test_parquet_ledger_keeps_its_types(parquet_ledger_dir: Path) -> None:
    enrich_bodacc(parquet_ledger_dir, bodacc_files())
    events = load_ledger(parquet_ledger_dir).legal_events
    assert len(events) == 6
    assert str(events["published_on"].dtype).startswith("datetime64")


def test_dry_run_writes_nothing(ledger_dir: Path) -> None:
    before = (ledger_dir / "legal_events.csv").read_bytes()
    result = enrich_bodacc(ledger_dir, bodacc_files(), dry_run=True)
    assert len(result.events) == 5
    assert (ledger_dir / "legal_events.csv").read_bytes() == before


def test_unreadable_export_names_the_file(tmp_path: Path, ledger_dir: Path) -> None:
    broken = tmp_path / "export.json"
    broken.write_text('[{"id": "A1", ')
    with pytest.raises(BodaccFormatError, match=r"export\.json"):
        enrich_bodacc(ledger_dir, [broken])
    no_date = tmp_path / "nodate.json"
    no_date.write_text(json.dumps([{"id": "A2", "familleavis": "collective"}]))
    with pytest.raises(BodaccFormatError, match="dateparution"):
        enrich_bodacc(ledger_dir, [no_date])


def test_cli_reports_and_writes(ledger_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    files = [str(p) for p in bodacc_files()]
    result = CliRunner().invoke(
        app, ["enrich", "bodacc", *files, "--ledger", str(ledger_dir), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "5 legal event(s) added" in result.output
    outcomes = pd.read_csv(report)["outcome"].value_counts()
    assert outcomes.to_dict() == {"matched": 6, "ambiguous": 3, "unmatched": 2}
    missing = CliRunner().invoke(app, ["enrich", "bodacc", *files, "--ledger", str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_no_customer_matches(ledger_dir: Path) -> None:
    customers = (ledger_dir / "customers.csv").read_text()
    (ledger_dir / "customers.csv").write_text(
        customers.replace("732829320", "")
        .replace("552100554", "")
        .replace("403483365", "")
        .replace(",,FR", ",900000019,FR", 1)
    )
    result = CliRunner().invoke(
        app, ["enrich", "bodacc", *map(str, bodacc_files()), "--ledger", str(ledger_dir)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "0 legal event(s) added" in said
    assert "11 announcement(s) not matched to a customer (1 without SIREN)" in said

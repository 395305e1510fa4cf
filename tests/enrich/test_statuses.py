"""E-invoicing statuses from a platform CSV export and CDAR messages become invoice_statuses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.enrich.conftest import FIXTURES, day
from typer.testing import CliRunner

from risk.cli import app
from risk.contracts import INVOICE_STATUS_CODES
from risk.enrich.run import enrich_statuses
from risk.enrich.statuses import StatusFormatError, read_cdar, status_name
from risk.io import load_ledger

CSV_EXPORT = FIXTURES / "statuts_plateforme.csv"
CDAR = sorted((FIXTURES / "cdar").glob("*.xml"))


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("200", "submitted"),
        ("Déposée", "submitted"),
        ("205", "approved"),
        ("207", "disputed"),
        ("En litige", "disputed"),
        ("208", "suspended"),
        ("210", "refused"),
        ("REFUSÉE", "refused"),
        ("211", "payment_transmitted"),
        ("Paiement transmis", "payment_transmitted"),
        ("212", "cashed"),
        ("213", "rejected"),
        ("fr:212", "cashed"),
        ("payment_transmitted", "payment_transmitted"),
        ("225", None),  # factoring: an official code the ledger does not use
        ("299", None),
        ("paid", None),
    ],
)
def test_codes_labels_and_names_map_to_ledger_statuses(given: str, name: str | None) -> None:
    assert status_name(given) == name


def test_the_four_mandatory_statuses_have_their_official_codes() -> None:
    # Déposée 200, Refusée 210, Encaissée 212, Rejetée 213 (mandatory statuses of the reform)
    mandatory = {"200": "submitted", "210": "refused", "212": "cashed", "213": "rejected"}
    assert {code: INVOICE_STATUS_CODES[code] for code in mandatory} == mandatory


def test_cdar_message_gives_invoice_code_date_and_reason() -> None:
    rows = read_cdar(FIXTURES / "cdar" / "CDV-I4-207_En_litige.xml")
    assert rows[["invoice_id", "status_given", "status_on_given", "reason"]].values.tolist() == [
        ["I4", "207", "2024-02-10", "QTE_ERR"]
    ]


def test_multi_reference_cdar_gives_one_row_per_invoice() -> None:
    rows = read_cdar(FIXTURES / "cdar" / "CDV-MULTI-205.xml")
    assert rows["invoice_id"].tolist() == ["I5", "I9"]
    assert set(rows["status_given"]) == {"205"}


def test_enrich_adds_dated_statuses_and_reports_the_rest(ledger_dir: Path) -> None:
    result = enrich_statuses(ledger_dir, [CSV_EXPORT, *CDAR])
    added = result.statuses.sort_values(["invoice_id", "status_on"]).reset_index(drop=True)
    expected = [
        ("I1", "submitted", day("2024-01-10")),
        ("I1", "disputed", day("2024-01-16")),
        ("I2", "submitted", day("2024-01-15")),
        ("I2", "approved", day("2024-01-22")),
        ("I2", "payment_transmitted", day("2024-03-18")),
        ("I2", "cashed", day("2024-03-20")),
        ("I3", "submitted", day("2024-02-01")),  # CDAR
        ("I3", "refused", day("2024-02-05")),  # dd/mm/yyyy in the export
        ("I4", "disputed", day("2024-02-10")),  # CDAR, with its reason
        ("I5", "approved", day("2024-02-12")),  # CDAR MULTI
    ]
    got = list(zip(added["invoice_id"], added["status"], added["status_on"], strict=True))
    assert sorted(got) == sorted(expected)
    reasons = dict(zip(added["invoice_id"] + "/" + added["status"], added["reason"], strict=True))
    assert reasons["I1/disputed"] == "PU_ERR" and reasons["I4/disputed"] == "QTE_ERR"
    why = dict(
        zip(
            result.rejected["invoice_id"] + "/" + result.rejected["status_given"],
            result.rejected["reason_rejected"],
            strict=True,
        )
    )
    assert why == {
        "I9/205": "unknown invoice",  # in the export and in the CDAR MULTI message
        "I4/299": "unknown status",
        "I4/225": "official code not used by the ledger",
        "I5/208": "unreadable status date",
    }
    ledger = load_ledger(ledger_dir)
    assert ledger.invoice_statuses is not None
    assert len(ledger.invoice_statuses) == len(expected)


def test_enrich_twice_adds_nothing(ledger_dir: Path) -> None:
    first = enrich_statuses(ledger_dir, [CSV_EXPORT])
    second = enrich_statuses(ledger_dir, [CSV_EXPORT])
    assert len(first.statuses) == 7 and second.statuses.empty
    assert not second.matched["added"].any()
    statuses = pd.read_csv(ledger_dir / "invoice_statuses.csv")
    assert len(statuses) == 7


def test_dry_run_writes_nothing(ledger_dir: Path) -> None:
    result = enrich_statuses(ledger_dir, CDAR, dry_run=True)
    assert len(result.statuses) == 3
    assert not (ledger_dir / "invoice_statuses.csv").exists()


def test_export_without_a_status_column_names_the_file(ledger_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "export.csv"
    bad.write_text("facture,date\nI1,2024-01-10\n")
    with pytest.raises(StatusFormatError, match=r"export\.csv: no column for status"):
        enrich_statuses(ledger_dir, [bad])


def test_xml_that_is_not_cdar_is_refused(ledger_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "invoice.xml"
    bad.write_text("<Invoice><ID>I1</ID></Invoice>")
    with pytest.raises(
        StatusFormatError, match="expected rsm:CrossDomainAcknowledgementAndResponse"
    ):
        enrich_statuses(ledger_dir, [bad])


def test_cli_reports_and_writes(ledger_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    result = CliRunner().invoke(
        app,
        ["enrich", "statuses", str(CSV_EXPORT), *map(str, CDAR), "--ledger", str(ledger_dir),
         "--report", str(report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "10 status(es) added" in result.output
    written = pd.read_csv(report)
    assert set(written["outcome"]) == {"matched", "rejected"}
    bad = CliRunner().invoke(app, ["enrich", "statuses", str(tmp_path / "none.csv"),
                                   "--ledger", str(ledger_dir)])  # fmt: skip
    assert bad.exit_code == 2 and "none.csv" in bad.output


def test_generated_statuses_round_trip_through_a_platform_export(tmp_path: Path) -> None:
    from risk.io import write_ledger
    from risk.synth import SampleConfig, generate_portfolio
    from risk.synth.statuses import platform_export_frame

    ledger = generate_portfolio(SampleConfig(customers=40, years=1, seed=2)).ledger
    export = tmp_path / "export.csv"
    platform_export_frame(ledger.invoice_statuses).to_csv(export, sep=";", index=False)
    write_ledger(ledger.with_tables(invoice_statuses=None), tmp_path / "ledger")
    result = enrich_statuses(tmp_path / "ledger", [export])
    assert result.rejected.empty
    back = load_ledger(tmp_path / "ledger").invoice_statuses
    key = ["invoice_id", "status_on", "status"]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True)[key],
        ledger.invoice_statuses.sort_values(key).reset_index(drop=True)[key],
    )

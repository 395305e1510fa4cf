"""A byte that is not UTF-8 or a broken CSV line quarantines that row only, with its line
number and reason; counts reconcile (read = kept + quarantined)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.io import validate_ledger_dir, write_quarantine

CUSTOMERS = b"customer_id,name,country\nC1,Acme,FR\nC2,Caf\xe9 Bar,FR\nC3,Zed,FR\n"
INVOICE_HEADER = b"invoice_id,customer_id,issued_on,due_on,amount,paid_on\n"
GOOD_INVOICES = [
    b"I%d,C%d,2025-01-%02d,2025-02-%02d,%d.00,\n" % (k, k % 3 + 1, k, k, 10 * k)
    for k in range(1, 13)
]


def _folder(tmp_path: Path, customers: bytes, invoices: bytes) -> Path:
    (tmp_path / "customers.csv").write_bytes(customers)
    (tmp_path / "invoices.csv").write_bytes(invoices)
    return tmp_path


def test_bad_byte_cut_line_and_short_line_are_quarantined_with_line_numbers(
    tmp_path: Path,
) -> None:
    invoices = INVOICE_HEADER + b"".join(
        [
            b"I1,C1,2025-01-01,2025-01-31,100.00,2025-02-10\n",
            b"I2,C1,2025-01-05,2025-02-04,50.00,\n",
            b"I3,C3,2025-01-0I4,C3,2025-01-07,2025-02-06,70.00,\n",  # I3 cut, merged with I4
            b"I5,C3,2025-01-09,2025-02-08\n",  # cut short
            b"I6,C1,2025-01-10,2025-02-09,20.00,\n",
        ]
    )
    result = validate_ledger_dir(_folder(tmp_path, CUSTOMERS, invoices))
    customers, invoice_report = result.reports["customers"], result.reports["invoices"]
    assert (customers.read, customers.kept, customers.quarantined) == (3, 2, 1)
    assert (invoice_report.read, invoice_report.kept, invoice_report.quarantined) == (5, 3, 2)
    assert set(result.ledger.customers["customer_id"]) == {"C1", "C3"}
    assert set(result.ledger.invoices["invoice_id"]) == {"I1", "I2", "I6"}
    bad_customer = result.quarantine["customers"]
    assert bad_customer["row"].tolist() == [2]
    assert bad_customer["reasons"].iloc[0].startswith("_line: line 3: byte 0xE9")
    assert "Caf\\xe9 Bar" in bad_customer["reasons"].iloc[0]  # the raw bytes, shown
    reasons = result.quarantine["invoices"]["reasons"].tolist()
    assert reasons[0].startswith("_line: line 4: 8 fields where the header has 6")
    assert reasons[1].startswith("_line: line 5: 4 fields where the header has 6")
    written = write_quarantine(result, tmp_path / "quarantine")
    assert set(written) == {"customers", "invoices"}


def test_a_clean_file_keeps_the_fast_path_columns(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, CUSTOMERS.replace(b"\xe9", b"e"), INVOICE_HEADER + b"".join(GOOD_INVOICES)
    )
    result = validate_ledger_dir(folder)
    assert result.n_quarantined == 0
    assert result.reports["invoices"].ignored_columns == ()
    assert "_line" not in result.ledger.invoices.columns


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    damage=st.lists(
        st.tuples(
            st.integers(0, len(GOOD_INVOICES) - 1),
            st.sampled_from(["byte", "cut", "extra"]),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda d: d[0],
    )
)
def test_any_damage_is_quarantined_and_counts_reconcile(
    tmp_path_factory, damage: list[tuple[int, str, int]]
) -> None:
    lines = list(GOOD_INVOICES)
    for index, kind, seed in damage:
        line = lines[index]
        if kind == "byte":  # two bytes that no UTF-8 text contains
            at = 1 + seed % (len(line) - 2)
            lines[index] = line[:at] + bytes([0xC0 | seed % 2]) + b"\xff" + line[at:]
        elif kind == "cut":  # the line loses its end and its newline: merged with the next
            # cut after the first comma: a cut inside the id ("I10" + "I11,C3,...") makes a
            # well-formed row whose id is "I10I11", which no reader can tell from a real one
            lines[index] = line[: line.index(b",") + 1 + seed % 10]
        else:
            lines[index] = line.rstrip(b"\n") + b",extra\n"
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    clean_customers = CUSTOMERS.replace(b"\xe9", b"e")
    folder = tmp_path_factory.mktemp("damaged")
    result = validate_ledger_dir(_folder(folder, clean_customers, INVOICE_HEADER + b"".join(lines)))
    report = result.reports["invoices"]
    assert report.reconciles and report.quarantined >= 1
    damaged = {index for index, _, _ in damage}
    swallowed = {index + 1 for index, kind, _ in damage if kind == "cut"}
    kept = set(result.ledger.invoices["invoice_id"])
    for k in set(range(len(lines))) - damaged - swallowed:
        assert f"I{k + 1}" in kept  # an untouched line is never lost
    for index, kind, _ in damage:
        if kind in ("byte", "extra"):
            assert f"I{index + 1}" not in kept
    reasons = " ".join(result.quarantine["invoices"]["reasons"])
    assert "_line: line " in reasons


def test_a_line_with_one_field_is_a_broken_line_not_a_row_of_empty_values(tmp_path: Path) -> None:
    # pandas pads a short line with empty strings, which look like real empty values
    invoices = INVOICE_HEADER + b"".join(GOOD_INVOICES[:3]) + b"I4\n"
    result = validate_ledger_dir(_folder(tmp_path, CUSTOMERS.replace(b"\xe9", b"e"), invoices))
    reasons = result.quarantine["invoices"]["reasons"].tolist()
    assert result.reports["invoices"].quarantined == 1
    assert reasons[0].startswith("_line: line 5: 1 fields where the header has 6")


def test_short_line_is_found_when_quoted_fields_hold_commas(tmp_path: Path) -> None:
    customers = b'customer_id,name,country\nC1,"Acme, Inc.",FR\nC2,"Zed\nSA",FR\nC3\n'
    invoices = INVOICE_HEADER + b"".join(GOOD_INVOICES[:3])
    result = validate_ledger_dir(_folder(tmp_path, customers, invoices))
    assert set(result.ledger.customers["customer_id"]) == {"C1", "C2"}
    assert result.ledger.customers.set_index("customer_id").loc["C1", "name"] == "Acme, Inc."
    reasons = result.quarantine["customers"]["reasons"].tolist()
    assert reasons[0].startswith("_line: line 5: 1 fields where the header has 3")

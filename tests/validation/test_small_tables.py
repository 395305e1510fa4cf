"""Small tables (an inline ledger's, an event batch's) are checked value by value in Python
and with NumPy masks: the kept ledger, the issues, the reports and the quarantined rows are
those of the pandas path that large tables take (``SMALL_COLUMN`` set to 0 forces it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.contracts import TABLES
from risk.validation import parse, rules, validate_tables
from risk.validation.parse import parse_int

TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from([" ", "C1", "C2", "C1 ", "é", "\u0661\u0662", "x\n"]),
    st.text(max_size=4),
)
SIREN = st.one_of(
    st.none(),
    st.sampled_from(["732829320", "732829321", "12345678", "\u0667" * 9, " 732829320", ""]),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
NAF = st.one_of(st.none(), st.sampled_from(["47.11F", "47.11f", "4711F", "\u0664\u0667.11F", ""]))
COUNTRY = st.one_of(st.none(), st.sampled_from(["FR", "fr", "FRA", "ÉS", "", "BE"]))
FORM = st.one_of(st.none(), st.sampled_from(["SAS", "SARL", "EPIC", "XYZ", "", "sas"]))
NUMBER = st.one_of(
    st.none(),
    st.sampled_from([0.0, -1.0, 1.0, 2.5, 30.0, -0.0, 1e9, float("nan")]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
DAY = st.one_of(st.none(), st.dates(min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2026-12-31").date()))  # fmt: skip


def _text(values: list[object]) -> pd.Series:
    """Text as an inline ledger sends it: a missing value is empty text."""
    return pd.Series(["" if v is None else v for v in values], dtype="str")


def _dates(values: list[object]) -> pd.Series:
    return pd.Series(np.array(values, dtype="datetime64[D]").astype("datetime64[ns]"))


ID = st.one_of(TEXT, st.sampled_from(["C1", "C2", "C3"]))
INVOICE_ID = st.one_of(TEXT, st.sampled_from(["I1", "I2", "I3", "I4"]))
OWNER = st.sampled_from(["C1", "C2", "C3", "C9", ""])
CHANNEL = st.one_of(TEXT, st.sampled_from(["paper", "email", "chorus_pro"]))
SOME_DAY = st.dates(
    min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2026-12-31").date()
)


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """Typed raw tables as an inline ledger sends them, with broken values mixed in (required
    dates always given: a missing one is refused by the request schema before validation)."""
    n, m = draw(st.integers(1, 6)), draw(st.integers(0, 8))

    def column(values: st.SearchStrategy, size: int) -> list[object]:
        return draw(st.lists(values, min_size=size, max_size=size))

    customers = pd.DataFrame(
        {
            "customer_id": _text(column(ID, n)),
            "siren": _text(column(SIREN, n)),
            "country": _text(column(COUNTRY, n)),
            "naf_code": _text(column(NAF, n)),
            "legal_form": _text(column(FORM, n)),
            "created_on": _dates(column(DAY, n)),
            "payment_terms_days": pd.Series(column(NUMBER, n), dtype="float64"),
            "credit_limit": pd.Series(column(NUMBER, n), dtype="float64"),
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": _text(column(INVOICE_ID, m)),
            "customer_id": _text(column(OWNER, m)),
            "issued_on": _dates(column(SOME_DAY, m)),
            "due_on": _dates(column(SOME_DAY, m)),
            "amount": pd.Series(column(NUMBER, m), dtype="float64"),
            "paid_on": _dates(column(DAY, m)),
            "amount_paid": pd.Series(column(NUMBER, m), dtype="float64"),
            "channel": _text(column(CHANNEL, m)),
        }
    )
    raw = {"customers": customers, "invoices": invoices}
    for name in ("payments", "reminders"):
        raw[name] = pd.DataFrame(columns=[c.name for c in TABLES[name].columns], dtype="str")
    return raw


def _outcome(raw: dict[str, pd.DataFrame], general: bool) -> object:
    """``validate_tables(raw)`` by the small-table path, or by the pandas path; an error by
    its type (both paths must fail alike; none is expected)."""
    with pytest.MonkeyPatch.context() as patch:
        if general:
            patch.setattr(parse, "SMALL_COLUMN", 0)
            patch.setattr(rules, "SMALL_COLUMN", 0)
        try:
            return validate_tables(raw)
        except Exception as exc:  # reported by type: both paths must fail alike
            return type(exc).__name__


@settings(max_examples=150, deadline=None, derandomize=True)
@given(ledgers())
def test_small_tables_validate_as_large_ones(raw: dict[str, pd.DataFrame]) -> None:
    fast, slow = _outcome(raw, general=False), _outcome(raw, general=True)
    assert not isinstance(fast, str) and not isinstance(slow, str), (fast, slow)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)  # type: ignore[attr-defined]
    assert fast.reports == slow.reports  # type: ignore[attr-defined]
    for name, frame in fast.ledger.tables().items():  # type: ignore[attr-defined]
        other = getattr(slow.ledger, name)  # type: ignore[attr-defined]
        if frame is None:
            assert other is None
        else:
            pd.testing.assert_frame_equal(frame, other, obj=name)
    assert fast.quarantine.keys() == slow.quarantine.keys()  # type: ignore[attr-defined]
    for name, rows in fast.quarantine.items():  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(rows, slow.quarantine[name], obj=name)  # type: ignore[attr-defined]


def _parse_int_reference(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The pandas formulation of ``parse_int`` on typed numbers (before the NumPy path)."""
    values, bad = raw.astype("float64"), pd.Series(False, index=raw.index)
    fractional = values.notna() & (values != values.round())
    bad = bad | fractional
    return values.where(~bad).round().astype("Int64"), bad


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(NUMBER, max_size=12), st.sampled_from(["float64", "Int64"]))
def test_typed_whole_numbers_parse_as_before(values: list[float | None], dtype: str) -> None:
    raw = pd.Series(values, dtype="float64")
    if dtype == "Int64":
        raw = raw.where(raw.isna() | (raw == raw.round())).astype("Int64")
    parsed, bad = parse_int(raw)
    expected, expected_bad = _parse_int_reference(raw)
    pd.testing.assert_series_equal(parsed, expected)
    pd.testing.assert_series_equal(bad, expected_bad)


def test_a_broken_one_row_customer_is_reported_cell_by_cell() -> None:
    """Each rule on a one-row table, checked by hand: the Luhn key of 732829321 is wrong
    (7+2+2+3+1 + (6+1+8+4) = 34), the NAF code lacks its dot, the country is lower case,
    the legal form is unknown and the terms are negative."""
    raw = {
        "customers": pd.DataFrame(
            {
                "customer_id": pd.Series(["C1"], dtype="str"),
                "siren": pd.Series(["732829321"], dtype="str"),
                "country": pd.Series(["fr"], dtype="str"),
                "naf_code": pd.Series(["4711F"], dtype="str"),
                "legal_form": pd.Series(["XYZ"], dtype="str"),
                "payment_terms_days": pd.Series([-1.0]),
            }
        ),
        "invoices": pd.DataFrame(
            columns=["invoice_id", "customer_id", "issued_on", "due_on", "amount"], dtype="str"
        ),
    }
    result = validate_tables(raw)
    assert result.issues["column"].tolist() == [
        "country",
        "legal_form",
        "naf_code",
        "payment_terms_days",
        "siren",
    ]
    assert "Luhn" in result.issues.set_index("column").loc["siren", "rule"]
    assert result.reports["customers"].quarantined == 1


def test_a_siren_of_non_ascii_digits_is_quarantined_not_an_error() -> None:
    """A SIREN written in Arabic-Indic digits (matched by a Unicode ``\\d``) was sent to the
    Luhn check, which reads ASCII digits only, and the whole validation failed (a 500 for an
    inline ledger); it breaks the 9-digit format rule, on both paths."""
    raw = {
        "customers": pd.DataFrame(
            {
                "customer_id": pd.Series(["C1", "C2"], dtype="str"),
                "siren": pd.Series(
                    ["\u0667\u0663\u0662\u0668\u0662\u0669\u0663\u0662\u0660", "732829320"],
                    dtype="str",
                ),
            }
        ),
        "invoices": pd.DataFrame(
            columns=["invoice_id", "customer_id", "issued_on", "due_on", "amount"], dtype="str"
        ),
    }
    for general in (False, True):
        result = _outcome(raw, general)
        assert not isinstance(result, str), result
        issues = result.issues  # type: ignore[attr-defined]
        assert issues[["row", "column", "rule"]].values.tolist() == [
            [1, "siren", "SIREN must be exactly 9 digits"]
        ]


def test_a_typed_table_missing_a_required_value_is_quarantined_not_an_error() -> None:
    """A Parquet table (typed columns) with an invoice lacking its amount: the row is
    quarantined with an empty value, as the same row read from CSV text (it was a TypeError
    building the quarantine's reasons from a missing value)."""
    raw = {
        "customers": pd.DataFrame({"customer_id": pd.Series(["C1"], dtype="str")}),
        "invoices": pd.DataFrame(
            {
                "invoice_id": pd.Series(["I1", "I2"], dtype="str"),
                "customer_id": pd.Series(["C1", "C1"], dtype="str"),
                "issued_on": _dates(["2025-01-02", "2025-01-03"]),
                "due_on": _dates(["2025-02-02", "2025-02-03"]),
                "amount": pd.Series([100.0, np.nan]),
            }
        ),
    }
    for general in (False, True):
        result = _outcome(raw, general)
        assert not isinstance(result, str), result
        assert result.reports["invoices"].quarantined == 1  # type: ignore[attr-defined]
        issues = result.issues  # type: ignore[attr-defined]
        assert issues[["row", "column", "value"]].values.tolist() == [[2, "amount", ""]]

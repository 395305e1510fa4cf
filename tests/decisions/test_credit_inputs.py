"""The optional ``insured_limit`` customers column: validated like ``credit_limit``, used as a
cap and as a guarantee (lower LGD) by the credit limits."""

from __future__ import annotations

import math

from risk.io import validate_ledger_dir

CUSTOMERS = """\
customer_id,name,legal_form,payment_terms_days,credit_limit,insured_limit
C1,Alpha SAS,SAS,30,10000,8000
C2,Beta SARL,SARL,45,5000,
C3,Gamma SA,SA,30,2000,-5
"""


def test_insured_limit_is_an_optional_non_negative_float(write_ledger) -> None:
    result = validate_ledger_dir(write_ledger(customers=CUSTOMERS))
    customers = result.ledger.customers.set_index("customer_id")
    assert customers.loc["C1", "insured_limit"] == 8000.0
    assert math.isnan(customers.loc["C2", "insured_limit"])
    issues = result.issues[result.issues["table"] == "customers"]
    assert issues["column"].tolist() == ["insured_limit"]
    assert ">= 0" in str(issues["rule"].iloc[0]) and "C3" not in customers.index

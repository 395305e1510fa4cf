"""With ``--lang fr`` every number in reasons, rule trails and letters is French (issue 13):
a space (no-break) between thousands, a decimal comma, a space before ``%`` and ``€``; never
``1,234.56``. Every expected string is written by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from risk.decisions.credit import CreditPolicy
from risk.decisions.credit_limits import suggest_limits
from risk.decisions.messages import format_amount
from risk.decisions.reasons_fr import reason_fr
from risk.features.registry import get_spec
from risk.numbers_fr import fr

S = "\u00a0"  # no-break space
ENGLISH_NUMBER = re.compile(r"\d,\d{3}|\d\.\d")  # 1,234 or 0.5: English separators


def test_french_numbers_keep_the_format_and_change_the_marks() -> None:
    assert f"{fr(1234567.891):,.2f}" == f"1{S}234{S}567,89"
    assert f"{fr(18000.0):,.0f}" == f"18{S}000"
    assert f"{fr(0.2):.2%}" == f"20,00{S}%"
    assert f"{fr(0.3):g}" == "0,3"
    assert f"{fr(-1500.5):,.1f}" == f"-1{S}500,5"
    assert str(fr(3)) == "3"  # an integer stays an integer
    assert f"{fr(np.int64(12345)):,}" == f"12{S}345"


def test_amounts_in_letters_are_french() -> None:
    assert format_amount(1234.56, "fr") == f"1{S}234,56{S}€"
    assert format_amount(1234.56, "en") == "EUR 1,234.56"


def test_a_partial_dispute_reason_in_french() -> None:
    english = (
        "1234.56 of 3000.00 disputed since 2025-11-02: dunning of the rest (1765.44) continues"
    )
    assert reason_fr(english) == (
        f"1{S}234,56{S}€ sur 3{S}000,00{S}€ en litige depuis le 02/11/2025 : relances du reste "
        f"(1{S}765,44{S}€) maintenues"
    )


def test_feature_reasons_in_french() -> None:
    spec = get_spec("open_amount_total")
    assert spec.reason(12345.6, "en") == "12,346 open in total"
    assert spec.reason(12345.6, "fr") == f"12{S}346 d'encours au total"
    assert spec.reason(np.float64(1234567.0), "fr") == f"1{S}234{S}567 d'encours au total"


def test_credit_limit_rule_trail_in_french() -> None:
    policy = CreditPolicy(
        cycle_days=30,
        expected_loss_budget=1000.0,
        expected_loss_share_of_sales=0.0,
        loss_given_default={"private": 0.5, "public": 0.1, "guaranteed": 0.25},
    )
    row = {
        "customer_id": "C1", "pd": 0.2, "grade": "E", "monthly_sales": 30_000.0,
        "terms_days": 30, "end_of_month": False, "has_history": True, "proceeding": None,
        "current_limit": 50_000.0, "exposure": 12_500.0, "group_id": None,
        "typical_invoice": 2000.0, "public_buyer": False, "insured_limit": np.nan,
    }  # fmt: skip
    out = suggest_limits(pd.DataFrame([row]), policy).iloc[0]
    # base 30,000 x (30 + 30) / 30 x 0.3 = 18,000; cap 1,000 / (0.2 x 0.5) = 10,000;
    # exposure 12,500 above 10,000: reduce by 2,500
    french = out["rules_fr"]
    assert (
        f"achats attendus 30{S}000/mois sur 60 jours x coefficient de la note E 0,3 = 18{S}000"
        in french
    )
    assert f"plafonné à 10{S}000 par le budget de perte attendue 1{S}000" in french
    assert f"(PD défaut 20,00{S}% x LGD 50{S}%, acheteur privé)" in french
    assert f"réduire : l'encours 12{S}500 dépasse la limite proposée de 2{S}500" in french
    assert not ENGLISH_NUMBER.search(french), french
    assert "expected purchases 30,000/month" in out["rules"]  # English unchanged


def test_segments_are_named_in_french_in_the_rule_trail() -> None:
    """The LGD segment of the expected-loss cap is written in French (issue 13): a public
    buyer's cap says "acheteur public", a credit-insured account's "compte garanti"."""
    policy = CreditPolicy(
        expected_loss_budget=100.0,
        expected_loss_share_of_sales=0.0,
        loss_given_default={"private": 0.6, "public": 0.1, "guaranteed": 0.3},
    )
    base = {
        "pd": 0.5, "grade": "E", "monthly_sales": 30_000.0, "terms_days": 30,
        "end_of_month": False, "has_history": True, "proceeding": None,
        "current_limit": 50_000.0, "exposure": 0.0, "group_id": None,
        "typical_invoice": 2000.0, "public_buyer": False, "insured_limit": np.nan,
    }  # fmt: skip
    rows = [
        {**base, "customer_id": "PUB", "public_buyer": True},
        {**base, "customer_id": "INS", "insured_limit": 100_000.0},
    ]
    out = suggest_limits(pd.DataFrame(rows), policy).set_index("customer_id")
    # caps 100 / (0.5 x 0.1) = 2,000 and 100 / (0.5 x 0.3) = 667, both below the base
    # 30,000 x 60 / 30 x 0.3 = 18,000
    assert f"plafonné à 2{S}000 par" in out.loc["PUB", "rules_fr"]
    assert f"x LGD 10{S}%, acheteur public)" in out.loc["PUB", "rules_fr"]
    assert "plafonné à 667 par" in out.loc["INS", "rules_fr"]
    assert f"x LGD 30{S}%, compte garanti)" in out.loc["INS", "rules_fr"]
    for text in out["rules_fr"]:
        # "public" is French too ("acheteur public"): the English segment stood alone
        assert not re.search(r"\b(private|guaranteed)\b|, public\)", text), text
    assert "LGD 10%, public)" in out.loc["PUB", "rules"]  # English unchanged

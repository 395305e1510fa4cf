"""Reminder messages (French and English) rendered from Jinja2 templates.

One plain-text template per action code and language lives in ``templates/<lang>/<code>.txt.j2``
(autoescape off, ``StrictUndefined``: a missing variable is an error, never a blank). Client
letters carry the amounts and penalties; ``declare_claim``, ``dispute_resolution``,
``wait_promise``, ``payment_order``, ``phone_call`` and ``none`` produce internal notes.

Example:
    >>> format_amount(1234.56, "fr"), format_amount(1234.56, "en")
    ('1\\xa0234,56\\xa0€', 'EUR 1,234.56')
    >>> format_date(date(2025, 3, 15), "fr"), format_date(date(2025, 3, 15), "en")
    ('15/03/2025', '15 March 2025')
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from risk.decisions.dunning import Action, InvoiceState
from risk.decisions.penalties import LatePaymentAmounts
from risk.errors import ConfigError

LANGUAGES = ("fr", "en")
#: the packaged templates, ``<lang>/<action code>.txt.j2``.
TEMPLATE_DIR = Path(__file__).parent / "templates"
#: no-break space: French thousands separator and space before "€" (no line break inside).
NBSP = "\u00a0"
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December")  # fmt: skip


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}, expected one of {LANGUAGES}")


def format_amount(value: float, lang: str) -> str:
    """Amount in euros: ``1 234,56 €`` (French, no-break spaces) or ``EUR 1,234.56``."""
    _check_lang(lang)
    cents = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    if lang == "en":
        return f"{sign}EUR {text}"
    text = text.replace(",", NBSP).replace(".", ",")
    return f"{sign}{text}{NBSP}€"


def format_date(value: date, lang: str) -> str:
    """Date as ``15/03/2025`` (French) or ``15 March 2025`` (English)."""
    _check_lang(lang)
    if lang == "fr":
        return value.strftime("%d/%m/%Y")
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def format_rate(value: float, lang: str) -> str:
    """Annual rate given as a fraction: ``14,76 %`` (French) or ``14.76%`` (English)."""
    _check_lang(lang)
    text = f"{value * 100:.2f}"
    return f"{text.replace('.', ',')}{NBSP}%" if lang == "fr" else f"{text}%"


@cache
def _environment(template_dir: str | None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir or TEMPLATE_DIR),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _context(
    action: Action, invoice: InvoiceState, amounts: LatePaymentAmounts, lang: str, company: str
) -> dict[str, Any]:
    money = lambda value: format_amount(value, lang)  # noqa: E731
    day = lambda value: format_date(value, lang) if value is not None else ""  # noqa: E731
    segments = [
        {"start": day(s.start), "end": day(s.end), "days": s.days,
         "rate": format_rate(s.annual_rate, lang), "interest": money(s.interest)}
        for s in amounts.segments
    ]  # fmt: skip
    return {
        "company": company,
        "invoice_id": invoice.invoice_id,
        "customer_id": invoice.customer_id,
        "label": action.label_fr if lang == "fr" else action.label_en,
        "reason": action.reason,
        "main_reason": invoice.top_reasons[0] if invoice.top_reasons else "",
        "step": action.step,
        "owner": action.owner,
        "action_date": day(action.due_date),
        "deadline": day(action.deadline),
        "due_on": day(invoice.due_on),
        "promise_date": day(invoice.promise_to_pay_until),
        "published_on": day(invoice.proceeding_published_on),
        "days_late": amounts.days_late,
        "open_amount": money(invoice.open_amount),
        "interest": money(amounts.interest),
        "has_interest": amounts.interest > 0,
        "indemnity": money(amounts.indemnity),
        "penalties": money(amounts.total),
        "total_due": money(invoice.open_amount + amounts.total),
        "computed_on": day(amounts.segments[-1].end) if amounts.segments else "",
        "segments": segments,
    }


def render_message(
    action: Action,
    invoice: InvoiceState,
    amounts: LatePaymentAmounts,
    lang: str,
    company: str = "Credit department",
    template_dir: str | Path | None = None,
) -> str:
    """Render the message of an action (client letter or internal note) in French or English.

    Args:
        action: the action, from ``next_action``.
        invoice: the invoice it concerns.
        amounts: its late-payment amounts, from ``late_payment_amounts``.
        lang: ``"fr"`` or ``"en"``.
        company: sender's name, used in the signature.
        template_dir: folder with ``<lang>/<code>.txt.j2`` templates replacing the packaged ones.

    Returns:
        The plain-text message.

    Raises:
        ConfigError: if there is no template for the action code and language, or a template
            uses a variable that does not exist.
        ValueError: if the language is not supported.
    """
    _check_lang(lang)
    env = _environment(None if template_dir is None else str(template_dir))
    name = f"{lang}/{action.code}.txt.j2"
    try:
        template = env.get_template(name)
        return template.render(**_context(action, invoice, amounts, lang, company))
    except jinja2.TemplateNotFound:
        raise ConfigError(
            f"no message template {name!r} for action {action.code!r} (add one to the templates)"
        ) from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"message template {name!r}: {exc}") from exc

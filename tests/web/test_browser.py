"""End to end in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright
against a live ``bentoml serve`` on loopback, pages under /app.

Sign in (keyboard only), dashboard figures equal to ``risk overview``, filter the worklist,
record a promise in two clicks and see the next action change, open the customer sheet, sign
out; axe-core finds no serious or critical violation on any page; screenshots under tmp_path
(and under ``RISK_WEB_SCREENSHOT_DIR`` when set, e.g. ``docs/img`` for the README).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.conftest import LiveServer, Trained, start_server, stop_server, wait_ready
from tests.web.conftest import COLLECTOR_KEY, web_keys

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TIMEOUT_MS = 180_000
STEP_ACTIONS = (
    "email_reminder",
    "second_email",
    "phone_call",
    "letter_with_penalties",
    "formal_notice",
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser at {CHROMIUM}: apt-get install -y chromium (as .ci/run does)")
    with playwright_api.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except playwright_api.Error as exc:
            pytest.skip(f"chromium at {CHROMIUM} does not start: {exc}")
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def web_server(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tests.service.conftest import service_env

    tmp = tmp_path_factory.mktemp("web-live")
    env = service_env(trained, tmp)
    ledger = tmp / "ledger"  # recorded actions are ledger events: they rewrite the folder
    shutil.copytree(trained.ledger_dir, ledger)
    env.update(
        RISK_API_KEYS=web_keys(),
        RISK_ACTIONS_URL=f"sqlite:///{tmp}/actions.db",
        RISK_LEDGER=str(ledger),
    )
    server = start_server(env, tmp / "server.log", timeout=300)
    try:
        assert wait_ready(server.url, timeout=300).status_code == 200
        yield server
    finally:
        stop_server(server)


def overview_open_receivables(ledger_dir: Path) -> str:
    """The 'open receivables' figure printed by ``risk overview``."""
    command = [
        sys.executable,
        "-c",
        "from risk.cli import app; app()",
        "overview",
        "--ledger",
        str(ledger_dir),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout
    return re.search(r"open receivables\s*│?\s*([\d,]+\.\d\d)", out).group(1)


def check_accessibility(page) -> None:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{page.url}: " + "; ".join(serious)


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("RISK_WEB_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def test_credit_manager_day_in_the_browser(
    browser, web_server: LiveServer, trained: Trained, tmp_path: Path
) -> None:
    context = browser.new_context(
        bypass_csp=True, locale="en-GB", viewport={"width": 1360, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    app = f"{web_server.url}/app"

    # sign in with the keyboard alone
    page.goto(f"{app}/dashboard")
    assert "/app/signin" in page.url
    check_accessibility(page)
    shoot(page, tmp_path, "signin")
    assert page.evaluate("document.activeElement.id") == "key"  # the key field has the focus
    page.keyboard.type(COLLECTOR_KEY)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{app}/dashboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    # dashboard figures are `risk overview`'s
    figure = page.inner_text("#kpi-open")
    assert figure == f"EUR {overview_open_receivables(trained.ledger_dir)}"
    assert page.locator("svg.chart").count() == 4
    check_accessibility(page)
    shoot(page, tmp_path, "dashboard")

    # worklist filtered on the worst grade offered (htmx swaps the results in place)
    page.click("text=Worklist")
    page.wait_for_url(f"{app}/worklist")
    worst = page.locator("input[name=grade]").last.get_attribute("value")
    page.check(f"input[name=grade][value={worst}]")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(rf".*grade={worst}.*"))
    grades = page.locator("#worklist-table td.grade").all_inner_texts()
    assert grades and set(grades) == {worst}
    check_accessibility(page)
    shoot(page, tmp_path, "worklist")

    # a promise in two clicks on a customer whose next action is a scenario step
    page.goto(f"{app}/worklist?sort=at_risk")
    row = None
    for candidate in page.locator("tbody.customer-row").all():
        action = candidate.locator("td.action").get_attribute("data-action")
        if action in STEP_ACTIONS:
            row = candidate
            break
    assert row is not None, "no customer with a scenario step on the first page"
    customer_id = row.get_attribute("id").removeprefix("row-")
    sheet = context.new_page()
    sheet.goto(f"{app}/customers/{customer_id}")
    disputed = sheet.locator("#open-items .badge").count()
    sheet.close()
    row.locator("summary").click()  # click 1
    row.locator("button.kind-promise").click()  # click 2
    changed = page.locator(f"#row-{customer_id} td.action")
    changed.locator(".badge").wait_for()
    new_action = changed.get_attribute("data-action")
    assert new_action != action
    if not disputed:
        assert new_action == "wait_promise"

    # the customer sheet shows it, and the history, reasons and limit
    page.click(f"#row-{customer_id} th a")
    page.wait_for_url(f"{app}/customers/{customer_id}")
    assert page.get_attribute("#next-action", "data-action") == new_action
    assert page.locator("#recorded-actions li").count() == 1
    assert page.locator("#suggested-limit").inner_text().startswith("EUR")
    check_accessibility(page)
    shoot(page, tmp_path, "customer")

    # French from the switch: amounts as 1 234,56 €
    page.click("a[lang=fr]")
    page.wait_for_url(f"{app}/customers/{customer_id}")
    assert page.get_attribute("html", "lang") == "fr"
    assert re.search(r"\d,\d\d\u00a0€", page.inner_text("#open-items"))
    check_accessibility(page)
    shoot(page, tmp_path, "customer-fr")

    page.click("#statement-link")
    assert page.locator("#statement-total").count() == 1
    shoot(page, tmp_path, "statement")

    # sign out: the session is gone
    page.go_back()
    page.click("#signout")
    page.wait_for_url(re.compile(r".*/app/signin\?out=1"))
    page.goto(f"{app}/dashboard")
    assert "/app/signin" in page.url
    context.close()

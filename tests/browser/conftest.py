"""Browser tests: Playwright for Python driving Debian's Chromium against the real
stack (the session ``stack`` of tests/conftest.py).

Chromium comes from Debian's packages (``chromium``, ``chromium-l10n``,
``fonts-noto-cjk``; ``.ci/run`` and ``make test`` install them when missing) and
is never downloaded by Playwright. Every page a test visits is checked by axe
(no violation allowed) and, in zh-CN, written as a screenshot to
``var/artifacts/screenshots/`` (README: "Browser tests").
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests

from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var/artifacts/screenshots"
# As the machine notes say: headless, no sandbox as root, nothing phoning home.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SMS_CODE = re.compile(r"验证码为(\d{6})")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium, chromium-l10n and "
            "fonts-noto-cjk (make test and .ci/run do it)"
        )
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=FLAGS, env={"LANGUAGE": "zh_CN"}
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(stack) -> str:
    """The gateway's origin (pages at /, the API under /api/v1)."""
    return stack.url.removesuffix("/api/v1")


@pytest.fixture
def open_page(browser):
    """``open_page(locale="zh-CN", js=True)``: a page in a fresh browser context
    (its own cookies), closed after the test."""
    contexts = []

    def make(locale: str = "zh-CN", js: bool = True):
        context = browser.new_context(
            locale=locale,
            java_script_enabled=js,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def auditor(browser, site):
    """A page with JavaScript on (axe needs it) but the site's own script blocked,
    where the HTML of a page seen with JavaScript off is audited as it is."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.route("**/static/site.js", lambda route: route.abort())
    page = context.new_page()
    page.goto(site + "/help")
    yield page
    context.close()


def check(page, name: str, locale: str = "zh-CN", auditor=None) -> None:
    """axe finds no violation on ``page``; in zh-CN its screenshot is kept as
    ``var/artifacts/screenshots/<name>.png``. A page with JavaScript off is audited
    through ``auditor`` (axe cannot run in it): the same HTML, same origin."""
    from axe_playwright_python.sync_playwright import Axe

    target = page
    if auditor is not None:
        auditor.set_content(page.content())
        target = auditor
    result = Axe().run(target)
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result.response["violations"]
    ]
    assert violations == [], f"axe on {name} ({locale}): {violations}"
    if locale == "zh-CN":
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, site: str, login_name: str, password: str) -> None:
    """Log in on the portal's login page (landing on /me)."""
    page.goto(site + "/login")
    page.fill("#f-login_name", login_name)
    page.fill("#f-password", password)
    page.click("button.primary")
    page.wait_for_url("**/me")


def submit_registration(
    page, password: str, sms_field: str, code: str, confirmation: str = "", agree=True
) -> None:
    """By the keyboard alone: type a registration form's password (confirmed by
    ``confirmation``, the password itself by default) and SMS code, tick the
    agreement with Space (when ``agree``) and press Enter on "Register"."""
    from tests.browser.keyboard import press_on, tick, type_into

    type_into(page, "#f-password", password)
    type_into(page, "#f-password_confirmation", confirmation or password)
    type_into(page, sms_field, code)
    if agree:
        tick(page, "input[name=agreement]")
    press_on(page, "button.primary[value=register]")


def captcha_answer(api: str, captcha_id: str) -> str:
    """The answer of a captcha a page shows (the dev endpoint of a test stack)."""
    answer = requests.get(f"{api}/dev/captchas/{captcha_id}", timeout=10)
    answer.raise_for_status()
    return answer.json()["answer"]


def sms_code_sent(api: str, phone: str, purpose: str = "") -> str:
    """The code of the SMS sent to ``phone`` whose text names ``purpose`` (as
    otp words it: 找回密码...), from the dev outbox of a test stack."""

    def delivered():
        outbox = requests.get(
            f"{api}/dev/sms-outbox", params={"phone": phone}, timeout=10
        ).json()
        for message in outbox["messages"]:
            found = SMS_CODE.search(message["text"])
            if found and f"用于{purpose}" in message["text"]:
                return found.group(1)
        return None

    return wait_for(delivered, timeout=15, interval=0.1, what=f"an SMS to {phone}")

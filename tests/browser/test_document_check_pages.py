"""The live document check on the natural-person registration page (JavaScript
on): leaving the document number asks the API's check and says its answer
beside the field, in a region screen readers announce. Without a captcha it
says whether the number is well formed; with the captcha answered, whether an
account uses it (and a new captcha replaces the spent one)."""

from __future__ import annotations

import random

import pytest

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check
from tests.support.client import register_person

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STATUS = "#doc-number-status"


def leave_with(page, number: str, before: str) -> str:
    """Type ``number`` as the document number, leave the field, and return what
    the live region then says (something other than ``before``)."""
    page.fill("#f-doc_number", number)
    page.press("#f-doc_number", "Tab")
    page.wait_for_function(
        "([sel, before]) => { const t = document.querySelector(sel).textContent;"
        " return t && t !== before; }",
        arg=[STATUS, before],
    )
    return page.locator(STATUS).inner_text()


def test_leaving_the_document_number_checks_it_live(stack, site, open_page):
    rng = random.Random()
    taken, _ = register_person(stack.url)
    page = open_page()
    page.goto(site + "/register/person")
    assert page.locator(STATUS).get_attribute("aria-live") == "polite"
    assert page.locator(STATUS).inner_text() == ""

    # a wrong check digit: the API's own message, in Chinese
    good = gen.resident_id(rng)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    said = leave_with(page, wrong, "")
    assert said == "证件号码有误，请仔细核对"

    # well formed, no captcha answered: nothing stored is told
    said = leave_with(page, good, said)
    assert said.startswith("证件号码格式正确")

    # the captcha answered beside it: whether an account uses the number
    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    said = leave_with(page, taken["doc_number"], said)
    assert said == "该证件已注册：请直接登录，或找回密码。"
    # the check spent the captcha: a new one, its answer field emptied
    page.wait_for_function(
        "id => document.querySelector('input[name=captcha_id]').value !== id",
        arg=captcha_id,
    )
    assert page.input_value("#f-captcha_answer") == ""
    check(page, "register_person_document_check")

    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    said = leave_with(page, gen.resident_id(rng), said)
    assert said == "该证件尚未注册。"

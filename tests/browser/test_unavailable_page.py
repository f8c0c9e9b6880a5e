"""The 503 page in a browser: a service a page needs stops, and the page answers
in the portal's frame, in Chinese, saying when to try again; axe finds nothing.
The service is started again afterwards (the session stack stays whole)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_stopped_service_shows_the_framed_503_page(live_stack, site, open_page):
    # the registration page asks otp for its captcha: without otp, no page
    live_stack.kill("otp", sig=15)
    try:
        page = open_page()
        answer = page.goto(site + "/register/person")
        assert answer.status == 503
        assert int(answer.headers["retry-after"]) > 0
        assert page.locator("h1").inner_text() == "服务暂不可用"
        main = page.locator("main").inner_text()
        assert "平台的部分服务暂时没有响应。" in main
        assert f"请在 {answer.headers['retry-after']} 秒后重试。" in main
        assert "service_unavailable" in main
        # the frame: the portal's header and the footer's support line
        assert "全国一体化政务服务平台" in page.locator("header").inner_text()
        assert "010-88659000" in page.locator("footer").inner_text()
        check(page, "error_503")
    finally:
        live_stack.start("otp")
        live_stack.wait_ready()

    page = open_page()
    assert page.goto(site + "/register/person").status == 200

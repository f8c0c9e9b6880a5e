"""Single sign-on (sso.md): the demo business system, Torch statistics, entered from
the catalogue without a second login."""

from __future__ import annotations

import pytest
import requests

from tests.support import client
from tests.support.demo import running_demo
from tests.support.oidc import (
    SESSION_COOKIE,
)

pytestmark = pytest.mark.e2e


# --- the demo business system -----------------------------------------------------------------


def test_the_demo_torch_statistics_shows_the_person_without_a_second_login(
    live_stack, person, tmp_path
):
    with running_demo(live_stack, tmp_path) as demo:
        browser = requests.Session()

        # the catalogue's "enter" link: the demo's login, straight back with a code
        catalogue = browser.get(
            f"{live_stack.url}/services", headers=client.bearer(person[1]), timeout=10
        ).json()["items"]
        enter = next(item for item in catalogue if item["client_id"] == demo.client_id)
        home = _follow(browser, enter["enter_url"], person[1])

        assert home.status_code == 200
        assert "本人" in home.text  # no organisation acted for
        assert "信任等级" in home.text
        assert "通过门户登录" not in home.text  # no second login


def _follow(
    browser: requests.Session, url: str, portal_token: str
) -> requests.Response:
    """Follow redirects as a browser would, sending the portal's cookie (which is
    ``Secure``: requests would not send it over http on its own) to the portal."""
    for _ in range(10):
        answer = browser.get(
            url,
            headers={"Cookie": f"{SESSION_COOKIE}={portal_token}"}
            if "/oidc/" in url
            else {},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code not in (302, 303):
            return answer
        url = requests.compat.urljoin(url, answer.headers["Location"])
    raise AssertionError("too many redirects")

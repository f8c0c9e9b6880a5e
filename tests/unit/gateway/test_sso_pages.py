"""The single sign-on pages with a fake RPC pool: the login page's ``next`` (a
path of ours, never another origin), the agent's choice page the provider sends
to (``/sso/acting-for``), and the home page's catalogue from sso."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from contracts import errors as ce

from tests.unit.gateway.fakes import login_reply
from tests.unit.gateway.test_pages import SESSION, client, post_form

ORG_ID = "0b6c3d8e-1f2a-4b5c-8d9e-0a1b2c3d4e5f"
AUTHORIZE = "/oidc/authorize?client_id=torch-statistics&state=s1"
ORGANIZATIONS = {
    "items": [
        {
            "organization_id": ORG_ID,
            "name": "<b>某某科技有限公司</b>",
            "unique_code": "911*************1X",
            "granted_at": "2026-01-01T00:00:00Z",
        }
    ]
}


def logged_in(**kwargs):
    return login_reply("passed")


def post_login(http, next_value):
    return post_form(
        http,
        "/login",
        {"login_name": "zhang_wei", "password": "p", "csrf_token": "t"}
        | {"next": next_value},
    )


@pytest.mark.parametrize(
    "next_value",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "/\t/evil.example/x",
        "https://evil.example/x",
        " /x",
        "/x\n",
    ],
)
def test_login_never_sends_to_another_origin(next_value):
    http, _ = client({("accounts", "log_in"): logged_in})
    answer = post_login(http, next_value)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/me"


def test_login_goes_back_to_the_authorize_request():
    http, _ = client({("accounts", "log_in"): logged_in})
    page = http.simulate_get("/login", params={"next": AUTHORIZE})
    assert (
        'name="next" value="/oidc/authorize?client_id=torch-statistics&amp;state=s1"'
        in (page.text)
    )
    answer = post_login(http, AUTHORIZE)
    # not straight there: the page's form-action 'self' would stop the redirect
    # chain that ends at the business system; /continue goes on, no script
    assert answer.headers["Location"] == "/continue?" + urlencode({"next": AUTHORIZE})
    page = http.simulate_get("/continue", params={"next": AUTHORIZE})
    assert (
        '<meta http-equiv="refresh" content="0;url=/oidc/authorize?'
        'client_id=torch-statistics&amp;state=s1">'
    ) in page.text
    evil = http.simulate_get("/continue", params={"next": "//evil.example/"})
    assert 'content="0;url=/"' in evil.text and "evil.example" not in evil.text


def acting_client(choose=None):
    def choose_acting_for(session_id, account_id, organization_id):
        if organization_id not in (None, ORG_ID):
            raise ce.Forbidden("not_an_agent", "Not an agent of it.")
        return {"choice_id": "chc_" + "1" * 32, "expires_in": 300}

    return client(
        {
            ("accounts", "list_represented_organizations"): lambda account_id: (
                ORGANIZATIONS
            ),
            ("sso", "choose_acting_for"): choose or choose_acting_for,
        }
    )


def test_the_choice_page_needs_a_session():
    http, _ = acting_client()
    page = http.simulate_get("/sso/acting-for", params={"next": AUTHORIZE})
    assert page.status_code == 303
    assert page.headers["Location"].startswith("/login?next=%2Fsso%2Facting-for")


def test_the_choice_page_lists_myself_and_the_organisations_escaped():
    http, _ = acting_client()
    page = http.simulate_get(
        "/sso/acting-for", params={"next": AUTHORIZE}, headers=SESSION
    )
    assert page.status_code == 200
    assert "本人" in page.text
    assert "&lt;b&gt;某某科技有限公司&lt;/b&gt;" in page.text
    assert f'value="{ORG_ID}"' in page.text


def choose(http, acting_for, next_value=AUTHORIZE):
    return post_form(
        http,
        "/sso/acting-for",
        {"acting_for": acting_for, "next": next_value, "csrf_token": "csrf-1"},
        cookies=SESSION["Cookie"],
    )


def test_a_choice_is_kept_by_sso_and_goes_back_with_acting_choice():
    http, rpc = acting_client()
    answer = choose(http, ORG_ID)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/continue?" + urlencode(
        {"next": AUTHORIZE + "&acting_choice=chc_" + "1" * 32}
    )
    [call] = [c for c in rpc.calls if c[1] == "choose_acting_for"]
    assert call[2] == {
        "session_id": "s" * 64,
        "account_id": "6f1c1b1e-8b7a-4f7e-9a51-0e3f4b0e2c11",
        "organization_id": ORG_ID,
    }
    myself = choose(http, "myself")
    assert "%26acting_choice%3Dchc_" in myself.headers["Location"]
    assert rpc.calls[-1][2]["organization_id"] is None


def test_a_choice_never_goes_back_to_another_origin():
    http, _ = acting_client()
    answer = choose(http, "myself", "//evil.example/oidc/authorize")
    assert answer.headers["Location"].startswith("/?acting_choice=")


def test_a_refused_choice_comes_back_to_the_page():
    http, _ = acting_client()
    answer = choose(http, "99999999-1f2a-4b5c-8d9e-0a1b2c3d4e5f")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/sso/acting-for?next=")


def catalogue(account_id=None):
    torch = {
        "client_id": "torch-statistics",
        "name_zh": "火炬统计",
        "name_en": "Torch statistics",
        "description": "火炬计划统计调查的填报与查询。",
        "enter_url": "http://127.0.0.1:8090/login?iss=http%3A%2F%2F127.0.0.1",
        "may_enter": True,
    }
    hightech = {
        "client_id": "hightech-recognition",
        "name_zh": "高新技术企业认定",
        "name_en": "High-tech enterprise recognition",
        "may_enter": False,
        "reason": "account_kind_not_admitted",
        "reason_text": "该业务系统不接受此类账号。",
    }
    return {"items": [torch, hightech]}


def test_the_home_page_lists_sso_catalogue_with_enter_links_and_why_not():
    http, rpc = client({("sso", "list_services"): catalogue})
    page = http.simulate_get("/", headers=SESSION)
    assert 'href="http://127.0.0.1:8090/login?iss=http%3A%2F%2F127.0.0.1"' in page.text
    assert "进入火炬统计" in page.text
    assert "该业务系统不接受此类账号。" in page.text
    assert rpc.calls[-1][2] == {"account_id": "6f1c1b1e-8b7a-4f7e-9a51-0e3f4b0e2c11"}
    english = http.simulate_get("/", params={"lang": "en"})
    assert "It does not admit this kind of account." in english.text


def test_the_home_page_serves_without_sso():
    http, _ = client()
    page = http.simulate_get("/")
    assert page.status_code == 200
    assert "服务事项暂时无法显示" in page.text

"""The appeal pages with a fake RPC pool: what they send recovery (the same
model as the API's multipart appeal), CSRF, a file refused at the transport,
and the organisation look-up's code by region. The flows against the real stack:
tests/browser/test_appeal_pages.py."""

from __future__ import annotations

import base64

from contracts import errors as ce

from tests.unit.gateway.fakes import FakeRedis
from tests.unit.gateway.test_pages import client, post_form
from tests.unit.gateway.test_recovery_routes import PERSON_FORM
from tests.unit.gateway.test_verification_routes import PNG, multipart

COOKIE = {"Cookie": "__Host-csrf=t"}
TICKET = {"appeal_id": "apl_1", "ticket": "secret-ticket", "status": "submitted"}


class FormRedis(FakeRedis):
    """The fake with what the pages' post/redirect/get keeps (no expiry)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def set(self, key, value, ex=None):
        self.values[key] = value

    def getdel(self, key):
        return self.values.pop(key, None)


def post_appeal(http, path, parts, cookie="__Host-csrf=t"):
    body, headers = multipart(parts)
    return http.simulate_post(path, body=body, headers={**headers, "Cookie": cookie})


def page_after(http, answer) -> str:
    """The page a 303 leads to, with the form state it left."""
    assert answer.status_code == 303, answer.text
    form_key = answer.cookies["__Host-form"].value
    cookie = f"__Host-csrf=t; __Host-form={form_key}"
    return http.simulate_get(
        answer.headers["Location"], headers={"Cookie": cookie}
    ).text


def test_the_chooser_links_both_appeals_and_each_shows_its_steps():
    http, _ = client()
    chooser = http.simulate_get("/recover").text
    assert 'href="/recover/appeal/organization"' in chooser
    assert 'href="/recover/appeal/person"' in chooser
    lookup = http.simulate_get("/recover/appeal/organization").text
    assert [s in lookup for s in ("检索单位", "上传文件", "等待审核")] == [True] * 3
    person = http.simulate_get("/recover/appeal/person").text
    assert "上传证件" in person and 'enctype="multipart/form-data"' in person


def test_a_person_appeal_posted_by_the_page_is_the_api_model():
    seen = []

    def submit(appeal, client_ip):
        seen.append((appeal, client_ip))
        return TICKET

    http, _ = client({("recovery", "submit_person_appeal"): submit})
    parts = [("csrf_token", None, b"t"), ("action", None, b"submit"), *PERSON_FORM]
    answer = post_appeal(http, "/recover/appeal/person", parts)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/recover/appeal/person/submitted"
    ((appeal, client_ip),) = seen
    assert appeal["phone"] == "+8613800138000" and client_ip
    assert appeal["id_front"] == base64.b64encode(PNG).decode()
    assert "csrf_token" not in appeal and "action" not in appeal


def test_an_appeal_without_its_csrf_token_is_refused_and_not_sent():
    http, rpc = client({("recovery", "submit_person_appeal"): lambda **k: TICKET})
    parts = [("csrf_token", None, b"other"), *PERSON_FORM]
    answer = post_appeal(http, "/recover/appeal/person", parts)
    assert answer.status_code == 403 and "csrf_token_invalid" in answer.text
    assert not [c for c in rpc.calls if c[0] == "recovery"]


def test_a_file_over_1_mb_goes_back_to_the_form_and_nothing_is_sent():
    submit = {("recovery", "submit_person_appeal"): lambda **k: TICKET}
    http, rpc = client(submit, redis=FormRedis())
    big = PNG + b"0" * (1024 * 1024)
    parts = [("csrf_token", None, b"t"), ("name", None, "张伟".encode())]
    parts.append(("id_front", "big.png", big))
    answer = post_appeal(http, "/recover/appeal/person", parts)
    assert answer.headers["Location"] == "/recover/appeal/person"
    page = page_after(http, answer)
    assert '<p class="field-error" id="e-id_front">' in page and "文件过大" in page
    assert 'value="张伟"' in page  # the fields read before the file, kept
    assert "请在提交前重新选择文件" in page
    assert not [c for c in rpc.calls if c[0] == "recovery"]


def test_an_expired_look_up_is_said_in_the_summary_with_the_way_back():
    def expired(appeal, client_ip):
        item = {"field": "lookup_id", "code": "lookup_invalid", "message": "Again"}
        raise ce.InvalidInput("lookup_invalid", "Again", {"errors": [item]})

    submit = {("recovery", "submit_organization_appeal"): expired}
    http, _ = client(submit, redis=FormRedis())
    files = [(name, f"{name}.png", PNG) for name in ("licence", "id_front", "id_back")]
    parts = [
        ("csrf_token", None, b"t"),
        ("contact_name", None, "李娜".encode()),
        ("contact_phone", None, b"13800138000"),
        ("sms_code", None, b"123456"),
        *files,
    ]
    answer = post_appeal(http, "/recover/appeal/organization/lku_old", parts)
    page = page_after(http, answer)
    assert "请重新检索单位" in page and "#f-lookup_id" not in page
    assert 'href="/recover/appeal/organization"' in page
    assert 'value="李娜"' in page


def test_an_empty_file_input_is_a_missing_file_not_a_wrong_type():
    http, rpc = client({("recovery", "submit_person_appeal"): lambda **k: TICKET})
    parts = [("csrf_token", None, b"t"), *PERSON_FORM[:-1], ("id_back", "", b"")]
    assert post_appeal(http, "/recover/appeal/person", parts).status_code == 303
    assert not [c for c in rpc.calls if c[0] == "recovery"]  # refused by the model


def test_the_look_up_sends_a_registration_number_outside_the_mainland():
    seen = []

    def look_up(lookup, client_ip):
        seen.append(lookup)
        return {"lookup_id": "lku_1", "expires_in": 1800}

    http, _ = client({("recovery", "start_organization_lookup"): look_up})
    form = {
        "csrf_token": "t",
        "unit_name": "示例有限公司",
        "region": "hmt",
        "unique_code": "HK-12345678",
        "captcha_id": "c" * 20,
        "captcha_answer": "ABCD",
    }
    answer = post_form(http, "/recover/appeal/organization", form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/recover/appeal/organization/lku_1"
    assert seen[0]["registration_number"] == "HK-12345678"
    assert seen[0].get("credit_code") is None
    step2 = http.simulate_get("/recover/appeal/organization/lku_1", headers=COOKIE)
    assert 'action="/recover/appeal/organization/lku_1"' in step2.text
    assert 'name="licence"' in step2.text

"""Notices: Chinese templates with the platform's name, durable, de-duplicated."""

from __future__ import annotations

import pytest
from contracts.errors import InvalidInput
from contracts.otp import NOTICE_TEMPLATES
from otp import handlers, templates

PHONE = "+8613800138000"


def test_the_contract_lists_exactly_the_templates_otp_has():
    assert {name: n.params for name, n in templates.NOTICES.items()} == NOTICE_TEMPLATES


@pytest.mark.parametrize("name", sorted(templates.NOTICES))
def test_every_template_is_signed_with_the_platform_name(name):
    params = {p: "x1" for p in templates.NOTICES[name].params}
    assert templates.notice_text(name, params).startswith("【科技部政务服务平台】")


def test_the_code_text_names_the_purpose_and_the_minutes():
    text = templates.code_text("246810", "password_reset", 300)
    assert text == (
        "【科技部政务服务平台】您的验证码为246810，用于找回密码，5分钟内有效。"
        "请勿将验证码告知他人。"
    )


def test_a_notice_is_queued(otp, store):
    answer = handlers.send_notice(
        otp, "13800138000", "password_changed", {"login_name": "zhang_3"}
    )
    assert set(store.jobs) == {answer["message_id"]}


def test_a_repeated_dedupe_key_queues_one_notice(otp, store):
    params = {"login_name": "zhang_3", "password": "Tmp#9x2Q"}
    first = handlers.send_notice(otp, PHONE, "temporary_password", params, "appeal-42")
    again = handlers.send_notice(otp, PHONE, "temporary_password", params, "appeal-42")
    other = handlers.send_notice(otp, PHONE, "temporary_password", params, "appeal-43")
    assert first == again != other
    assert len(store.jobs) == 2


@pytest.mark.parametrize(
    "phone, template, params, code",
    [
        ("123", "password_changed", {"login_name": "a"}, "phone_invalid"),
        (PHONE, "lottery_win", {}, "template_unknown"),
        (PHONE, "password_changed", {}, "params_invalid"),
        (PHONE, "password_changed", {"login_name": "a", "x": "b"}, "params_invalid"),
        (PHONE, "password_changed", {"login_name": "a\nb"}, "params_invalid"),
        (PHONE, "password_changed", {"login_name": "a" * 65}, "params_invalid"),
        (PHONE, "password_changed", {"login_name": 7}, "params_invalid"),
        (PHONE, "password_changed", "login_name", "params_invalid"),
    ],
)
def test_bad_notices_are_refused(otp, store, phone, template, params, code):
    with pytest.raises(InvalidInput) as error:
        handlers.send_notice(otp, phone, template, params)
    assert error.value.error_code == code
    assert store.jobs == {}

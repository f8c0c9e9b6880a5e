"""servicekit.calls.TimedCaller: one timed adapter, one error code."""

from __future__ import annotations

import eventlet
import pytest
from contracts import errors as ce
from nameko.exceptions import RemoteError, UnknownService
from servicekit.calls import CODE, RETRY_AFTER, TimedCaller


class Proxy:
    def __init__(self, answer=None, raises=None, delay=0.0):
        self.answer, self.raises, self.delay = answer, raises, delay
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, method):
        def call(**kwargs):
            self.calls.append((method, kwargs))
            if self.delay:
                eventlet.sleep(self.delay)
            if self.raises:
                raise self.raises
            return self.answer

        return call


def test_the_reply_comes_back_and_the_arguments_go_as_keywords():
    proxy = Proxy(answer={"ok": True})
    caller = TimedCaller(proxy, "otp", timeout=1)
    assert caller.call("check_captcha", {"captcha_id": "c", "answer": "a"}) == {
        "ok": True
    }
    assert proxy.calls == [("check_captcha", {"captcha_id": "c", "answer": "a"})]


def test_a_contract_error_of_the_callee_passes_through():
    error = ce.CaptchaRequired("captcha_invalid", "wrong")
    with pytest.raises(ce.CaptchaRequired) as raised:
        TimedCaller(Proxy(raises=error), "otp", 1).call("check_captcha", {})
    assert raised.value is error


@pytest.mark.parametrize(
    ("proxy", "what"),
    [
        (Proxy(answer={}, delay=2), "did not answer"),
        (Proxy(raises=UnknownService("otp")), "is not running"),
        (Proxy(raises=RemoteError("KeyError", "'secret'")), "failed"),
        (Proxy(raises=ConnectionError("broker")), "failed"),
    ],
)
def test_slow_missing_or_broken_callees_are_one_unavailable(proxy, what):
    with pytest.raises(ce.Unavailable) as raised:
        TimedCaller(proxy, "accounts", timeout=0.05).call("get_thing", {"id": "1"})
    assert raised.value.error_code == CODE == "dependency_unavailable"
    assert raised.value.details == {"retry_after": RETRY_AFTER}
    assert raised.value.message == f"The accounts service {what}; try again shortly."
    assert "secret" not in str(raised.value)


def test_an_outer_deadline_is_not_taken_for_the_callees():
    outer = eventlet.Timeout(0.05)
    try:
        with pytest.raises(eventlet.Timeout) as raised:
            TimedCaller(Proxy(answer={}, delay=1), "otp", timeout=5).call("x", {})
        assert raised.value is outer
    finally:
        outer.cancel()


def test_the_deadline_is_cancelled_after_a_quick_reply():
    TimedCaller(Proxy(answer=1), "otp", timeout=0.05).call("x", {})
    eventlet.sleep(0.1)  # a leaked timer would fire here

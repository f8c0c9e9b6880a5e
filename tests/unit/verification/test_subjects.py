"""The accounts subject adapter: any failure or slowness is 'later', never a verdict."""

from __future__ import annotations

import eventlet
import pytest
from contracts import errors as ce
from contracts.accounts import VerificationSubject
from verification.cases import SubjectUnavailable
from verification.dependencies import AccountsSubjects


class Proxy:
    def __init__(self, answer=None, raises=None, delay=0.0):
        self.answer, self.raises, self.delay = answer, raises, delay

    def get_verification_subject(self, account_id):
        if self.delay:
            eventlet.sleep(self.delay)
        if self.raises:
            raise self.raises
        return self.answer


def test_the_subject_is_returned_as_accounts_reply_model():
    subject = {"account_id": "a", "account_kind": "person", "name": "n"}
    got = AccountsSubjects(Proxy(answer=subject), timeout=1).get("a")
    assert got == VerificationSubject(account_id="a", account_kind="person", name="n")


def test_a_reply_that_is_not_a_subject_is_unavailable_not_a_verdict():
    with pytest.raises(SubjectUnavailable):
        AccountsSubjects(Proxy(answer={"account_id": "a"}), timeout=1).get("a")


@pytest.mark.parametrize(
    "error",
    [ConnectionError("broker"), ce.NotFound("account_not_found"), RuntimeError("bug")],
)
def test_failures_become_subject_unavailable(error):
    with pytest.raises(SubjectUnavailable):
        AccountsSubjects(Proxy(raises=error), timeout=1).get("a")


def test_a_slow_accounts_times_out():
    with pytest.raises(SubjectUnavailable):
        AccountsSubjects(Proxy(answer={}, delay=2), timeout=0.05).get("a")

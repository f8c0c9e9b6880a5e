"""A stand-in for the accounts service, for verification's tests while the accounts
branch does not yet serve ``get_verification_subject`` and ``resolve_session``.

It answers from a JSON file (``ACCOUNTS_STUB_PATH``) read on every call, so a test
adds accounts and sessions while it runs::

    {"subjects": {"<account_id>": {VerificationSubject}},
     "sessions": {"<token>": {"account_id", "kind", "role"}}}

It is a test double of the *contract* (contracts.accounts): it raises the same
contract errors the real service promises.
"""

from __future__ import annotations

import json
import os

from contracts import errors as ce
from nameko.rpc import rpc


def _load() -> dict:
    with open(os.environ["ACCOUNTS_STUB_PATH"], encoding="utf-8") as handle:
        return json.load(handle)


class AccountsStub:
    name = "accounts"

    @rpc
    def ping(self):
        return {
            "service": "accounts",
            "version": "stub",
            "ok": True,
            "stores": {"database": True, "redis": True},
        }

    @rpc(expected_exceptions=(ce.ServiceError,))
    def get_verification_subject(self, account_id):
        subject = _load()["subjects"].get(account_id)
        if subject is None:
            raise ce.NotFound("account_not_found", "no such account")
        return subject

    @rpc(expected_exceptions=(ce.ServiceError,))
    def resolve_session(self, token, csrf_token=None):
        session = _load()["sessions"].get(token)
        if session is None:
            raise ce.Unauthenticated("session_invalid", "no such session")
        return {
            "session_id": "stub-" + token[:8],
            "login_name": session["account_id"],
            "must_change_password": False,
            **session,
            "csrf_ok": False,
        }

"""Checks a registration form makes while it is filled in: is the login name free,
is the document already registered, how strong is the password."""

from __future__ import annotations

from contracts.accounts import DocumentQuery, LoginNameCheck
from contracts.models import parse

from accounts import field_rules, passwords, personal_data, target_quotas
from accounts.deps import Deps
from accounts.otp_checks import check_captcha
from accounts.validation import FieldErrors


def check_login_name(deps: Deps, login_name: str) -> dict:
    """``{login_name, available}``. Raises ``InvalidInput`` (``login_name_invalid``)."""
    login_name = field_rules.login_name(login_name)
    taken = deps.repo.login_name_taken(login_name)  # one read, no transaction
    return LoginNameCheck(login_name=login_name, available=not taken).dump()


def check_document(
    deps: Deps,
    identity_region: str,
    doc_type: str,
    doc_number: str,
    captcha_id: str | None,
    captcha_answer: str | None,
) -> dict:
    """``{registered}``: whether a person account already uses this document.

    The document is validated first (``InvalidInput`` without spending the
    captcha); then the document's quota is counted (``RateLimited``,
    ``document_check_rate_limited``: the same document asked about too often,
    from anywhere); then the captcha is checked and spent (``CaptchaRequired`` when
    missing, ``InvalidInput``/``captcha_invalid`` when wrong). The captcha keeps
    anyone from testing document numbers in bulk.
    """
    query = parse(
        DocumentQuery,
        {
            "identity_region": identity_region,
            "doc_type": doc_type,
            "doc_number": doc_number,
            "captcha_id": captcha_id,
            "captcha_answer": captcha_answer,
        },
    )
    errors = FieldErrors()
    document = field_rules.document(
        query.identity_region, query.doc_type, query.doc_number, errors, deps.today()
    )
    errors.raise_if_any()
    index = personal_data.doc_index(deps.cipher, document.doc_type, document.number)
    target_quotas.require(
        deps,
        "document_check",
        index,
        deps.settings.document_checks_per_document_per_hour,
        "document_check_rate_limited",
    )
    check_captcha(deps, query.captcha_id, query.captcha_answer)
    with deps.repo.transaction():
        return {"registered": deps.repo.person_document_registered(index)}


def rate_password(password: str, login_name: str | None = None) -> dict:
    """``{strength, acceptable, problems: [{code, message}]}``."""
    return passwords.rate_password(password, login_name)

"""Checks a registration form makes while it is filled in: is the login name free,
is the document already registered, how strong is the password."""

from __future__ import annotations

from accounts import field_rules, passwords, personal_data
from accounts.deps import Deps
from accounts.otp_checks import check_captcha
from accounts.validation import FieldErrors, single


def check_login_name(deps: Deps, login_name: object) -> dict:
    """``{login_name, available}``. Raises ``InvalidInput`` (``login_name_invalid``)."""
    problem = passwords.login_name_problem(login_name)
    if problem:
        raise single("login_name", *problem)
    taken = deps.repo.login_name_taken(login_name)  # one read, no transaction
    return {"login_name": login_name, "available": not taken}


def check_document(
    deps: Deps,
    identity_region: object,
    doc_type: object,
    doc_number: object,
    captcha_id: object,
    captcha_answer: object,
) -> dict:
    """``{registered}``: whether a person account already uses this document.

    The document is validated first (``InvalidInput`` without spending the
    captcha); then the captcha is checked and spent (``CaptchaRequired`` when
    missing, ``InvalidInput``/``captcha_invalid`` when wrong). The captcha keeps
    anyone from testing document numbers in bulk.
    """
    errors = FieldErrors()
    document = field_rules.document(
        {
            "identity_region": identity_region,
            "doc_type": doc_type,
            "doc_number": doc_number,
        },
        errors,
        deps.today(),
    )
    errors.raise_if_any()
    check_captcha(deps, captcha_id, captcha_answer)
    index = personal_data.doc_index(deps.cipher, document.doc_type, document.number)
    with deps.repo.transaction():
        return {"registered": deps.repo.person_document_registered(index)}


def rate_password(password: object, login_name: object = None) -> dict:
    """``{strength, acceptable, problems: [{code, message}]}``."""
    if not isinstance(password, str):
        raise single("password", "required", "This field is required")
    name = login_name if isinstance(login_name, str) else None
    return passwords.rate_password(password, name)

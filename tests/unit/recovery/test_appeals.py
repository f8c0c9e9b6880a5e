"""Appeal rules that need no database: input refused whole before the SMS code is
spent, the platform's one temporary password, tickets kept only as hashes."""

from __future__ import annotations

import base64
import io

import pytest
from contracts import temporary_passwords
from contracts.errors import InvalidInput, NotFound
from PIL import Image
from recovery import appeal_intake, appeal_review, appeals
from servicekit.crypto import PersonalDataCipher


class SpyOtp:
    def __init__(self):
        self.calls = []

    def verify_sms_code(self, **kwargs):
        self.calls.append(kwargs)


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def deps():
    return appeals.AppealDeps(
        session=None,  # never reached: these tests stop before storing
        emit=lambda *a: None,
        cipher=PersonalDataCipher.from_config({}),
        accounts=None,
        otp=SpyOtp(),
        quotas=None,
        lookups=None,
        settings=appeals.AppealSettings(max_file_bytes=200),
        clock=None,
    )


def test_every_error_comes_together_and_the_code_is_not_spent(deps):
    appeal = {
        "name": "",
        "identity_region": "mainland",
        "doc_type": "passport",
        "doc_number": "X" * 41,
        "phone": "12345",
        "sms_code": "12",
    }
    files = {"id_front": base64.b64encode(b"GIF89a....").decode(), "selfie": png()}
    with pytest.raises(InvalidInput) as refused:
        appeal_intake.submit_person_appeal(deps, appeal, files, "198.51.100.7")
    codes = {(e["field"], e["code"]) for e in refused.value.details["errors"]}
    assert codes == {
        ("name", "required"),
        ("doc_type", "doc_type_not_allowed_for_region"),
        ("doc_number", "doc_number_invalid"),
        ("phone", "phone_invalid"),
        ("sms_code", "sms_code_invalid"),
        ("selfie", "unexpected_file"),
        ("id_front", "file_type_unsupported"),
        ("id_back", "file_missing"),
    }
    assert deps.otp.calls == []


def test_an_image_over_the_limit_is_refused_by_the_service_too(deps):
    with pytest.raises(InvalidInput) as refused:
        appeal_intake.submit_person_appeal(
            deps,
            {},
            {
                "id_front": png(),
                "id_back": base64.b64encode(b"\x89PNG" + b"0" * 300).decode(),
            },
            None,
        )
    by_field = {e["field"]: e["code"] for e in refused.value.details["errors"]}
    assert by_field["id_back"] == "file_too_large"


def test_an_approval_uses_the_platforms_one_temporary_password_generator():
    """recovery keeps no generator of its own: contracts.temporary_passwords (16
    characters since recovery adopted it; recovery's own made 14)."""
    assert appeal_review.temporary_password is temporary_passwords.generate
    assert not hasattr(appeals, "temporary_password")
    seen = {appeal_review.temporary_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert len(password) == temporary_passwords.LENGTH
        for pool in temporary_passwords.POOLS:
            assert any(c in pool for c in password)


def test_a_ticket_is_kept_as_a_hash_and_bad_ids_are_not_found(deps):
    assert appeals.ticket_hash("abc") != "abc" and len(appeals.ticket_hash("abc")) == 64
    with pytest.raises(NotFound):
        appeal_intake.get_appeal_status(deps, "vrf_123", "ticket")

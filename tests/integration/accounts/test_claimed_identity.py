"""What a reviewer of a verification case reads from accounts: the claimed
identity, in full where the images show it, only for a reviewer."""

from __future__ import annotations

import random
import uuid

import pytest
from accounts import claimed_identity, reviewers
from contracts.accounts import ClaimedIdentity
from contracts.errors import Forbidden, NotFound

from tests import identity_data as gen
from tests.integration.accounts.helpers import register, register_org
from tests.support.claims import claimed_organization, claimed_person

pytestmark = pytest.mark.integration


def a_reviewer(deps) -> str:
    made = reviewers.create_reviewer(deps, gen.login_name(prefix="rev"), "李审核")
    return made["account_id"]


def test_a_person_claim_has_the_full_document_number(deps, otp):
    body, person = register(deps, otp)
    claim = claimed_identity.claimed_identity_for_review(
        deps, person["account_id"], a_reviewer(deps)
    )
    assert claim == {
        "account_id": person["account_id"],
        "account_kind": "person",
        "person": claimed_person(body),
        "organization": None,
    }
    ClaimedIdentity.model_validate(claim)  # the contract's reply


def test_an_organization_claim_has_its_code_and_people(deps, otp):
    body, org = register_org(deps, otp, random.Random())
    claim = claimed_identity.claimed_identity_for_review(
        deps, org["account_id"], a_reviewer(deps)
    )
    assert claim["person"] is None
    assert claim["organization"] == claimed_organization(body)
    assert claim["organization"]["region"] == "domestic"
    ClaimedIdentity.model_validate(claim)


def test_only_a_reviewer_reads_a_claim(deps, otp):
    _, person = register(deps, otp)
    _, other = register(deps, otp)
    for reader in (other["account_id"], str(uuid.uuid4()), "not-an-id", ""):
        with pytest.raises(Forbidden) as refused:
            claimed_identity.claimed_identity_for_review(
                deps, person["account_id"], reader
            )
        assert refused.value.error_code == "reviewer_required"
    # a reviewer is no account a claim is read about
    reviewer = a_reviewer(deps)
    for unknown in (reviewer, str(uuid.uuid4())):
        with pytest.raises(NotFound):
            claimed_identity.claimed_identity_for_review(deps, unknown, reviewer)

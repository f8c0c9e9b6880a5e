"""Edit my information for an organisation (修改法人信息): its own details
(name, English name, short name, homepage, area, legal-person type) and, after a
failed real-name check, the corrections of what the check read: the credit code
(registration number outside the mainland), the legal representative and the
main agent, whose new mobile (the reserved phone) is proven by an SMS code of
purpose ``change_phone``. The rules are accounts' (``update_profile``,
``corrections.py``), through the same contract as ``PATCH /api/v1/me/profile``.
"""

from __future__ import annotations

from contracts import errors as ce
from contracts.accounts import requests as contract
from contracts.models import parse

from gateway.web.frame import FormState, kept_values
from gateway.web.pages.base import PageResource, form_errors
from gateway.web.pages.registration import person_block

ORGANIZATION_FIELDS = ("name", "name_en", "short_name", "homepage", "area")
ROLES = ("legal_representative", "main_agent")
CORRECTABLE = ("failed", "rejected")


def initial_values(profile) -> dict[str, str]:
    values = {k: getattr(profile, k) or "" for k in ORGANIZATION_FIELDS}
    values["legal_person_type"] = profile.legal_person_type
    return values


def changes_of(form: dict[str, str], correcting: bool, code_kind: str) -> dict:
    """The ProfileChanges of the posted form: the details always (blank clears
    an optional one); when correcting, the code and each person block whose
    document number was entered (a block left empty is kept)."""
    changes = {k: form.get(k, "").strip() for k in ORGANIZATION_FIELDS}
    if form.get("legal_person_type"):
        changes["legal_person_type"] = form["legal_person_type"]
    if not correcting:
        return changes
    code = form.get("unique_code", "").strip()
    if code:
        changes[code_kind] = code
    for role in ROLES:
        if form.get(f"{role}.doc_number", "").strip():
            block = person_block(form, role, sms=role == "main_agent")
            if role == "main_agent":
                block["sms_code"] = block["sms_code"].strip() or None
            changes[role] = block
    return changes


class OrganizationDetails(PageResource):
    """The organisation's half of ``/me/edit`` (``MyDetails`` hands over)."""

    location = "/me/edit"

    def show(self, page, req, resp, me) -> None:
        state = self.frame.take_form(req, resp)
        if not state.values:
            state.values = initial_values(me.profile)
        correcting = me.real_name_status in CORRECTABLE
        self.frame.render(
            page,
            "me_edit_organization.html",
            form=state,
            correcting=correcting,
            code_kind=me.profile.code_kind,
            captcha=self.new_captcha(req) if correcting else None,
        )

    def save(self, page, req, resp, me, form, account) -> FormState | None:
        """None when saved, else the form's state to show again."""
        if form.get("action") == "send_sms":
            # the main agent's mobile is the reserved phone: proven as a change
            return self.send_sms(req, page, form, "main_agent.phone", "change_phone")
        if form.get("action") == "refresh_captcha":
            return FormState(values=kept_values(form))
        correcting = me.real_name_status in CORRECTABLE
        try:
            changes = parse(
                contract.ProfileChanges,
                changes_of(form, correcting, me.profile.code_kind),
            )
            self.accounts.update_profile(
                account_id=account["account_id"], changes=changes
            )
        except ce.ServiceError as exc:
            return form_errors(page, exc, form)
        return None

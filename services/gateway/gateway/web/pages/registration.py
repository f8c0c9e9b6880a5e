"""Registration: the chooser (自然人 or 法人), the natural-person form (账号信息,
用户信息, 手机 + 验证码, the agreement) and the organisation form (单位信息,
法定代表人, 主代办人 with its SMS code), with post/redirect/get.

The form has three buttons: 获取验证码 (send the SMS code, behind the image
captcha), 换一张 (a new captcha) and 注册账号. Each keeps what was entered
(never a password or a code). Every rule is accounts' and otp's: the same
contract models as ``POST /api/v1/registrations/person`` and ``/organization``.
"""

from __future__ import annotations

from contracts import accounts as contract
from contracts import errors as ce
from contracts.models import parse

from gateway.i18n import HTML_LANG
from gateway.resources.accounts import registration_quota
from gateway.web.frame import FormState, kept_values, redirect
from gateway.web.pages.base import PageResource, form_errors

PERSON_FIELDS = (
    "login_name",
    "password",
    "password_confirmation",
    "name",
    "identity_region",
    "doc_type",
    "doc_number",
    "phone",
    "sms_code",
)


class Chooser(PageResource):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(page, "register_choose.html")


class AgreementPage(PageResource):
    """The agreement's full text on a page of its own (linked from the forms)."""

    def on_get(self, req, resp, kind):
        page = self.begin(req, resp)
        if kind not in ("person", "organization"):
            from gateway.errors import Problem

            raise Problem(404, "not_found", "No agreement of this kind.")
        agreement = self.accounts.get_agreement(
            kind=kind, language=HTML_LANG[page.locale]
        )
        self.frame.render(page, "agreement.html", agreement=agreement)


class RegistrationForm(PageResource):
    """One registration form: its page, its SMS code, its submission."""

    kind = "person"
    location = "/register/person"
    template = "register_person.html"
    sms_purpose = "register_person"
    phone_field = "phone"

    def __init__(self, ctx, frame, quota):
        super().__init__(ctx, frame)
        # the quota per client address of POST /api/v1/registrations/*
        self.quota = quota

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        agreement = self.accounts.get_agreement(
            kind=self.kind, language=HTML_LANG[page.locale]
        )
        self.frame.render(
            page,
            self.template,
            form=state,
            captcha=self.new_captcha(req),
            agreement=agreement,
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        action = form.get("action", "register")
        if action == "send_sms":
            state = self.send_sms(req, page, form, self.phone_field, self.sms_purpose)
        elif action == "register":
            state = self._register(page, form)
            if state is None:
                redirect(resp, "/register/done")
                return
        else:  # refresh_captcha: a new image, nothing lost
            state = FormState(values=kept_values(form))
        self.back_with(resp, self.location, state)

    def submission(self, form: dict[str, str]) -> dict:
        return {name: form.get(name, "") for name in PERSON_FIELDS}

    def submit(self, data: dict):
        registration = parse(contract.PersonRegistration, data)
        return self.accounts.register_person(registration=registration)

    def _register(self, page, form) -> FormState | None:
        self.quota.hit(self.client_ip(page.req))  # a refused one counts too
        data = self.submission(form)
        accepted = form.get("agreement") == "on"
        data["agreement_accepted"] = accepted
        data["agreement_version"] = (
            (form.get("agreement_version") or None) if accepted else None
        )
        try:
            registered = self.submit(data)
        except ce.ServiceError as exc:
            return form_errors(page, exc, form)
        self.frame.keep_form(
            page.resp,
            FormState(
                extra={
                    "login_name": registered.login_name,
                    "real_name_status": registered.real_name_status,
                }
            ),
        )
        return None


class PersonRegistration(RegistrationForm):
    """自然人注册."""


ORGANIZATION_FIELDS = (
    "login_name",
    "password",
    "password_confirmation",
    "name",
    "region",
    "legal_person_type",
)
ORGANIZATION_OPTIONAL = ("name_en", "short_name", "homepage", "area")
PERSON_BLOCK = ("name", "phone", "identity_region", "doc_type", "doc_number")


def person_block(form: dict[str, str], prefix: str, sms: bool = False) -> dict:
    """``legal_representative.*`` / ``main_agent.*`` fields as their block."""
    block = {name: form.get(f"{prefix}.{name}", "") for name in PERSON_BLOCK}
    block["doc_valid_from"] = form.get(f"{prefix}.doc_valid_from") or None
    block["doc_long_term"] = form.get(f"{prefix}.doc_long_term") == "on"
    block["doc_valid_to"] = form.get(f"{prefix}.doc_valid_to") or None
    if sms:
        block["sms_code"] = form.get(f"{prefix}.sms_code", "")
    return block


class OrganizationRegistration(RegistrationForm):
    """法人注册: 单位信息, 法定代表人, 主代办人 (whose phone gets the SMS code and
    becomes the organisation's reserved phone)."""

    kind = "organization"
    location = "/register/organization"
    template = "register_organization.html"
    sms_purpose = "register_organization"
    phone_field = "main_agent.phone"

    def submission(self, form: dict[str, str]) -> dict:
        data = {name: form.get(name, "") for name in ORGANIZATION_FIELDS}
        for name in ORGANIZATION_OPTIONAL:
            data[name] = form.get(name) or None
        code = form.get("unique_code", "").strip()
        domestic = data["region"] == "domestic"
        data["credit_code"] = code if domestic else None
        data["registration_number"] = None if domestic else code
        data["legal_representative"] = person_block(form, "legal_representative")
        data["main_agent"] = person_block(form, "main_agent", sms=True)
        return data

    def submit(self, data: dict):
        registration = parse(contract.OrganizationRegistration, data)
        return self.accounts.register_organization(registration=registration)


class Done(PageResource):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.frame.render(page, "register_done.html", form=state)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/register", Chooser(ctx, frame))
    quota = registration_quota(ctx)  # both kinds together, as the API counts
    app.add_route("/register/person", PersonRegistration(ctx, frame, quota))
    app.add_route("/register/organization", OrganizationRegistration(ctx, frame, quota))
    app.add_route("/register/done", Done(ctx, frame))
    app.add_route("/agreements/{kind}", AgreementPage(ctx, frame))

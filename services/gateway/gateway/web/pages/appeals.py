"""The two appeals (申诉找回密码) in the browser, for whoever lost the login name
or the reserved phone; a reviewer decides, the appellant follows the status.

法人申诉, with its step indicator 检索单位 → 上传文件 → 等待审核: the unit's name,
its credit code (a unit registered outside the mainland: its registration number)
and a captcha find it (``/recover/appeal/organization``); then the contact, a
mobile proven by an SMS code and the three documents (``.../{lookup_id}``, a
multipart form); then the appeal's number and query code, shown once
(``.../submitted``). 自然人申诉, 上传证件 → 等待审核: name, document, mobile proven
by an SMS code and the document's two sides (``/recover/appeal/person``).

Every rule is recovery's and otp's, through the same contracts and the same
reading of the upload as ``POST /api/v1/recovery/appeals/*``
(``gateway.resources.recovery``). A form's files are never kept: after a refusal
or 获取验证码 the files are chosen again.
"""

from __future__ import annotations

from collections.abc import Callable

from contracts import errors as ce
from contracts.models import Model, parse
from contracts.recovery import (
    ORGANIZATION_APPEAL_FILES,
    PERSON_APPEAL_FILES,
    AppealTicket,
    OrganizationAppeal,
    OrganizationLookupRequest,
    PersonAppeal,
    RecoveryClient,
)

from gateway.errors import Problem
from gateway.i18n import N_, translate_error
from gateway.resources.recovery import (
    APPEAL_RPC_TIMEOUT,
    appeal_from_upload,
    read_appeal_upload,
)
from gateway.uploads import Upload
from gateway.web.frame import CSRF_FIELD, FormState, check_csrf, kept_values
from gateway.web.pages.base import PageResource, form_errors

ORGANIZATION_STEPS = (
    N_("Find the organisation"),
    N_("Upload the documents"),
    N_("Wait for the review"),
)
PERSON_STEPS = (N_("Upload the identity document"), N_("Wait for the review"))
LOOKUP = "/recover/appeal/organization"
# what a page's form sends besides the appeal's own fields
PAGE_FIELDS = frozenset({CSRF_FIELD, "action", "captcha_id", "captcha_answer"})
UNIT_CODES = ("credit_code", "registration_number")


class OrganizationLookup(PageResource):
    """法人申诉 step 1 (检索单位): name, code and captcha → a look-up."""

    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.recovery = ctx.client(RecoveryClient)

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(
            page,
            "recover_appeal_lookup.html",
            form=self.frame.take_form(req, resp),
            captcha=self.new_captcha(req),
            steps=ORGANIZATION_STEPS,
            step=0,
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        if form.get("action") == "refresh_captcha":
            self.back_with(resp, LOOKUP, FormState(values=kept_values(form)))
            return
        try:
            lookup = self.recovery.start_organization_lookup(
                lookup=parse(OrganizationLookupRequest, lookup_request(form)),
                client_ip=self.client_ip(req),
            )
        except ce.ServiceError as exc:
            self.back_with(resp, LOOKUP, on_unit_code(form_errors(page, exc, form)))
            return
        self.back_with(resp, f"{LOOKUP}/{lookup.lookup_id}", FormState())


def lookup_request(form: dict[str, str]) -> dict:
    """The look-up's fields: the code is a credit code for a domestic unit and a
    registration number for the others (as registration reads it)."""
    code = form.get("unique_code", "")
    domestic = form.get("region", "domestic") == "domestic"
    return {
        "unit_name": form.get("unit_name", ""),
        "credit_code": code if domestic else None,
        "registration_number": None if domestic else code,
        "captcha_id": form.get("captcha_id", ""),
        "captcha_answer": form.get("captcha_answer", ""),
    }


def on_unit_code(state: FormState) -> FormState:
    """The code's errors beside the one field the page has for either code."""
    for name in UNIT_CODES:
        if name in state.errors:
            state.errors.setdefault("unique_code", state.errors.pop(name))
    for item in state.summary:
        if item["field"] in UNIT_CODES:
            item["field"] = "unique_code"
    return state


class AppealForm(PageResource):
    """An appeal's multipart form: 获取验证码, 换一张 and the submission."""

    model: type[Model] = Model
    files: tuple[str, ...] = ()
    phone_field = "phone"
    template = ""
    steps: tuple[str, ...] = ()
    step = 0
    submitted = ""
    # the RecoveryClient method that submits it (called with the client)
    submit: Callable[..., AppealTicket]

    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.uploads = ctx.client(
            RecoveryClient,
            timeout=max(ctx.settings.rpc_timeout, APPEAL_RPC_TIMEOUT),
        )

    def show(self, req, resp, **values) -> None:
        page = self.begin(req, resp)
        self.frame.render(
            page,
            self.template,
            form=self.frame.take_form(req, resp),
            captcha=self.new_captcha(req),
            steps=self.steps,
            step=self.step,
            files=self.files,
            **values,
        )

    def post(self, req, resp, location: str, fixed: dict[str, str]) -> None:
        """The form posted to ``location``; ``fixed``: fields from the address."""
        page = self.begin(req, resp)
        upload = Upload()
        try:
            read_appeal_upload(req, self.model, self.files, PAGE_FIELDS, into=upload)
        except Problem as problem:
            check_csrf(req, upload.fields)
            state = refused(page, problem, upload.fields)
            state.notice = page.gettext(FILES_NOT_KEPT)
            self.back_with(resp, location, state)
            return
        check_csrf(req, upload.fields)
        form = upload.fields
        action = form.get("action", "submit")
        if action == "send_sms":
            state = self.send_sms(req, page, form, self.phone_field, "appeal")
        elif action == "submit":
            state = self._submit(req, page, upload, fixed)
            if state is None:
                return
        else:  # refresh_captcha: a new image, the values kept
            state = FormState(values=kept_values(form))
        if any(part.data for part in upload.files.values()):
            state.notice = " ".join(
                filter(None, (state.notice, page.gettext(FILES_NOT_KEPT)))
            )
        self.back_with(resp, location, state)

    def _submit(self, req, page, upload: Upload, fixed) -> FormState | None:
        upload.fields.update(fixed)
        try:
            ticket = self.submit(
                self.uploads,
                appeal=appeal_from_upload(self.model, self.files, upload),
                client_ip=self.client_ip(req),
            )
        except ce.ServiceError as exc:
            return off_the_page(form_errors(page, exc, upload.fields), fixed)
        state = FormState(
            extra={"appeal_id": ticket.appeal_id, "ticket": ticket.ticket}
        )
        self.back_with(page.resp, self.submitted, state)
        return None


def off_the_page(state: FormState, fixed: dict[str, str]) -> FormState:
    """An error about a field of the address (an expired look-up's
    ``lookup_invalid``) stays in the summary only: the page has no such field
    (it links back to step 1)."""
    for name in fixed:
        state.errors.pop(name, None)
        state.values.pop(name, None)
    for item in state.summary:
        if item["field"] in fixed:
            item["field"] = ""
    return state


FILES_NOT_KEPT = N_("Files are never kept: choose them again before submitting.")


def refused(page, problem: Problem, fields: dict[str, str]) -> FormState:
    """The state after the upload itself was refused (a file too large, too many
    parts): the error beside its file and in the summary, the fields read
    before it kept."""
    state = FormState(values=kept_values(fields))
    message = translate_error(page.locale, problem.code, problem.detail)
    name = next((item.get("field", "") for item in problem.extra.get("errors", [])), "")
    if name:
        state.errors[name] = message
    state.summary.append({"field": name, "message": message})
    return state


class OrganizationAppealForm(AppealForm):
    """法人申诉 step 2 (上传文件): the contact, its mobile and the documents."""

    model = OrganizationAppeal
    files = ORGANIZATION_APPEAL_FILES
    phone_field = "contact_phone"
    template = "recover_appeal_organization.html"
    steps = ORGANIZATION_STEPS
    step = 1
    submitted = f"{LOOKUP}/submitted"
    submit = staticmethod(RecoveryClient.submit_organization_appeal)

    def on_get(self, req, resp, lookup_id):
        self.show(req, resp, lookup_id=lookup_id)

    def on_post(self, req, resp, lookup_id):
        location = f"{LOOKUP}/{lookup_id}"
        self.post(req, resp, location, {"lookup_id": lookup_id})


class PersonAppealForm(AppealForm):
    """自然人申诉 step 1 (上传证件): who, the document, the mobile, both sides."""

    model = PersonAppeal
    files = PERSON_APPEAL_FILES
    template = "recover_appeal_person.html"
    steps = PERSON_STEPS
    location = "/recover/appeal/person"
    submitted = "/recover/appeal/person/submitted"
    submit = staticmethod(RecoveryClient.submit_person_appeal)

    def on_get(self, req, resp):
        self.show(req, resp)

    def on_post(self, req, resp):
        self.post(req, resp, self.location, {})


class Submitted(PageResource):
    """等待审核: the appeal's number and query code, shown this once."""

    def __init__(self, ctx, frame, steps: tuple[str, ...]):
        super().__init__(ctx, frame)
        self.steps = steps

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(
            page,
            "recover_appeal_submitted.html",
            form=self.frame.take_form(req, resp),
            steps=self.steps,
            step=len(self.steps) - 1,
        )


def add_routes(app, ctx, frame) -> None:
    app.add_route(LOOKUP, OrganizationLookup(ctx, frame))
    app.add_route(f"{LOOKUP}/submitted", Submitted(ctx, frame, ORGANIZATION_STEPS))
    app.add_route(f"{LOOKUP}/{{lookup_id}}", OrganizationAppealForm(ctx, frame))
    app.add_route(PersonAppealForm.location, PersonAppealForm(ctx, frame))
    app.add_route(
        f"{PersonAppealForm.location}/submitted", Submitted(ctx, frame, PERSON_STEPS)
    )

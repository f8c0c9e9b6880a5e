"""Upload identity materials after a failed real-name check (我的信息: 上传材料),
as ``POST /api/v1/me/verification/materials`` does: the document's two sides
(an organisation also its licence), for a reviewer's manual check. The rules
(status, image types and sizes) are verification's; its refusals show as the
form's errors."""

from __future__ import annotations

import base64

from contracts import errors as ce
from contracts.verification import MATERIAL_FIELDS, VerificationClient

from gateway.errors import Problem
from gateway.i18n import translate_error
from gateway.resources.verification import (
    ALL_MATERIAL_FIELDS,
    MATERIAL_LIMITS,
    MATERIALS_RPC_TIMEOUT,
)
from gateway.uploads import read_multipart
from gateway.web.frame import CSRF_FIELD, FormState, check_csrf
from gateway.web.pages.base import PageResource, form_errors

LOCATION = "/me/materials"


class Materials(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.verification = ctx.client(
            VerificationClient,
            timeout=max(ctx.settings.rpc_timeout, MATERIALS_RPC_TIMEOUT),
        )

    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        state = self.frame.take_form(req, resp)
        fields = MATERIAL_FIELDS.get(account["kind"], ())
        self.frame.render(page, "me_materials.html", form=state, fields=fields)

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        # who posts is known only with the form's CSRF token, read with the files
        try:
            upload = read_multipart(
                req,
                file_names=ALL_MATERIAL_FIELDS,
                field_names={CSRF_FIELD},
                limits=MATERIAL_LIMITS,
            )
        except Problem as problem:
            message = translate_error(page.locale, problem.code, problem.detail)
            state = FormState(summary=[{"field": "", "message": message}])
            self.back_with(resp, LOCATION, state)
            return
        check_csrf(req, upload.fields)
        account = self.auth.require_account(
            req, csrf_token=upload.fields.get(CSRF_FIELD)
        )
        expected = MATERIAL_FIELDS.get(account["kind"], ())
        files = {
            name: base64.b64encode(part.data).decode("ascii")
            for name, part in upload.files.items()
            if part.data and name in expected
        }
        try:
            self.verification.submit_materials(
                account_id=account["account_id"],
                account_kind=account["kind"],
                files=files,
            )
        except ce.ServiceError as exc:
            self.back_with(resp, LOCATION, form_errors(page, exc, {}))
            return
        notice = page.gettext(
            "Your materials are received; a reviewer will check them."
        )
        self.back_with(resp, "/me", FormState(notice=notice))


def add_routes(app, ctx, frame) -> None:
    app.add_route(LOCATION, Materials(ctx, frame))

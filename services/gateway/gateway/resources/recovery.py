"""Password recovery (the recovery service): the reset by login name.

Responders stay thin: read the body, pass the client address (recovery counts
quotas per address), answer. Every rule lives in recovery.
"""

from __future__ import annotations

import base64

import falcon
from contracts.recovery import (
    MAX_APPEAL_FILE_BYTES,
    ORGANIZATION_APPEAL_FILES,
    PERSON_APPEAL_FILES,
)

from gateway.resources.base import ServiceResource, no_store
from gateway.uploads import UploadLimits, read_multipart

PERSON_FIELDS = frozenset(
    {"name", "identity_region", "doc_type", "doc_number", "phone", "sms_code"}
)
ORGANIZATION_FIELDS = frozenset(
    {"lookup_id", "contact_name", "contact_phone", "sms_code"}
)
APPEAL_LIMITS = UploadLimits(
    max_file_bytes=MAX_APPEAL_FILE_BYTES, max_files=len(ORGANIZATION_APPEAL_FILES)
)
# decoding and re-encoding three 1 MB images takes longer than an ordinary call
APPEAL_RPC_TIMEOUT = 20.0


class _Recovery(ServiceResource):
    service = "recovery"


class PasswordResets(_Recovery):
    def on_post(self, req, resp):
        body = self.body(req)
        started = self.call(
            "start_password_reset",
            login_name=body.get("login_name"),
            captcha_id=body.get("captcha_id"),
            captcha_answer=body.get("captcha_answer"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_201
        no_store(resp)
        resp.media = started


class PasswordResetCode(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = self.body(req)
        resp.media = self.call(
            "send_reset_code",
            reset_id=reset_id,
            phone=body.get("phone"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_202


class PasswordResetCompletion(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = self.body(req)
        self.call(
            "complete_password_reset",
            reset_id=reset_id,
            sms_code=body.get("sms_code"),
            new_password=body.get("new_password"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_204


class _Appeal(_Recovery):
    method = ""
    files: tuple[str, ...] = ()
    fields: frozenset[str] = frozenset()

    def on_post(self, req, resp):
        upload = read_multipart(
            req,
            file_names=frozenset(self.files),
            field_names=self.fields,
            limits=APPEAL_LIMITS,
        )
        resp.media = self.call(
            self.method,
            timeout=max(self.settings.rpc_timeout, APPEAL_RPC_TIMEOUT),
            appeal=dict(upload.fields),
            files={
                name: base64.b64encode(part.data).decode("ascii")
                for name, part in upload.files.items()
            },
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_202
        no_store(resp)


class PersonAppeals(_Appeal):
    method = "submit_person_appeal"
    files = PERSON_APPEAL_FILES
    fields = PERSON_FIELDS


class OrganizationAppeals(_Appeal):
    method = "submit_organization_appeal"
    files = ORGANIZATION_APPEAL_FILES
    fields = ORGANIZATION_FIELDS


class OrganizationLookups(_Recovery):
    def on_post(self, req, resp):
        body = self.body(req)
        resp.media = self.call(
            "start_organization_lookup",
            unit_name=body.get("unit_name"),
            captcha_id=body.get("captcha_id"),
            captcha_answer=body.get("captcha_answer"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_201


class AppealStatus(_Recovery):
    def on_get(self, req, resp, appeal_id):
        no_store(resp)
        resp.media = self.call(
            "get_appeal_status", appeal_id=appeal_id, ticket=req.get_param("ticket")
        )


def add_routes(app, ctx) -> None:
    recovery = f"{ctx.api}/recovery"
    app.add_route(f"{recovery}/appeals/person", PersonAppeals(ctx))
    app.add_route(f"{recovery}/appeals/organization", OrganizationAppeals(ctx))
    app.add_route(f"{recovery}/appeals/{{appeal_id}}", AppealStatus(ctx))
    app.add_route(f"{recovery}/organization-lookups", OrganizationLookups(ctx))
    base = f"{ctx.api}/recovery/password-resets"
    app.add_route(base, PasswordResets(ctx))
    app.add_route(f"{base}/{{reset_id}}/sms-code", PasswordResetCode(ctx))
    app.add_route(f"{base}/{{reset_id}}/complete", PasswordResetCompletion(ctx))

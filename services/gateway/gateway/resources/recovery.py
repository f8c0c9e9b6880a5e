"""Password recovery (the recovery service): the reset by login name and appeals.

Responders stay thin: read the body as its ``contracts.recovery`` model, pass the
client address (recovery counts quotas per address), call ``RecoveryClient``,
answer its reply model. Every rule lives in the models and in recovery.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import falcon
from contracts.models import Model, parse
from contracts.recovery import (
    MAX_APPEAL_FILE_BYTES,
    ORGANIZATION_APPEAL_FILES,
    PERSON_APPEAL_FILES,
    AppealTicket,
    OrganizationAppeal,
    OrganizationLookupRequest,
    PasswordResetCompletion,
    PasswordResetPhone,
    PasswordResetStart,
    PersonAppeal,
    RecoveryClient,
)

from gateway.resources.base import ServiceResource
from gateway.uploads import Upload, UploadLimits, read_multipart

APPEAL_LIMITS = UploadLimits(
    max_file_bytes=MAX_APPEAL_FILE_BYTES, max_files=len(ORGANIZATION_APPEAL_FILES)
)
# decoding and re-encoding three 1 MB images takes longer than an ordinary call
APPEAL_RPC_TIMEOUT = 20.0


class _Recovery(ServiceResource):
    def __init__(self, ctx, recovery: RecoveryClient):
        super().__init__(ctx)
        self.recovery = recovery


class PasswordResets(_Recovery):
    def on_post(self, req, resp):
        body = parse(PasswordResetStart, self.body(req))
        started = self.recovery.start_password_reset(
            login_name=body.login_name,
            captcha_id=body.captcha_id,
            captcha_answer=body.captcha_answer,
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_201
        resp.media = started.dump()


class PasswordResetCode(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = parse(PasswordResetPhone, self.body(req))
        sent = self.recovery.send_reset_code(
            reset_id=reset_id, phone=body.phone, client_ip=self.client(req)
        )
        resp.status = falcon.HTTP_202
        resp.media = sent.dump()


class PasswordResetCompletionResource(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = parse(PasswordResetCompletion, self.body(req))
        self.recovery.complete_password_reset(
            reset_id=reset_id,
            sms_code=body.sms_code,
            new_password=body.new_password,
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_204


def read_appeal_upload(
    req,
    model: type[Model],
    files: tuple[str, ...],
    extra_fields: frozenset[str] = frozenset(),
    into: Upload | None = None,
) -> Upload:
    """An appeal's multipart body: the model's fields (and ``extra_fields``, a
    page's CSRF token and buttons), its ``files``, within the appeal's limits.
    ``into`` receives the parts read so far also when the body is refused."""
    return read_multipart(
        req,
        file_names=frozenset(files),
        field_names=(frozenset(model.model_fields) - set(files)) | extra_fields,
        limits=APPEAL_LIMITS,
        into=into,
    )


def appeal_from_upload(
    model: type[Model], files: tuple[str, ...], upload: Upload
) -> Model:
    """The appeal ``model`` from an upload, its files in base64; a file part
    with no name and no bytes (a browser's file input left empty) is missing."""
    encoded = {
        name: base64.b64encode(part.data).decode("ascii")
        for name, part in upload.files.items()
        if part.data or part.filename
    }
    fields = {
        name: upload.fields[name]
        for name in model.model_fields
        if name in upload.fields
    }
    return parse(model, {**fields, **encoded})


class _Appeal(_Recovery):
    """A multipart appeal: its fields and its files (in base64) read as one model."""

    model: type[Model] = Model
    files: tuple[str, ...] = ()
    # the RecoveryClient method that submits it (called with the client)
    submit: Callable[..., AppealTicket]

    def on_post(self, req, resp):
        ticket = self.submit(
            self.recovery, appeal=self.read(req), client_ip=self.client(req)
        )
        resp.status = falcon.HTTP_202
        resp.media = ticket.dump()

    def read(self, req) -> Model:
        upload = read_appeal_upload(req, self.model, self.files)
        return appeal_from_upload(self.model, self.files, upload)


class PersonAppeals(_Appeal):
    model = PersonAppeal
    files = PERSON_APPEAL_FILES
    submit = staticmethod(RecoveryClient.submit_person_appeal)


class OrganizationAppeals(_Appeal):
    model = OrganizationAppeal
    files = ORGANIZATION_APPEAL_FILES
    submit = staticmethod(RecoveryClient.submit_organization_appeal)


class OrganizationLookups(_Recovery):
    def on_post(self, req, resp):
        body = parse(OrganizationLookupRequest, self.body(req))
        lookup = self.recovery.start_organization_lookup(
            lookup=body, client_ip=self.client(req)
        )
        resp.status = falcon.HTTP_201
        resp.media = lookup.dump()


class AppealStatusResource(_Recovery):
    def on_get(self, req, resp, appeal_id):
        status = self.recovery.get_appeal_status(
            appeal_id=appeal_id, ticket=req.get_param("ticket")
        )
        resp.media = status.dump()


def add_routes(app, ctx) -> None:
    recovery = ctx.client(RecoveryClient)
    uploads = ctx.client(
        RecoveryClient, timeout=max(ctx.settings.rpc_timeout, APPEAL_RPC_TIMEOUT)
    )
    base = f"{ctx.api}/recovery"
    resets = f"{base}/password-resets"
    app.add_route(f"{base}/appeals/person", PersonAppeals(ctx, uploads))
    app.add_route(f"{base}/appeals/organization", OrganizationAppeals(ctx, uploads))
    app.add_route(f"{base}/appeals/{{appeal_id}}", AppealStatusResource(ctx, recovery))
    app.add_route(f"{base}/organization-lookups", OrganizationLookups(ctx, recovery))
    app.add_route(resets, PasswordResets(ctx, recovery))
    app.add_route(f"{resets}/{{reset_id}}/sms-code", PasswordResetCode(ctx, recovery))
    app.add_route(
        f"{resets}/{{reset_id}}/complete",
        PasswordResetCompletionResource(ctx, recovery),
    )

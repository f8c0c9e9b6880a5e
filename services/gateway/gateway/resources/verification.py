"""Real-name verification: the caller's status, and materials for manual review."""

from __future__ import annotations

import base64

import falcon
from contracts.verification import (
    MATERIAL_FIELDS,
    MAX_MATERIAL_BYTES,
    VerificationClient,
)

from gateway.uploads import UploadLimits, read_multipart

ALL_MATERIAL_FIELDS = frozenset(
    f for fields in MATERIAL_FIELDS.values() for f in fields
)
MATERIAL_LIMITS = UploadLimits(
    max_file_bytes=MAX_MATERIAL_BYTES,
    max_files=max(len(fields) for fields in MATERIAL_FIELDS.values()),
)
# decoding and re-encoding three 1 MB images takes longer than an ordinary call
MATERIALS_RPC_TIMEOUT = 20.0


class MyVerification:
    def __init__(self, auth, verification: VerificationClient):
        self.auth = auth
        self.verification = verification

    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        status = self.verification.get_verification(account_id=account["account_id"])
        resp.media = status.dump()


class Materials:
    """``POST``: the document's two sides (organisations also the licence), read as
    multipart (the body is described in the YAML, not by a model) and sent to the
    service in base64."""

    def __init__(self, auth, verification: VerificationClient):
        self.auth = auth
        self.verification = verification

    def on_post(self, req, resp):
        account = self.auth.require_account(req)
        expected = frozenset(MATERIAL_FIELDS.get(account["kind"], ()))
        upload = read_multipart(req, file_names=expected, limits=MATERIAL_LIMITS)
        files = {
            name: base64.b64encode(part.data).decode("ascii")
            for name, part in upload.files.items()
        }
        case = self.verification.submit_materials(
            account_id=account["account_id"],
            account_kind=account["kind"],
            files=files,
        )
        resp.status = falcon.HTTP_202
        resp.media = case.dump()


def add_routes(app, ctx) -> None:
    verification = ctx.client(VerificationClient)
    uploads = ctx.client(
        VerificationClient,
        timeout=max(ctx.settings.rpc_timeout, MATERIALS_RPC_TIMEOUT),
    )
    app.add_route(f"{ctx.api}/me/verification", MyVerification(ctx.auth, verification))
    app.add_route(f"{ctx.api}/me/verification/materials", Materials(ctx.auth, uploads))

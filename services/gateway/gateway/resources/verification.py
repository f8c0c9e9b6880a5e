"""Real-name verification: the caller's status, and materials for manual review."""

from __future__ import annotations

import base64

import falcon
from contracts.verification import MATERIAL_FIELDS, MAX_MATERIAL_BYTES

from gateway.middleware import rpc_context
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
    def __init__(self, ctx):
        self.ctx = ctx

    def on_get(self, req, resp):
        account = self.ctx.auth.require_account(req)
        resp.media = self.ctx.rpc.call(
            "verification",
            "get_verification",
            context=rpc_context(),
            account_id=account["account_id"],
        )


class Materials:
    """``POST``: the document's two sides (organisations also the licence)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def on_post(self, req, resp):
        account = self.ctx.auth.require_account(req)
        expected = frozenset(MATERIAL_FIELDS.get(account["kind"], ()))
        upload = read_multipart(req, file_names=expected, limits=MATERIAL_LIMITS)
        files = {
            name: base64.b64encode(part.data).decode("ascii")
            for name, part in upload.files.items()
        }
        resp.media = self.ctx.rpc.call(
            "verification",
            "submit_materials",
            context=rpc_context(),
            timeout=max(self.ctx.settings.rpc_timeout, MATERIALS_RPC_TIMEOUT),
            account_id=account["account_id"],
            account_kind=account["kind"],
            files=files,
        )
        resp.status = falcon.HTTP_202


def add_routes(app, ctx) -> None:
    app.add_route(f"{ctx.api}/me/verification", MyVerification(ctx))
    app.add_route(f"{ctx.api}/me/verification/materials", Materials(ctx))

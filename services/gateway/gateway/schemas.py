"""Reading request bodies: size, media type and JSON shape, before any RPC."""

from __future__ import annotations

import json
from typing import Any

import falcon

from gateway.errors import Problem


def read_json(req: falcon.Request, max_bytes: int) -> dict[str, Any]:
    """The JSON object in the body; a clean 4xx for anything else."""
    if req.content_length is not None and req.content_length > max_bytes:
        raise Problem(413, "body_too_large", f"The body may be at most {max_bytes} bytes.")
    if not req.content_type or not req.content_type.startswith("application/json"):
        raise Problem(415, "unsupported_media_type", "Send application/json.")
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Problem(413, "body_too_large", f"The body may be at most {max_bytes} bytes.")
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "malformed_json", "The body is not valid JSON.") from None
    try:
        # JSON may escape lone surrogates ("\\ud800"): valid JSON, yet no UTF-8
        # text, so no service could receive it. Refuse it here, as malformed.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Problem(400, "malformed_json", "The body is not valid UTF-8 text.") from None
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "The body must be a JSON object.")
    return body

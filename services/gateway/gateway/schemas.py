"""Reading request bodies: size, media type and JSON shape, before any RPC; and the
field checks the gateway makes itself (a phone before a quota is counted)."""

from __future__ import annotations

import json
from typing import Any

import falcon
from contracts.errors import InvalidInput, field_error
from contracts.phones import PhoneInvalid, normalize_phone

from gateway.errors import Problem


def body_stream(req: falcon.Request):
    """The request body as a stream that ends where the body ends.

    With a ``Content-Length``: Falcon's bounded stream. Chunked (``Transfer-Encoding:
    chunked``, no length): the server's ``wsgi.input``, which gunicorn decodes and
    ends after the last chunk; Falcon's bounded stream knows no length and would
    read it as empty (issue 12, finding 6). Either way the caller reads at most its
    limit + 1 bytes, so a chunked body is held to the same limit as any other.
    """
    if req.content_length is not None:
        return req.bounded_stream
    if "chunked" in (req.get_header("Transfer-Encoding") or "").lower():
        return req.stream
    return req.bounded_stream


def read_json(req: falcon.Request, max_bytes: int) -> dict[str, Any]:
    """The JSON object in the body; a clean 4xx for anything else."""
    if req.content_length is not None and req.content_length > max_bytes:
        raise Problem(
            413, "body_too_large", f"The body may be at most {max_bytes} bytes."
        )
    if not req.content_type or not req.content_type.startswith("application/json"):
        raise Problem(415, "unsupported_media_type", "Send application/json.")
    raw = body_stream(req).read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Problem(
            413, "body_too_large", f"The body may be at most {max_bytes} bytes."
        )
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "malformed_json", "The body is not valid JSON.") from None
    problem = _unstorable_text(body)
    if problem:
        raise Problem(400, "malformed_json", problem)
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "The body must be a JSON object.")
    return body


def _unstorable_text(value: Any) -> str | None:
    """Why a string somewhere in ``value`` can reach no service, or None.

    JSON may escape lone surrogates ("\\ud800"), which are no UTF-8 text, and
    NUL ("\\u0000"), which PostgreSQL refuses in every text column. No field of
    the API accepts either, so the whole body is refused as malformed.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return (
                    "The body holds a NUL character (\\u0000), which no field accepts."
                )
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "The body is not valid UTF-8 text."
    return None


def canonical_phone(raw: object, errors: list[dict]) -> str | None:
    """The phone in canonical form, or None with a ``phone_invalid`` field error."""
    try:
        return normalize_phone(raw)  # type: ignore[arg-type]
    except PhoneInvalid as exc:
        errors.append(field_error("phone", "phone_invalid", str(exc)))
        return None


def raise_field_errors(errors: list[dict]) -> None:
    """422 with every collected field error, the first one's code on top."""
    if errors:
        first = errors[0]
        raise InvalidInput(first["code"], first["message"], {"errors": errors})

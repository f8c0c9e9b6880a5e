"""Reading multipart/form-data uploads as a stream, with limits enforced as it flows.

The body is read in small chunks and parsed incrementally (``multipart``'s push
parser); a file part is refused the moment it passes its byte limit (at limit + 1),
so an oversized upload is never buffered whole, and a flood of parts stops at the
part limit. What passes is returned in memory (each file at most its limit).

Only the transport rules live here (sizes, counts, names of the parts): what an
image must be (its type by content, pixels, decoding) is a rule of the service that
owns the upload, which checks it again before storing anything.

Shared by every area that takes uploads (verification materials, recovery appeals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import falcon
from multipart import (
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)

from gateway.errors import Problem
from gateway.schemas import body_stream

CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 1024 * 1024
    max_files: int = 3
    max_field_bytes: int = 1024
    max_parts: int = 12  # files and fields together
    max_drain_bytes: int = 8 * 1024 * 1024  # read (and drop) after a refusal


@dataclass
class UploadedFile:
    name: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def _refuse(code: str, detail: str, part: str | None = None) -> Problem:
    extra = {}
    if part is not None:
        extra["errors"] = [{"field": part, "code": code, "message": detail}]
    return Problem(422, code, detail, **extra)


def _drain(stream, limit: int) -> None:
    """Read and drop what the client is still sending (bounded), so that it reads
    our answer instead of a reset connection. Nothing is kept."""
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def read_multipart(
    req: falcon.Request,
    file_names: set[str] | frozenset[str],
    field_names: set[str] | frozenset[str] = frozenset(),
    limits: UploadLimits = UploadLimits(),
    into: Upload | None = None,
) -> Upload:
    """The parts of a multipart/form-data body; a 4xx :class:`Problem` otherwise.

    ``file_names`` are the file parts accepted (each at most once),
    ``field_names`` the plain fields. Codes (all 422 unless noted):
    ``unexpected_file``, ``unexpected_field``, ``too_many_files``,
    ``file_too_large``, ``field_too_large``; 415 ``unsupported_media_type``; 400
    ``malformed_multipart``. ``into`` (a new :class:`Upload` by default) receives
    the parts as they are read, so a page can show again the fields read before
    a refusal.
    """
    content_type, options = parse_options_header(req.content_type or "")
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise Problem(415, "unsupported_media_type", "Send multipart/form-data.")
    stream = body_stream(req)
    upload = into if into is not None else Upload()
    try:
        _parse(
            stream,
            boundary,
            req.content_length,
            file_names,
            field_names,
            limits,
            upload,
        )
    except Problem:
        _drain(stream, limits.max_drain_bytes)
        raise
    return upload


class _Parts:
    """The part being read: its segment, the bytes so far and its byte limit."""

    def __init__(self, file_names, field_names, limits, upload):
        self.file_names, self.field_names = file_names, field_names
        self.limits, self.upload = limits, upload
        self.segment: MultipartSegment | None = None
        self.buffer = bytearray()
        self.limit = 0

    def feed(self, event) -> None:
        if isinstance(event, MultipartSegment):
            self.segment, self.buffer = event, bytearray()
            self.limit = _admit(
                event, self.file_names, self.field_names, self.limits, self.upload
            )
        elif event:
            self.buffer += event
            if len(self.buffer) > self.limit:
                raise self._too_large()
        else:
            _keep(self.segment, bytes(self.buffer), self.upload)
            self.segment, self.buffer = None, bytearray()

    def _too_large(self) -> Problem:
        segment = self.segment
        if segment.filename is not None:
            return _refuse(
                "file_too_large",
                f"{segment.name} is larger than {self.limits.max_file_bytes} bytes",
                segment.name,
            )
        return _refuse("field_too_large", f"{segment.name} is too long", segment.name)


def _parse(stream, boundary, content_length, file_names, field_names, limits, upload):
    parser = PushMultipartParser(
        boundary,
        content_length=content_length if content_length is not None else -1,
        max_segment_count=limits.max_parts,
        strict=True,
    )
    parts = _Parts(file_names, field_names, limits, upload)
    try:
        with parser:
            while not parser.closed:
                chunk = stream.read(CHUNK)
                for event in parser.parse(chunk):
                    parts.feed(event)
                if not chunk:
                    break
    except ParserLimitReached:
        raise _refuse("too_many_files", "The upload has too many parts.") from None
    except ParserError as exc:
        raise Problem(
            400, "malformed_multipart", f"The body is not valid multipart: {exc}"
        ) from None
    if not parser.closed:
        raise Problem(400, "malformed_multipart", "The multipart body ended early.")


def _admit(segment, file_names, field_names, limits, upload) -> int:
    """Whether this part may be read at all; returns its byte limit."""
    name = segment.name or ""
    if segment.filename is not None:
        if name in upload.files or len(upload.files) >= limits.max_files:
            raise _refuse(
                "too_many_files",
                f"Send at most one {name} and {limits.max_files} files in all.",
                name,
            )
        if name not in file_names:
            raise _refuse("unexpected_file", f"{name} is not expected here.", name)
        return limits.max_file_bytes
    if name not in field_names or name in upload.fields:
        raise _refuse("unexpected_field", f"{name} is not expected here.", name)
    return limits.max_field_bytes


def _keep(segment, data: bytes, upload: Upload) -> None:
    if segment.filename is not None:
        upload.files[segment.name] = UploadedFile(
            segment.name, segment.filename, segment.content_type, data
        )
    else:
        try:
            upload.fields[segment.name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(
                "field_invalid", f"{segment.name} is not UTF-8.", segment.name
            ) from None

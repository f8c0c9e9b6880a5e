"""The rule for uploaded document images (shared by verification and recovery):
what is accepted and what is kept.

Accepted: JPEG or PNG *by content* (magic bytes, then a real decode with only that
format's decoder), at most ``max_bytes``, at most ``max_pixels`` (checked from the
header before any pixel is decoded, so a decompression bomb costs nothing). Kept: the
decoded pixels re-encoded in the same format, so metadata (EXIF, GPS, comments, text
chunks) and anything smuggled after or inside the file (a polyglot) are gone.

Two steps, so a service can put its quotas between them: :func:`inspect_upload` (the
cheap checks, on the caller) and :func:`decode` (the pixels, on a bounded pool of real
threads, ``servicekit.decode_pool``, never on the eventlet hub); for a form of several
images, :func:`inspect_uploads` and :func:`decode_uploads`.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from contracts.errors import field_error, invalid_fields
from PIL import Image, ImageOps, UnidentifiedImageError

from servicekit.decode_pool import DecodePool, decode_pool

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

FILE_TOO_LARGE = "file_too_large"
FILE_TYPE_UNSUPPORTED = "file_type_unsupported"
IMAGE_CORRUPT = "image_corrupt"
IMAGE_TOO_LARGE = "image_too_large"  # too many pixels (a decompression bomb, say)


class ImageRejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Upload:
    """An image that passed the cheap checks (size, type, header): nothing of it
    decoded yet. :func:`decode` makes a :class:`CleanImage` of it."""

    kind: str  # JPEG | PNG
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    media_type: str  # image/jpeg | image/png
    data: bytes
    width: int
    height: int


def review_view(
    field: str, media_type: str, width: int, height: int, data: bytes
) -> dict:
    """A stored image as a reviewer's screen shows it: its field, size and a data URL."""
    return {
        "field": field,
        "media_type": media_type,
        "width": width,
        "height": height,
        "data_url": f"data:{media_type};base64," + base64.b64encode(data).decode(),
    }


def sniff(data: bytes) -> str | None:
    """``JPEG`` or ``PNG`` from the first bytes, else None (names lie; bytes less)."""
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    return None


def inspect_image(data: bytes, max_bytes: int, max_pixels: int) -> Upload:
    """The cheap checks, no pixel decoded: size, type by content, the header's
    dimensions. Raises :class:`ImageRejected` with a code."""
    if len(data) > max_bytes:
        raise ImageRejected(
            FILE_TOO_LARGE, f"an image may be at most {max_bytes} bytes"
        )
    kind = sniff(data)
    if kind is None:
        raise ImageRejected(
            FILE_TYPE_UNSUPPORTED, "only JPEG and PNG images are accepted"
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past 2x errors) on large images; our own limit is
            # checked first, this only turns any remaining warning into a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            IMAGE_TOO_LARGE, f"an image may have at most {max_pixels} pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(IMAGE_CORRUPT, "the image cannot be decoded") from None
    if width <= 0 or height <= 0:
        raise ImageRejected(IMAGE_CORRUPT, "the image has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(
            IMAGE_TOO_LARGE, f"an image may have at most {max_pixels} pixels"
        )
    return Upload(kind, data, width, height)


def inspect_upload(encoded: object, max_bytes: int, max_pixels: int) -> Upload:
    """An upload as the gateway passes it over RPC (base64 text), through the cheap
    checks; raises :class:`ImageRejected` (``image_corrupt`` for text that is not
    base64, then :func:`inspect_image`'s codes)."""
    try:
        data = base64.b64decode(encoded, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, ValueError, TypeError):
        raise ImageRejected(IMAGE_CORRUPT, "the file is not base64") from None
    return inspect_image(data, max_bytes, max_pixels)


def decode(upload: Upload, pool: DecodePool | None = None) -> CleanImage:
    """An inspected image decoded and re-encoded on ``pool`` (the process's default
    pool if None), never on the calling green thread's hub; raises
    :class:`ImageRejected` (``image_corrupt``) when the pixels do not decode."""
    return (pool or decode_pool()).run(_decode, upload)


def inspect_uploads(
    files: dict,
    expected: tuple[str, ...],
    max_bytes: int,
    max_pixels: int,
    unexpected: str = "{name} is not expected",
) -> tuple[dict[str, Upload], list[dict]]:
    """Every expected upload of ``files`` (field → base64 text) through the cheap
    checks (:func:`inspect_upload`): the uploads that passed, by field, and the field
    errors (``contracts.errors.field_error``): each file not expected
    (``unexpected_file``, ``unexpected`` its message), then each expected field in
    turn that is missing (``file_missing``) or refused."""
    errors = [
        field_error(name, "unexpected_file", unexpected.format(name=name))
        for name in files
        if name not in expected
    ]
    inspected: dict[str, Upload] = {}
    for name in expected:
        if name not in files:
            errors.append(field_error(name, "file_missing", f"{name} is required"))
            continue
        try:
            inspected[name] = inspect_upload(files[name], max_bytes, max_pixels)
        except ImageRejected as rejected:
            errors.append(field_error(name, rejected.code, rejected.message))
    return inspected, errors


def decode_uploads(
    inspected: dict[str, Upload], pool: DecodePool
) -> dict[str, CleanImage]:
    """Every inspected upload decoded on ``pool``: the clean images by field; raises
    ``InvalidInput`` with a field error for each one that does not decode."""
    cleaned: dict[str, CleanImage] = {}
    errors: list[dict] = []
    for name, upload in inspected.items():
        try:
            cleaned[name] = decode(upload, pool)
        except ImageRejected as rejected:
            errors.append(field_error(name, rejected.code, rejected.message))
    if errors:
        raise invalid_fields(errors)
    return cleaned


def encrypted_columns(image: CleanImage, cipher, aad: bytes) -> dict:
    """How a clean image is stored: its type, size and its bytes encrypted with
    ``cipher`` (a ``servicekit.crypto.PersonalDataCipher``) under ``aad``."""
    return {
        "media_type": image.media_type,
        "width": image.width,
        "height": image.height,
        "size": len(image.data),
        "key_id": cipher.active_key_id,
        "ciphertext": cipher.encrypt_bytes(image.data, aad),
    }


def clean_image(
    data: bytes, max_bytes: int, max_pixels: int, pool: DecodePool | None = None
) -> CleanImage:
    """The image checked, decoded and re-encoded (:func:`inspect_image` then
    :func:`decode`); raises :class:`ImageRejected` with a code."""
    return decode(inspect_image(data, max_bytes, max_pixels), pool)


def clean_upload(
    encoded: object, max_bytes: int, max_pixels: int, pool: DecodePool | None = None
) -> CleanImage:
    """:func:`inspect_upload` then :func:`decode`."""
    return decode(inspect_upload(encoded, max_bytes, max_pixels), pool)


def _decode(upload: Upload) -> CleanImage:
    # On a pool thread: no warnings filter here (catch_warnings is not thread-safe);
    # the header already passed Pillow's bomb check in inspect_image.
    try:
        with Image.open(io.BytesIO(upload.data), formats=[upload.kind]) as image:
            image.load()
            return _reencode(image, upload.kind)
    except Image.DecompressionBombError:
        raise ImageRejected(IMAGE_TOO_LARGE, "the image has too many pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(IMAGE_CORRUPT, "the image cannot be decoded") from None


def _reencode(image: Image.Image, kind: str) -> CleanImage:
    # Apply the EXIF orientation before the EXIF is dropped, so the picture a
    # reviewer sees is the right way up.
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if kind == "JPEG":
        pixels = upright.convert("L" if upright.mode in ("L", "1") else "RGB")
        pixels.info = {}  # Pillow would carry a JPEG comment over from info
        pixels.save(out, format="JPEG", quality=90)
        media_type = "image/jpeg"
    else:
        mode = upright.mode
        if mode not in ("1", "L", "LA", "RGB", "RGBA"):
            mode = "RGBA" if "A" in mode or "transparency" in upright.info else "RGB"
        pixels = upright.convert(mode) if mode != upright.mode else upright.copy()
        # a fresh PNG: no text, eXIf, iCCP or private chunks are written
        pixels.info = {}
        pixels.save(out, format="PNG")
        media_type = "image/png"
    return CleanImage(media_type, out.getvalue(), pixels.width, pixels.height)

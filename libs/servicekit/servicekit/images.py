"""The rule for uploaded document images (shared by verification and recovery):
what is accepted and what is kept.

Accepted: JPEG or PNG *by content* (magic bytes, then a real decode with only that
format's decoder), at most ``max_bytes``, at most ``max_pixels`` (checked from the
header before any pixel is decoded, so a decompression bomb costs nothing). Kept: the
decoded pixels re-encoded in the same format, so metadata (EXIF, GPS, comments, text
chunks) and anything smuggled after or inside the file (a polyglot) are gone.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

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


def clean_image(data: bytes, max_bytes: int, max_pixels: int) -> CleanImage:
    """The image decoded and re-encoded; raises :class:`ImageRejected` with a code."""
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
                if width <= 0 or height <= 0:
                    raise ImageRejected(IMAGE_CORRUPT, "the image has no pixels")
                if width * height > max_pixels:
                    raise ImageRejected(
                        IMAGE_TOO_LARGE,
                        f"an image may have at most {max_pixels} pixels",
                    )
                image.load()
                return _reencode(image, kind)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            IMAGE_TOO_LARGE, f"an image may have at most {max_pixels} pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(IMAGE_CORRUPT, "the image cannot be decoded") from None


def clean_upload(encoded: object, max_bytes: int, max_pixels: int) -> CleanImage:
    """An upload as the gateway passes it over RPC (base64 text), decoded and
    cleaned; raises :class:`ImageRejected` (``image_corrupt`` for text that is not
    base64, then :func:`clean_image`'s codes)."""
    try:
        data = base64.b64decode(encoded, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, ValueError, TypeError):
        raise ImageRejected(IMAGE_CORRUPT, "the file is not base64") from None
    return clean_image(data, max_bytes, max_pixels)


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

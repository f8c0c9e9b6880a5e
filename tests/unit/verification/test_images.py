"""The image rule: type by content, size, pixel count, decode, re-encode."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

import pytest
from contracts.errors import InvalidInput
from PIL import Image
from servicekit.decode_pool import decode_pool
from servicekit.images import (
    ImageRejected,
    clean_image,
    clean_upload,
    decode_uploads,
    inspect_uploads,
)

from tests.unit.verification import images

MB = 1024 * 1024
PIXELS = 25_000_000


def check(data: bytes, max_bytes: int = MB, max_pixels: int = PIXELS):
    return clean_image(data, max_bytes, max_pixels)


def rejected_code(data: bytes, **limits) -> str:
    with pytest.raises(ImageRejected) as caught:
        check(data, **limits)
    return caught.value.code


@pytest.mark.parametrize(
    ("data", "media_type"), [(images.jpeg(), "image/jpeg"), (images.png(), "image/png")]
)
def test_jpeg_and_png_are_accepted_and_re_encoded(data, media_type):
    clean = check(data)
    assert clean.media_type == media_type
    assert (clean.width, clean.height) == (64, 48)
    with Image.open(io.BytesIO(clean.data)) as decoded:
        assert decoded.size == (64, 48)


def test_png_with_alpha_keeps_its_mode():
    clean = check(images.png(mode="RGBA", color=(1, 2, 3, 128)))
    with Image.open(io.BytesIO(clean.data)) as decoded:
        assert decoded.mode == "RGBA"


def test_exif_and_comments_are_stripped_and_orientation_applied():
    original = images.jpeg_with_exif_and_comment()
    assert b"SecretCam" in original and b"GPS 39.9N" in original
    clean = check(original)
    assert b"SecretCam" not in clean.data and b"GPS 39.9N" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as decoded:
        assert not decoded.getexif()
        assert decoded.size == (20, 40)  # rotated upright before EXIF was dropped


def test_png_text_chunks_are_stripped():
    original = images.png_with_text()
    assert b"someone@example.invalid" in original
    assert b"someone@example.invalid" not in check(original).data


@pytest.mark.parametrize(
    "data",
    [images.GIF, images.PDF, images.SVG, b"", b"hello", images.HTML_PAYLOAD],
    ids=["gif", "pdf", "svg", "empty", "text", "html"],
)
def test_other_types_are_refused_by_content(data):
    assert rejected_code(data) == "file_type_unsupported"


def test_a_name_does_not_make_a_type():
    # a PNG's magic in front of something that is not a PNG
    assert rejected_code(b"\x89PNG\r\n\x1a\n" + images.HTML_PAYLOAD) == "image_corrupt"


@pytest.mark.parametrize(
    "data",
    [images.jpeg()[:200], images.png()[:60], b"\xff\xd8\xff" + b"\x00" * 500],
    ids=["truncated-jpeg", "truncated-png", "jpeg-magic-garbage"],
)
def test_corrupt_images_are_refused(data):
    assert rejected_code(data) == "image_corrupt"


def test_a_jpeg_body_under_a_png_magic_is_refused():
    # type by magic bytes, decoded only with that type's decoder
    assert rejected_code(b"\x89PNG\r\n\x1a\n" + images.jpeg()[3:]) == "image_corrupt"


def test_more_than_the_byte_limit_is_refused():
    data = images.noisy_png(200, 200)
    assert len(data) > 100_000
    assert rejected_code(data, max_bytes=100_000) == "file_too_large"
    assert check(data, max_bytes=len(data)).media_type == "image/png"


def test_a_header_claiming_a_huge_image_is_refused_before_decoding():
    assert rejected_code(images.png_claiming(100_000, 100_000)) == "image_too_large"


def test_a_real_decompression_bomb_is_refused():
    bomb = images.real_bomb()
    assert len(bomb) < 100_000  # tiny on the wire, 36 Mpx decoded
    assert rejected_code(bomb) == "image_too_large"


def test_pixel_limit_is_configurable():
    assert rejected_code(images.png(100, 100), max_pixels=9_999) == "image_too_large"
    assert check(images.png(100, 100), max_pixels=10_000).width == 100


@pytest.mark.parametrize("make", [images.png, images.jpeg], ids=["png", "jpeg"])
def test_a_polyglot_loses_its_payload(make):
    polyglot = make() + images.HTML_PAYLOAD
    clean = check(polyglot)
    assert images.HTML_PAYLOAD not in clean.data
    assert b"<script>" not in clean.data


def test_a_payload_inside_a_jpeg_comment_is_dropped():
    data = images.jpeg(comment=images.HTML_PAYLOAD)
    assert images.HTML_PAYLOAD in data
    assert b"<script>" not in check(data).data


@pytest.mark.parametrize("encoded", ["not base64!", "QUJD=x", None, 42])
def test_an_upload_that_is_not_base64_is_corrupt(encoded):
    with pytest.raises(ImageRejected) as caught:
        clean_upload(encoded, MB, PIXELS)
    assert caught.value.code == "image_corrupt"


def test_an_upload_is_decoded_then_held_to_the_image_rule():
    encoded = base64.b64encode(images.png()).decode()
    assert clean_upload(encoded, MB, PIXELS).media_type == "image/png"
    with pytest.raises(ImageRejected) as caught:
        clean_upload(encoded, 10, PIXELS)
    assert caught.value.code == "file_too_large"


def test_a_form_of_images_lists_every_unexpected_missing_and_refused_file():
    """``inspect_uploads`` (recovery's appeals, verification's materials): files not
    expected first, then each expected field in turn; only what passed is kept."""
    good = base64.b64encode(images.png()).decode()
    files = {"selfie": good, "id_front": "not base64!", "licence": good}
    inspected, errors = inspect_uploads(
        files, ("licence", "id_front", "id_back"), MB, PIXELS
    )
    assert list(inspected) == ["licence"]
    assert [(e["field"], e["code"], e["message"]) for e in errors] == [
        ("selfie", "unexpected_file", "selfie is not expected"),
        ("id_front", "image_corrupt", "the file is not base64"),
        ("id_back", "file_missing", "id_back is required"),
    ]


def test_a_form_of_images_is_decoded_or_refused_with_every_bad_one():
    good, bad = images.png(), images.png()[:60]
    inspected, _ = inspect_uploads(
        {"a": base64.b64encode(good).decode()}, ("a",), MB, PIXELS
    )
    assert decode_uploads(inspected, decode_pool(1))["a"].media_type == "image/png"
    truncated = {"a": inspected["a"], "b": replace(inspected["a"], data=bad)}
    with pytest.raises(InvalidInput) as refused:
        decode_uploads(truncated, decode_pool(1))
    assert [e["field"] for e in refused.value.details["errors"]] == ["b"]

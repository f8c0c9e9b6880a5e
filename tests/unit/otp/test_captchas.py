"""Image captchas: single use, case-insensitive, 5 minutes, kept only hashed."""

from __future__ import annotations

import base64
import io

import pytest
from contracts.errors import InvalidInput, NotFound
from otp import captchas, handlers
from otp.handlers import Randomness
from PIL import Image

from tests.unit.otp.fakes import make_otp


def new_captcha(otp) -> tuple[str, str]:
    captcha = handlers.create_captcha(otp)
    return captcha["captcha_id"], handlers.get_captcha_answer(
        otp, captcha["captcha_id"]
    )["answer"]


def test_a_new_captcha_has_an_id_a_png_and_five_minutes(otp, store):
    captcha = handlers.create_captcha(otp)
    assert captcha["expires_in"] == 300
    assert base64.b64decode(captcha["image_png_base64"]).startswith(b"\x89PNG")
    ((_epoch, _expires, mac),) = store.captchas.values()
    assert "ACEFG" not in mac  # only the keyed hash is stored
    assert len(mac) == 64


def test_the_real_renderer_draws_a_png_of_the_configured_size():
    png = captchas.render_png("ACE47")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (captchas.WIDTH, captchas.HEIGHT)


def test_answers_use_no_look_alike_characters():
    text = Randomness().captcha_text(captchas.ALPHABET, 6)
    assert len(text) == 6
    assert set(text) <= set(captchas.ALPHABET)
    assert not set("0O1IL2Z5S8BDV") & set(captchas.ALPHABET)


@pytest.mark.parametrize("typed", ["ACEFG", "acefg", " a c e f g ", "AcEfG"])
def test_the_answer_is_case_insensitive(otp, typed):
    captcha_id, _ = new_captcha(otp)
    handlers.check_captcha(otp, captcha_id, typed)


def test_a_right_answer_works_once(otp):
    captcha_id, answer = new_captcha(otp)
    handlers.check_captcha(otp, captcha_id, answer)
    with pytest.raises(InvalidInput) as error:
        handlers.check_captcha(otp, captcha_id, answer)
    assert error.value.error_code == "captcha_invalid"


def test_a_wrong_answer_spends_the_captcha(otp):
    captcha_id, answer = new_captcha(otp)
    with pytest.raises(InvalidInput):
        handlers.check_captcha(otp, captcha_id, "WRONG")
    with pytest.raises(InvalidInput) as error:
        handlers.check_captcha(otp, captcha_id, answer)
    assert error.value.error_code == "captcha_invalid"


@pytest.mark.parametrize("age, valid", [(299.999, True), (300, False)])
def test_a_captcha_lives_exactly_its_ttl(otp, clock, age, valid):
    captcha_id, answer = new_captcha(otp)
    clock.advance(age)
    if valid:
        handlers.check_captcha(otp, captcha_id, answer)
    else:
        with pytest.raises(InvalidInput):
            handlers.check_captcha(otp, captcha_id, answer)


@pytest.mark.parametrize(
    "captcha_id, answer",
    [(None, "ACEFG"), ("short", "ACEFG"), ("captcha-99999999-xxxxxxxx", "ACEFG")],
)
def test_missing_or_unknown_captchas_are_invalid(otp, captcha_id, answer):
    with pytest.raises(InvalidInput) as error:
        handlers.check_captcha(otp, captcha_id, answer)
    assert error.value.error_code == "captcha_invalid"


@pytest.mark.parametrize("answer", [None, "", 12345, "X" * 17])
def test_unusable_answers_are_invalid_and_spend_the_captcha(otp, answer):
    captcha_id, right = new_captcha(otp)
    with pytest.raises(InvalidInput):
        handlers.check_captcha(otp, captcha_id, answer)
    with pytest.raises(InvalidInput):
        handlers.check_captcha(otp, captcha_id, right)


def test_a_redis_restart_kills_captchas_even_restored_from_a_snapshot(otp, store):
    captcha_id, answer = new_captcha(otp)
    store.restart(keep_data=True)
    with pytest.raises(InvalidInput):
        handlers.check_captcha(otp, captcha_id, answer)


def test_production_keeps_no_answer_and_refuses_to_tell_it(store, clock, rnd):
    otp = make_otp(store=store, clock=clock, random=rnd)
    otp.settings = otp.settings.replace(environment="production")
    captcha = handlers.create_captcha(otp)
    assert store.dev_answers == {}
    with pytest.raises(NotFound):
        handlers.get_captcha_answer(otp, captcha["captcha_id"])
    handlers.check_captcha(otp, captcha["captcha_id"], "ACEFG")

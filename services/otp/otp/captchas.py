"""Image captchas: the alphabet, the answer's normal form and the picture."""

from __future__ import annotations

import re

from captcha.image import ImageCaptcha

# Upper-case letters and digits with no look-alikes once distorted: none of
# 0/O/D, 1/I/L, 2/Z, 5/S, 8/B, U/V (23 characters: 23**5 = 6.4 million answers).
ALPHABET = "ACEFGHJKMNPQRTUWXY34679"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_ANSWER_LENGTH = 16
WIDTH, HEIGHT = 160, 60


def valid_id(captcha_id: object) -> bool:
    return isinstance(captcha_id, str) and bool(ID_PATTERN.match(captcha_id))


def normal_answer(answer: object) -> str | None:
    """Answers are case-insensitive and may carry stray spaces; None if unusable."""
    if not isinstance(answer, str):
        return None
    text = "".join(answer.split()).upper()
    if not text or len(text) > MAX_ANSWER_LENGTH:
        return None
    return text


def render_png(text: str) -> bytes:
    """A PNG of ``text``, distorted and noised by the ``captcha`` library.

    A fresh ImageCaptcha per call (about 9 ms) keeps this safe to run in OS
    threads: the font objects it caches are not shared between threads.
    """
    return (
        ImageCaptcha(width=WIDTH, height=HEIGHT).generate(text, format="png").getvalue()
    )

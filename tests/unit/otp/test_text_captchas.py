"""The text captcha's questions: numbers in Chinese and English words, and every
question a reader can answer gives the answer otp stores."""

from __future__ import annotations

import itertools

from otp import text_captchas

from tests.support.captchas import solve


def test_chinese_numbers_as_they_are_written():
    written = {n: text_captchas.zh_number(n) for n in (0, 7, 10, 12, 19, 20)}
    assert written == {0: "零", 7: "七", 10: "十", 12: "十二", 19: "十九", 20: "二十"}


def test_every_question_reads_as_its_answer_in_both_languages():
    numbers = range(1, text_captchas.LARGEST + 1)
    for first, second, add in itertools.product(numbers, numbers, (True, False)):
        zh, en, answer = text_captchas.question(first, second, add)
        assert solve(zh) == solve(en) == answer
        assert int(answer) >= 0


def test_a_subtraction_never_goes_below_zero():
    zh, en, answer = text_captchas.question(3, 9, add=False)
    assert (zh, en, answer) == (
        "九减三等于几？请用阿拉伯数字回答。",
        "What is nine minus three? Answer in digits.",
        "6",
    )

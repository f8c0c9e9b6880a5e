"""Text captchas, the non-visual alternative to the picture (issue 13): a short
sum in words that a screen reader reads aloud, in Chinese and in English,
answered in digits.

A program reads words more easily than a distorted picture, so the text form
keeps the abuse limits by a tighter quota of its own per client address
(``OTP_TEXT_CAPTCHAS_PER_HOUR``), on top of everything a captcha guards (the
gateway's captchas per address, the SMS and check quotas behind it). Once
created it is an ordinary captcha: the same store, the same single-use check.
"""

from __future__ import annotations

from contracts.errors import RateLimited

from otp import quotas

ZH_DIGITS = "零一二三四五六七八九"
EN_NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
LARGEST = 10  # each number of the sum is 1 to 10; the answer 0 to 20


def zh_number(n: int) -> str:
    """0 to 20 in Chinese numerals (十, 十二, 二十)."""
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (
        (ZH_DIGITS[tens] if tens > 1 else "") + "十" + (ZH_DIGITS[ones] if ones else "")
    )


def question(first: int, second: int, add: bool) -> tuple[str, str, str]:
    """``(Chinese question, English question, answer in digits)`` of
    ``first + second`` or, ``add`` false, ``first - second`` (larger first)."""
    if not add and second > first:
        first, second = second, first
    answer = first + second if add else first - second
    zh_op, en_op = ("加", "plus") if add else ("减", "minus")
    zh = f"{zh_number(first)}{zh_op}{zh_number(second)}等于几？请用阿拉伯数字回答。"
    en = f"What is {EN_NUMBERS[first]} {en_op} {EN_NUMBERS[second]}? Answer in digits."
    return zh, en, str(answer)


def random_question(number) -> tuple[str, str, str]:
    """A question from ``number(n)``, a CSPRNG's number below ``n``."""
    first = number(LARGEST) + 1
    second = number(LARGEST) + 1
    return question(first, second, add=number(2) == 0)


def admit(windows, client_ip: object, per_hour: int) -> None:
    """Count one text captcha for the client's address (IPv6 per /64); raise
    ``text_captcha_rate_limited`` beyond ``per_hour``."""
    wait = windows.hit("text_captcha", quotas.client_bucket(client_ip), per_hour, 3600)
    if wait:
        raise RateLimited(
            "text_captcha_rate_limited",
            "too many text captchas from this address; try again later",
            {"retry_after": wait},
        )

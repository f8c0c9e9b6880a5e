"""Answering a text captcha as a person would: reading its question (a sum in
words, Chinese or English), without the dev helper that tells the answer."""

from __future__ import annotations

import re

from otp.text_captchas import EN_NUMBERS, ZH_DIGITS

# the words for the numbers, as otp writes them (the grammar is read here)
ZH = {d: i for i, d in enumerate(ZH_DIGITS)}
EN = list(EN_NUMBERS)
ZH_SUM = re.compile(
    r"^([零一二三四五六七八九十]+)([加减])([零一二三四五六七八九十]+)等于几？"
)
EN_SUM = re.compile(r"^What is ([a-z]+) (plus|minus) ([a-z]+)\? Answer in digits\.$")


def zh_value(words: str) -> int:
    if "十" not in words:
        return ZH[words]
    tens, _, ones = words.partition("十")
    return (ZH[tens] if tens else 1) * 10 + (ZH[ones] if ones else 0)


def solve(question: str) -> str:
    """The answer, in digits, of a text captcha's question."""
    found = ZH_SUM.match(question)
    if found:
        first, op, second = zh_value(found[1]), found[2], zh_value(found[3])
        return str(first + second if op == "加" else first - second)
    found = EN_SUM.match(question)
    assert found, f"not a question of ours: {question!r}"
    first, second = EN.index(found[1]), EN.index(found[3])
    return str(first + second if found[2] == "plus" else first - second)

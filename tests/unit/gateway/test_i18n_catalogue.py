"""The one catalogue (pages and API problems): every message the gateway shows has
a zh_CN translation, none is fuzzy, and the placeholders agree."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from gateway import i18n

GATEWAY = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "NC_": ((1, "c"), 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def catalogue():
    with i18n.catalogue_path("zh_CN").open("rb") as po:
        return read_po(po, locale="zh_CN")


def extracted() -> set[tuple[str | None, str]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(GATEWAY), METHODS, keywords=KEYWORDS
    ):
        found.add((context, message))
    return found


def test_every_message_in_the_code_is_in_the_zh_cn_catalogue():
    known = {(m.context, m.id) for m in catalogue() if m.id}
    missing = sorted(extracted() - known, key=str)
    assert missing == [], "run pybabel extract/update (gateway/i18n.py): " + repr(
        missing
    )
    assert len(known) > 200


def test_no_message_is_defined_twice():
    """Babel keeps the last of two entries for one message silently, so a
    translation merged in from two branches would be lost without a word."""
    text = i18n.catalogue_path("zh_CN").read_text(encoding="utf-8")
    seen: dict[tuple[str | None, str], int] = {}
    for entry in re.split(r"\n\s*\n", text):
        context = re.search(r'^msgctxt "(.*)"$', entry, re.M)
        message = re.search(r"^msgid ((?:\".*\"\n?)+)", entry, re.M)
        if message:
            key = (context and context.group(1), message.group(1))
            seen[key] = seen.get(key, 0) + 1
    assert [key for key, count in seen.items() if count > 1] == []


def test_no_entry_is_untranslated_or_fuzzy():
    entries = [m for m in catalogue() if m.id]
    assert [m.id for m in entries if not m.string] == []
    assert [m.id for m in entries if m.fuzzy] == []
    assert not catalogue().fuzzy


def test_placeholders_agree():
    problems = [
        (message.id, [str(e) for e in errors])
        for message, errors in catalogue().check()
    ]
    assert problems == []
    for message in catalogue():
        if message.id and "%" in message.id:
            assert sorted(_placeholders(message.id)) == sorted(
                _placeholders(message.string)
            ), message.id


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)s|%s", text)


def test_an_error_code_is_translated_and_never_the_code_itself():
    assert (
        i18n.translate_error("zh_CN", "login_name_taken", "taken") == "该登录名已被注册"
    )
    assert i18n.translate_error("en", "login_name_taken", "taken") == "taken"
    assert i18n.translate_error("zh_CN", "no_such_code", "as is") == "as is"
    body = i18n.localize_problem(
        {
            "title": "Invalid input",
            "code": "validation_failed",
            "detail": "Some fields are not valid; see errors.",
            "errors": [{"field": "x", "code": "required", "message": "required"}],
        },
        "zh_CN",
    )
    assert body["title"] == "输入有误"
    assert body["code"] == "validation_failed"
    assert body["errors"][0] == {
        "field": "x",
        "code": "required",
        "message": "此项为必填项",
    }


def test_accept_language_picks_the_best_of_ours():
    pick = i18n.from_accept_language
    assert pick("zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert pick("en-US,en;q=0.9,zh-CN;q=0.5") == "en"
    assert pick("fr-FR, en;q=0.3") == "en"
    assert pick("fr-FR") is None
    assert pick("zh-TW") == "zh_CN"
    assert pick("en;q=0, zh") == "zh_CN"
    assert pick("") is None

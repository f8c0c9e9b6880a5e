"""One gettext catalogue (Babel) for the pages and the API's problem messages.

The catalogue is ``gateway/locale/<locale>/LC_MESSAGES/messages.po``; msgids are
English. It is compiled in memory when the gateway starts (no ``.mo`` is committed
or built: ``load_translations`` reads the ``.po`` with Babel and hands the
compiled bytes to :mod:`gettext`), so an edited ``.po`` needs only a restart.

Error messages are translated by their stable ``code`` (``pgettext("error",
code)``), not by their English text, which may carry values; a code without an
entry keeps the service's English message. ``code`` itself is never translated.

After adding a message, from ``services/gateway``::

    ../../.venv/bin/pybabel extract -F babel.cfg -k N_ -k NC_:1c,2 \
        --no-location --sort-output -o /tmp/messages.pot gateway
    ../../.venv/bin/pybabel update -i /tmp/messages.pot -d gateway/locale \
        -N -w 88 --ignore-obsolete

then write the new ``msgstr`` in ``gateway/locale/zh_CN/LC_MESSAGES/messages.po``.

``tests/unit/gateway/test_i18n_catalogue.py`` fails on an entry missing from zh_CN, an
untranslated or fuzzy one, or a message in the code that the catalogue lacks.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_PAGE_LOCALE = "zh_CN"
DEFAULT_API_LOCALE = "en"
LOCALES = ("zh_CN", "en")
# the language a page is in, as HTML's lang attribute says it
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
ERROR_CONTEXT = "error"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def NC_(context: str, code: str) -> str:
    """Marks an error ``code`` for extraction (context ``error``)."""
    return code


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def load_translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (English: the msgids themselves)."""
    path = catalogue_path(locale)
    if locale == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def parse_locale(tag: str | None) -> str | None:
    """``zh-CN`` / ``zh`` / ``en-US``... → one of :data:`LOCALES`, or None."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    if not tag or tag == "*":
        return None
    try:
        parsed = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        return "zh_CN"
    if parsed.language == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best of :data:`LOCALES` for an ``Accept-Language`` header, or None."""
    if not header:
        return None
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        locale = parse_locale(tag)
        if locale and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def translate_error(locale: str, code: str, english: str) -> str:
    """The message of error ``code`` in ``locale``; the English one when the
    catalogue has none."""
    if locale == "en":
        return english
    translated = load_translations(locale).pgettext(ERROR_CONTEXT, code)
    return english if translated == code else translated


def localize_problem(body: dict, locale: str) -> dict:
    """A problem+json body with ``title``, ``detail`` and ``errors[].message`` in
    ``locale``; every ``code`` is left as it is."""
    if locale == "en":
        return body
    translations = load_translations(locale)
    body = dict(body)
    title = body["title"]
    body["title"] = translations.gettext(title)
    if "detail" in body:
        body["detail"] = translate_error(locale, body["code"], body["detail"])
    if isinstance(body.get("errors"), list):
        body["errors"] = [
            {**e, "message": translate_error(locale, e["code"], e.get("message", ""))}
            if isinstance(e, dict) and "code" in e
            else e
            for e in body["errors"]
        ]
    return body

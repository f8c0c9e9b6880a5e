"""What every page shares: the frame template, language, the ageing-friendly mode,
the CSRF token, and post/redirect/get.

Language: ``?lang=zh-CN|en`` (remembered in the ``lang`` cookie), else the cookie,
else ``Accept-Language``, else zh-CN. Ageing-friendly mode (larger text, higher
contrast): ``?ageing=on|off``, remembered in the ``ageing`` cookie.

CSRF: a random token in the ``__Host-csrf`` cookie, repeated in a hidden field of
every form (double submit, compared in constant time). At a page login it is
replaced by the session's own CSRF token, so an authenticated form is checked by
accounts too (``resolve_session(csrf_token=...)``).

Post/redirect/get: a form that fails is answered ``303`` back to its page; the
entered values (never a password) and the errors wait in Redis for that one
``GET`` (``FormStore``, 10 minutes, key in the ``__Host-form`` cookie).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import falcon
import jinja2
import redis

from gateway.errors import Problem
from gateway.i18n import (
    DEFAULT_PAGE_LOCALE,
    HTML_LANG,
    from_accept_language,
    load_translations,
    parse_locale,
)
from gateway.web import labels

_log = logging.getLogger("gateway.web")

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "__Host-csrf"
CSRF_FIELD = "csrf_token"
FORM_COOKIE = "__Host-form"
LANG_COOKIE = "lang"
AGEING_COOKIE = "ageing"
YEAR = 365 * 24 * 3600
FORM_SECONDS = 600
# web.md: no inline script or style; images may be the captcha's data: URI.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
# Never kept for re-display after a failed post.
SECRET_FIELDS = frozenset(
    {
        "password",
        "password_confirmation",
        "current_password",
        "new_password",
        "new_password_confirmation",
        "captcha_answer",
        "sms_code",
        "ticket",
        CSRF_FIELD,
    }
)

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every user text escaped (names may hold <script>)
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# a phone number as a tel: link dials it: digits, + and - only
environment.filters["tel"] = lambda number: re.sub(r"[^0-9+-]", "", number or "")


def page_locale(req: falcon.Request) -> str:
    return (
        parse_locale(req.get_param("lang"))
        or parse_locale(_cookie(req, LANG_COOKIE))
        or from_accept_language(req.get_header("Accept-Language"))
        or DEFAULT_PAGE_LOCALE
    )


def _cookie(req: falcon.Request, name: str) -> str | None:
    values = req.get_cookie_values(name)
    return values[0] if values else None


def set_cookie(resp, name: str, value: str, max_age: int, http_only=True) -> None:
    """A cookie of the pages: ``Secure``, ``Path=/``, ``SameSite=Lax``."""
    resp.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=True,
        http_only=http_only,
        same_site="Lax",
    )


@dataclass
class FormState:
    """What a page shows again after a failed post (or a notice after a good one)."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)  # field -> message
    summary: list = field(default_factory=list)  # messages for the top
    notice: str = ""
    extra: dict = field(default_factory=dict)

    def dump(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


class FormStore:
    """Form states in Redis for one ``GET`` after the redirect."""

    def __init__(self, client, prefix: str):
        self.redis = client
        self.prefix = f"{prefix}gateway:form:"

    def put(self, state: FormState) -> str | None:
        key = secrets.token_urlsafe(24)
        try:
            self.redis.set(self.prefix + key, state.dump(), ex=FORM_SECONDS)
        except (redis.RedisError, AttributeError) as exc:
            _log.warning("form state not kept: %s", exc)
            return None
        return key

    def take(self, key: str | None) -> FormState:
        if not key:
            return FormState()
        try:
            raw = self.redis.getdel(self.prefix + key)
        except (redis.RedisError, AttributeError) as exc:
            _log.warning("form state not read: %s", exc)
            return FormState()
        if not raw:
            return FormState()
        return FormState(**json.loads(raw))


class PageRequest:
    """One page request's language, translations, mode and CSRF token."""

    def __init__(self, req: falcon.Request, resp: falcon.Response):
        self.req = req
        self.resp = resp
        self.locale = page_locale(req)
        self.translations = load_translations(self.locale)
        self.gettext = self.translations.gettext
        self.ageing = self._ageing()
        self.csrf_token = _cookie(req, CSRF_COOKIE) or ""
        if req.get_param("lang") is not None and parse_locale(req.get_param("lang")):
            set_cookie(resp, LANG_COOKIE, HTML_LANG[self.locale], YEAR, False)

    def _ageing(self) -> bool:
        asked = self.req.get_param("ageing")
        if asked in ("on", "off"):
            set_cookie(self.resp, AGEING_COOKIE, asked, YEAR, False)
            return asked == "on"
        return _cookie(self.req, AGEING_COOKIE) == "on"

    def ensure_csrf(self) -> str:
        """The CSRF token of this browser, made (and set) when it has none."""
        if not self.csrf_token:
            self.csrf_token = secrets.token_urlsafe(32)
            set_cookie(self.resp, CSRF_COOKIE, self.csrf_token, YEAR)
        return self.csrf_token


def set_csrf_cookie(resp: falcon.Response, token: str) -> None:
    set_cookie(resp, CSRF_COOKIE, token, YEAR)


def check_csrf(req: falcon.Request, form: dict) -> str:
    """The form's CSRF token when it equals the cookie's; else a 403 page."""
    cookie = _cookie(req, CSRF_COOKIE) or ""
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise Problem(
            403,
            "csrf_token_invalid",
            "The form expired or came from another site; open the page again.",
        )
    return sent


def read_form(req: falcon.Request, max_bytes: int) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (the last value of
    a repeated name wins)."""
    if req.content_length is not None and req.content_length > max_bytes:
        raise Problem(413, "body_too_large", "The form is too large.")
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Problem(413, "body_too_large", "The form is too large.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "body_invalid", "The form is not UTF-8.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def kept_values(form: dict[str, str]) -> dict[str, str]:
    """The entered values to show again: every field but the secret ones."""
    return {k: v for k, v in form.items() if k not in SECRET_FIELDS}


def redirect(resp: falcon.Response, location: str) -> None:
    """Post/redirect/get: 303 to ``location`` (a path of ours)."""
    if not location.startswith("/") or location.startswith("//"):
        location = "/"
    resp.status = falcon.HTTP_303
    resp.location = location
    resp.content_type = "text/plain; charset=utf-8"
    resp.text = ""


# a relative path of this site: "/" then no second "/" or "\\" (a browser reads
# "/\\evil" as "//evil"), and nothing a browser strips or folds (controls,
# spaces: "/\t/evil" is "//evil" to it), at most 2000 characters
SAFE_NEXT = re.compile(r"/(?![/\\])[^\\\x00-\x20\x7f]{0,1999}")


def safe_next(value: str | None, default: str = "/") -> str:
    """A path of this site to return to (never another origin: an open redirect
    would lend the portal's name to a phishing page)."""
    if value and SAFE_NEXT.fullmatch(value):
        return value
    return default


# where a form's answer may lead on to another origin (the provider's authorize
# step sends the code to a business system): the page's ``form-action 'self'``
# covers every redirect after a form is posted, so a browser stops that chain.
# It goes on from a page of ours instead (``/continue``), not a form's answer.
LEADS_AWAY = ("/oidc/", "/cas/")


def go_on(resp: falcon.Response, location: str) -> None:
    """Post/redirect/get to ``location`` (a path of ours), through ``/continue``
    when it may lead to another origin."""
    if location.startswith(LEADS_AWAY):
        location = with_query("/continue", next=location)
    redirect(resp, location)


def with_query(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


class Frame:
    """Renders templates in the frame, with what every page shows (header, footer
    with the support contact, language and mode toggles, the account)."""

    def __init__(self, ctx):
        self.settings = ctx.settings
        self.forms = FormStore(ctx.redis, ctx.settings.redis_key_prefix)
        self.contact = {
            "phone": ctx.settings.support_phone,
            "email": ctx.settings.support_email,
            "fax": ctx.settings.support_fax,
            "hours": ctx.settings.support_hours,
        }

    def begin(self, req, resp) -> PageRequest:
        return PageRequest(req, resp)

    def set_csrf(self, resp, token: str) -> None:
        set_csrf_cookie(resp, token)

    def take_form(self, req, resp) -> FormState:
        key = _cookie(req, FORM_COOKIE)
        if key:
            set_cookie(resp, FORM_COOKIE, "", 0)
        return self.forms.take(key)

    def keep_form(self, resp, state: FormState) -> None:
        key = self.forms.put(state)
        if key:
            set_cookie(resp, FORM_COOKIE, key, FORM_SECONDS)

    def render(
        self,
        page: PageRequest,
        template: str,
        status: str = falcon.HTTP_200,
        **values,
    ) -> None:
        resp = page.resp
        _ = page.gettext
        context = {
            "_": _,
            "gettext": _,
            "lang": HTML_LANG[page.locale],
            "locale": page.locale,
            "ageing": page.ageing,
            "csrf_token": page.ensure_csrf(),
            "csrf_field": CSRF_FIELD,
            "contact": self.contact,
            "path": page.req.path,
            "query": page.req.query_string,
            "labels": labels,
            "account": getattr(page.req.context, "page_account", None),
            "form": FormState(),
            **values,
        }
        resp.status = status
        resp.content_type = "text/html; charset=utf-8"
        resp.text = environment.get_template(template).render(context)
        resp.set_header("Content-Security-Policy", PAGE_CONTENT_SECURITY_POLICY)
        resp.set_header("Content-Language", HTML_LANG[page.locale])
        resp.vary = ("Accept-Language", "Cookie")

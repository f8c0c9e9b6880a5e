"""What the page handlers share: the services' clients, the caller's session,
reading a posted form, and turning a service's error into the form's errors."""

from __future__ import annotations

import falcon
from contracts import errors as ce
from contracts.accounts import AccountsClient
from contracts.otp import OtpClient

from gateway.client_address import client_address, trusted_networks
from gateway.errors import Problem, problem_from_service_error
from gateway.i18n import translate_error
from gateway.quotas import captcha_quota
from gateway.web.frame import (
    FormState,
    Frame,
    PageRequest,
    check_csrf,
    kept_values,
    read_form,
    redirect,
    with_query,
)


class PageResource:
    """A page (or a step of a flow) of the portal."""

    def __init__(self, ctx, frame: Frame):
        self.frame = frame
        self.auth = ctx.auth
        self.settings = ctx.settings
        self.accounts = ctx.client(AccountsClient)
        self.otp = ctx.client(OtpClient)
        self.max_body = ctx.settings.max_body_bytes
        self.networks = trusted_networks(ctx.settings.trusted_proxies)
        # a page's captcha counts in the same quota as POST /api/v1/captchas
        self.captcha_quota = captcha_quota(ctx)

    def client_ip(self, req: falcon.Request) -> str:
        return client_address(
            req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
        )

    def begin(self, req, resp) -> PageRequest:
        page = self.frame.begin(req, resp)
        req.context.page_account = self.session(req)
        return page

    def begin_logged_in(self, req, resp) -> tuple[PageRequest, dict | None]:
        """Begin a page only a logged-in account sees; without a session the
        answer is a redirect to log in, and the account is None."""
        page = self.begin(req, resp)
        account = req.context.page_account
        if account is None:
            redirect(resp, login_location(req))
        return page, account

    def session(self, req: falcon.Request) -> dict | None:
        """The logged-in account (from the session cookie), or None."""
        try:
            return self.auth.require_account(req, allow_temporary=True)
        except Problem:
            return None

    def posted(self, req: falcon.Request) -> dict[str, str]:
        """The form, its CSRF token checked."""
        form = read_form(req, self.max_body)
        check_csrf(req, form)
        return form

    def new_captcha(self, req: falcon.Request) -> dict:
        """``{captcha_id, image}`` for a form, counted like an API captcha."""
        self.captcha_quota.hit(self.client_ip(req))
        captcha = self.otp.create_captcha()
        return {
            "captcha_id": captcha.captcha_id,
            "image": "data:image/png;base64," + captcha.image_png_base64,
        }

    def send_sms(self, req, page, form, phone_field: str, purpose: str) -> FormState:
        """获取验证码: an SMS code for ``purpose`` to the form's ``phone_field``,
        behind the form's captcha; the form's state after it (a refusal beside
        the phone or the captcha)."""
        try:
            self.otp.send_sms_code(
                phone=form.get(phone_field, ""),
                purpose=purpose,
                captcha_id=form.get("captcha_id", ""),
                captcha_answer=form.get("captcha_answer", ""),
                client_ip=self.client_ip(req),
            )
        except ce.InvalidInput as exc:
            state = form_errors(page, exc, form)
            if not exc.details.get("errors"):
                field = (
                    phone_field
                    if exc.error_code.startswith("phone")
                    else "captcha_answer"
                )
                state.errors[field] = state.summary[0]["message"]
                state.summary[0]["field"] = field
            return state
        except ce.ServiceError as exc:
            state = FormState(values=kept_values(form))
            state.summary.append({"field": "", "message": error_message(page, exc)})
            return state
        return FormState(
            values=kept_values(form),
            notice=page.gettext("The SMS code was sent; it is valid for 5 minutes."),
            extra={"sms_sent": True},
        )

    def back_with(self, resp, location: str, state: FormState) -> None:
        self.frame.keep_form(resp, state)
        redirect(resp, location)


def login_location(req: falcon.Request) -> str:
    return with_query("/login", next=req.relative_uri)


def form_errors(
    page: PageRequest, error: ce.ServiceError, form: dict[str, str]
) -> FormState:
    """The form's state after ``error``: each field error beside its field (by
    the field's name; nested ones like ``main_agent.sms_code``), all of them in
    the summary, the entered values but the secret ones."""
    state = FormState(values=kept_values(form))
    details = error.details or {}
    for item in details.get("errors") or []:
        if not isinstance(item, dict):
            continue
        message = translate_error(page.locale, item["code"], item.get("message", ""))
        name = item.get("field") or ""
        if name and name not in state.errors:
            state.errors[name] = message
        state.summary.append({"field": name, "message": message})
    if not state.summary:
        message = error_message(page, error)
        name = field_for_code(error.error_code, form)
        if name:
            state.errors[name] = message
        state.summary.append({"field": name, "message": message})
    return state


# the field an error without field errors is about, by its code's beginning
CODE_FIELDS = (
    ("current_password_", "current_password"),
    ("captcha_", "captcha_answer"),
    ("sms_code_", "sms_code"),
    ("phone_", "phone"),
    ("login_name_", "login_name"),
    ("password_", "new_password"),
)


def field_for_code(code: str, form: dict[str, str]) -> str:
    for prefix, name in CODE_FIELDS:
        if code.startswith(prefix) and name in form:
            return name
    return ""


def error_message(page: PageRequest, error: ce.ServiceError) -> str:
    """A service error's message in the page's language (a wait in seconds
    added when the service gave one)."""
    problem = problem_from_service_error(error, 5)
    message = translate_error(page.locale, problem.code, problem.detail)
    wait = problem.headers.get("Retry-After")
    if wait and problem.status in (423, 429):
        message += " " + page.gettext("Try again in %(seconds)s seconds.") % {
            "seconds": wait
        }
    return message

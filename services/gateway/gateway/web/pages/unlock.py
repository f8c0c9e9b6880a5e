"""Unlocking a locked login name by SMS (账号被锁定？用短信解锁), as ``POST
/api/v1/login/unlock-codes`` and ``/login/unlock`` do: the login name, the
reserved phone in full and the image captcha ask for a code (the answer is the
same whether or not one was sent); the code unlocks the name for this browser's
address. Both steps count in the API's quota per client address
(``LOGIN_UNLOCKS_PER_HOUR``)."""

from __future__ import annotations

from contracts import errors as ce
from contracts.accounts import requests as contract
from contracts.models import parse

from gateway.quotas import login_unlock_quota
from gateway.web.frame import FormState, kept_values
from gateway.web.pages.base import PageResource, form_errors

START = "/login/unlock"
CODE = "/login/unlock/code"


class UnlockPage(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        # the same quota (name and limit) as the API's two unlock steps
        self.quota = login_unlock_quota(ctx)


class UnlockStart(UnlockPage):
    """Step 1: the login name, the reserved phone and the captcha."""

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.frame.render(
            page, "login_unlock.html", form=state, captcha=self.new_captcha(req)
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        if form.get("action") == "refresh_captcha":
            self.back_with(resp, START, FormState(values=kept_values(form)))
            return
        self.quota.hit(self.client_ip(req))
        try:
            request = parse(contract.UnlockCodeRequest, _fields(form, "captcha_id"))
            self.accounts.send_unlock_code(
                request=request, client_ip=self.client_ip(req)
            )
        except ce.ServiceError as exc:
            self.back_with(resp, START, form_errors(page, exc, form))
            return
        notice = page.gettext(
            "If the mobile number is the reserved one of this login name, an SMS "
            "code was sent to it; it is valid for 5 minutes."
        )
        values = {"login_name": request.login_name, "phone": form.get("phone", "")}
        self.back_with(resp, CODE, FormState(values=values, notice=notice))


class UnlockCode(UnlockPage):
    """Step 2: the SMS code unlocks the name; then the login page."""

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.frame.render(page, "login_unlock_code.html", form=state)

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        self.quota.hit(self.client_ip(req))
        try:
            request = parse(contract.LoginUnlock, _fields(form, "sms_code"))
            self.accounts.unlock_login(request=request, client_ip=self.client_ip(req))
        except ce.ServiceError as exc:
            self.back_with(resp, CODE, form_errors(page, exc, form))
            return
        notice = page.gettext("The login name is unlocked. You can log in now.")
        state = FormState(values={"login_name": request.login_name}, notice=notice)
        self.back_with(resp, "/login", state)


def _fields(form: dict[str, str], *extra: str) -> dict[str, str]:
    names = ("login_name", "phone", "captcha_answer", *extra)
    return {name: form[name] for name in names if form.get(name)}


def add_routes(app, ctx, frame) -> None:
    app.add_route(START, UnlockStart(ctx, frame))
    app.add_route(CODE, UnlockCode(ctx, frame))

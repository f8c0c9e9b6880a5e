"""Log in (用户登录) with the captcha when accounts requires it, and log out.

After 3 failures accounts asks for the image captcha (``captcha_required``): the
page then shows one, and keeps showing it until a login succeeds. A successful
login sets the session cookie and replaces the CSRF cookie with the session's
own token, then goes where the user was heading (a path of ours) or to 我的信息.
"""

from __future__ import annotations

from contracts import errors as ce

from gateway.auth import clear_session_cookie, set_session_cookie
from gateway.errors import Problem
from gateway.web.frame import FormState, go_on, kept_values, redirect, safe_next
from gateway.web.pages.base import PageResource, form_errors


class Login(PageResource):
    location = "/login"

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        needs_captcha = bool(state.extra.get("captcha"))
        self.frame.render(
            page,
            "login.html",
            form=state,
            next=safe_next(state.values.get("next") or req.get_param("next"), ""),
            captcha=self.new_captcha(req) if needs_captcha else None,
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        values = kept_values(form)
        if form.get("action") == "refresh_captcha":
            state = FormState(values=values, extra={"captcha": True})
            self.back_with(resp, self.location, state)
            return
        try:
            answer = self.accounts.log_in(
                login_name=form.get("login_name", ""),
                password=form.get("password", ""),
                client_ip=self.client_ip(req),
                captcha_id=form.get("captcha_id") or None,
                captcha_answer=form.get("captcha_answer") or None,
            )
        except ce.ServiceError as exc:
            state = form_errors(page, exc, form)
            captcha = (
                isinstance(exc, ce.CaptchaRequired)
                or bool(exc.details.get("captcha_required"))
                or exc.error_code == "captcha_invalid"
                or bool(form.get("captcha_id"))
            )
            state.extra["captcha"] = captcha
            self.back_with(resp, self.location, state)
            return
        set_session_cookie(resp, answer.token, answer.max_age)
        self.frame.set_csrf(resp, answer.csrf_token)
        if answer.must_change_password:  # a temporary password: change it first
            redirect(resp, "/me/password")
            return
        go_on(resp, safe_next(form.get("next"), "/me"))


class Logout(PageResource):
    def on_post(self, req, resp):
        form = self.posted(req)
        try:
            self.auth.require_account(
                req, allow_temporary=True, csrf_token=form.get("csrf_token")
            )
        except Problem:  # already ended: nothing to end
            pass
        else:
            self.accounts.log_out(token=req.context.session_token)
        clear_session_cookie(resp)
        redirect(resp, "/")


def add_routes(app, ctx, frame) -> None:
    app.add_route("/login", Login(ctx, frame))
    app.add_route("/logout", Logout(ctx, frame))

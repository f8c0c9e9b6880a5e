"""Choosing the captcha's form: the picture, or a question in words read by a
screen reader (the non-visual alternative, issue 13).

Every form with a captcha has a button that posts the whole form here (its
``formaction``): the choice is remembered in a cookie, the entered values are
kept (never a password or a code), and the browser goes back to the form, which
then shows the other form of captcha. Works with JavaScript off.
"""

from __future__ import annotations

from gateway.web.frame import YEAR, FormState, kept_values, safe_next, set_cookie
from gateway.web.pages.base import CAPTCHA_FORM_COOKIE, PageResource

# not kept: the old captcha and the button's own value
DROPPED = ("captcha_id", "captcha_form", "action")


class CaptchaForm(PageResource):
    def on_post(self, req, resp):
        self.begin(req, resp)
        form = self.posted(req)
        choice = "text" if form.get("captcha_form") == "text" else "image"
        set_cookie(resp, CAPTCHA_FORM_COOKIE, choice, YEAR)
        values = {k: v for k, v in kept_values(form).items() if k not in DROPPED}
        # the log-in form shows its captcha only when asked (extra "captcha")
        state = FormState(values=values, extra={"captcha": True})
        self.back_with(resp, safe_next(req.get_param("next"), "/"), state)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/captcha-form", CaptchaForm(ctx, frame))

"""Password recovery (找回密码): the chooser of the three ways, the reset by
login name and reserved phone with its step indicator (检索用户 → 重置密码 →
完成), and an appeal's status. Every rule is recovery's (``RecoveryClient``);
the flow's id is in the address of its pages, as in the API's
``/recovery/password-resets/{reset_id}``.
"""

from __future__ import annotations

from contracts import errors as ce
from contracts.recovery import RecoveryClient

from gateway.i18n import N_
from gateway.web.frame import FormState, kept_values, redirect
from gateway.web.pages.base import PageResource, error_message, form_errors

RESET_STEPS = (N_("Find the account"), N_("Reset the password"), N_("Done"))


class RecoveryPage(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.recovery = ctx.client(RecoveryClient)

    def render_step(self, page, template: str, step: int, **values) -> None:
        """A page of the reset flow, with its step indicator at ``step``."""
        self.frame.render(page, template, steps=RESET_STEPS, step=step, **values)


class Ways(RecoveryPage):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(page, "recover.html")


class ResetStart(RecoveryPage):
    """Step 1 (检索用户): the login name behind a captcha."""

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.render_step(
            page,
            "recover_reset_start.html",
            0,
            form=state,
            captcha=self.new_captcha(req),
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        if form.get("action") == "refresh_captcha":
            self.back_with(resp, "/recover/reset", FormState(values=kept_values(form)))
            return
        try:
            started = self.recovery.start_password_reset(
                login_name=form.get("login_name", ""),
                captcha_id=form.get("captcha_id") or None,
                captcha_answer=form.get("captcha_answer") or None,
                client_ip=self.client_ip(req),
            )
        except ce.ServiceError as exc:
            self.back_with(resp, "/recover/reset", form_errors(page, exc, form))
            return
        state = FormState(values={"masked_phone": started.masked_phone})
        self.back_with(resp, f"/recover/reset/{started.reset_id}", state)


class ResetFinish(RecoveryPage):
    """Step 2 (重置密码): the reserved phone in full gets a code; the code and a
    new password set it."""

    def on_get(self, req, resp, reset_id):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.render_step(
            page, "recover_reset_finish.html", 1, form=state, reset_id=reset_id
        )

    def on_post(self, req, resp, reset_id):
        page = self.begin(req, resp)
        form = self.posted(req)
        location = f"/recover/reset/{reset_id}"
        if form.get("action") == "send_sms":
            state = self._send(req, page, form, reset_id)
        else:
            state = self._complete(req, page, form, reset_id)
            if state is None:
                redirect(resp, "/recover/reset/done")
                return
        self.back_with(resp, location, state)

    def _send(self, req, page, form, reset_id) -> FormState:
        try:
            self.recovery.send_reset_code(
                reset_id=reset_id,
                phone=form.get("phone") or None,
                client_ip=self.client_ip(req),
            )
        except ce.ServiceError as exc:
            return form_errors(page, exc, form)
        return FormState(
            values=kept_values(form),
            notice=page.gettext("The SMS code was sent; it is valid for 5 minutes."),
            extra={"sms_sent": True},
        )

    def _complete(self, req, page, form, reset_id) -> FormState | None:
        if form.get("new_password") != form.get("new_password_confirmation"):
            state = FormState(values=kept_values(form))
            message = page.gettext("The passwords do not match.")
            state.errors["new_password_confirmation"] = message
            state.summary.append(
                {"field": "new_password_confirmation", "message": message}
            )
            return state
        try:
            self.recovery.complete_password_reset(
                reset_id=reset_id,
                sms_code=form.get("sms_code") or None,
                new_password=form.get("new_password") or None,
                client_ip=self.client_ip(req),
            )
        except ce.InvalidInput as exc:
            return form_errors(page, exc, form)
        except ce.ServiceError as exc:
            state = FormState(values=kept_values(form))
            state.summary.append({"field": "", "message": error_message(page, exc)})
            return state
        return None


class ResetDone(RecoveryPage):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.render_step(page, "recover_reset_done.html", 2)


APPEAL_STATUS = {
    "submitted": N_("Submitted, waiting for a review"),
    "approved": N_("Approved: the temporary password was sent by SMS"),
    "rejected": N_("Rejected"),
}


class AppealStatus(RecoveryPage):
    """Appeal status (申诉进度): the appeal's number and its ticket, as the
    submission (or the rejection SMS) gave them."""

    location = "/recover/appeal-status"

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        state = self.frame.take_form(req, resp)
        self.frame.render(
            page, "recover_appeal_status.html", form=state, statuses=APPEAL_STATUS
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        values = kept_values(form)
        try:
            status = self.recovery.get_appeal_status(
                appeal_id=form.get("appeal_id", "").strip(),
                ticket=form.get("ticket", "").strip() or None,
            )
        except (ce.NotFound, ce.InvalidInput) as exc:
            state = form_errors(page, exc, form)
            state.errors.setdefault("appeal_id", state.summary[0]["message"])
            state.summary[0]["field"] = "appeal_id"
            self.back_with(resp, self.location, state)
            return
        state = FormState(values=values, extra={"appeal": status.dump()})
        self.back_with(resp, self.location, state)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/recover", Ways(ctx, frame))
    app.add_route("/recover/reset", ResetStart(ctx, frame))
    app.add_route("/recover/appeal-status", AppealStatus(ctx, frame))
    app.add_route("/recover/reset/done", ResetDone(ctx, frame))
    app.add_route("/recover/reset/{reset_id}", ResetFinish(ctx, frame))

"""My information (在线办事-我的信息): the masked view and the real-name status,
and changing the password (required first after a temporary password)."""

from __future__ import annotations

from contracts import errors as ce
from contracts.accounts import requests as contract
from contracts.models import parse
from contracts.verification import VerificationClient

from gateway.web.frame import FormState, redirect
from gateway.web.pages.base import PageResource, form_errors


class Me(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.verification = ctx.client(VerificationClient)

    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        state = self.frame.take_form(req, resp)
        me = self.accounts.get_me(account_id=account["account_id"])
        # a reviewer's rejection says why (verification keeps the reason)
        rejection = None
        if me.real_name_status == "rejected":
            rejection = self.verification.get_verification(
                account_id=account["account_id"]
            ).reason
        self.frame.render(page, "me.html", me=me, form=state, rejection=rejection)


class MyPassword(PageResource):
    location = "/me/password"

    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        state = self.frame.take_form(req, resp)
        self.frame.render(page, "me_password.html", form=state)

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        account = self.auth.require_account(
            req, allow_temporary=True, csrf_token=form.get("csrf_token")
        )
        try:
            self.accounts.change_password(
                account_id=account["account_id"],
                session_id=account["session_id"],
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
                new_password_confirmation=form.get("new_password_confirmation", ""),
                client_ip=self.client_ip(req),
            )
        except ce.InvalidInput as exc:
            self.back_with(resp, self.location, form_errors(page, exc, form))
            return
        notice = page.gettext("Your password is changed; your other sessions ended.")
        self.back_with(resp, "/me", FormState(notice=notice))


# a person's own details (ProfileChanges); after a failed real-name check the
# identity may be corrected too, with registration's checks
PERSON_FIELDS = ("name", "title", "email", "telephone")
IDENTITY_FIELDS = ("identity_region", "doc_type", "doc_number")
CORRECTABLE = ("failed", "rejected")


class MyDetails(PageResource):
    """Edit my information (a person's): name, title, e-mail, telephone, and
    the identity after a failed check. The rules are accounts'
    (``update_profile``): its refusals show beside their fields."""

    location = "/me/edit"

    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        me = self.accounts.get_me(account_id=account["account_id"])
        if me.kind != "person":
            redirect(resp, "/me")
            return
        state = self.frame.take_form(req, resp)
        if not state.values:
            profile = me.profile.model_dump()
            state.values = {k: profile.get(k) or "" for k in PERSON_FIELDS}
        self.frame.render(
            page,
            "me_edit.html",
            form=state,
            correcting=me.real_name_status in CORRECTABLE,
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        account = self.auth.require_account(req, csrf_token=form.get("csrf_token"))
        me = self.accounts.get_me(account_id=account["account_id"])
        names = PERSON_FIELDS
        if me.real_name_status in CORRECTABLE and form.get("doc_number"):
            names += IDENTITY_FIELDS
        try:
            changes = parse(
                contract.ProfileChanges, {k: form.get(k, "").strip() for k in names}
            )
            self.accounts.update_profile(
                account_id=account["account_id"], changes=changes
            )
        except ce.ServiceError as exc:
            self.back_with(resp, self.location, form_errors(page, exc, form))
            return
        notice = page.gettext("Your information is saved.")
        self.back_with(resp, "/me", FormState(notice=notice))


def add_routes(app, ctx, frame) -> None:
    app.add_route("/me", Me(ctx, frame))
    app.add_route("/me/edit", MyDetails(ctx, frame))
    app.add_route("/me/password", MyPassword(ctx, frame))

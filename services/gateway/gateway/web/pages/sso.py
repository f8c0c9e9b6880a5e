"""Entering a business system (single sign-on, sso.md): the page the provider
sends an agent to before it gives a code (``OIDC_CHOICE_URL``, ``/sso/acting-for``).

An agent answers as whom they enter: as themselves, or for one of the
organisations that designated them (accounts' list, as ``GET
/api/v1/me/organizations``). The answer is kept by sso for this session, as
``POST /api/v1/sso/acting-choices`` keeps it, and the browser goes back to the
authorize request (``next``, a path of ours) with ``acting_choice``.
"""

from __future__ import annotations

from contracts import errors as ce
from contracts.sso import SsoClient

from gateway.web.frame import go_on, safe_next, with_query
from gateway.web.pages.base import PageResource, form_errors

LOCATION = "/sso/acting-for"
MYSELF = "myself"


class ActingFor(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.sso = ctx.client(SsoClient)

    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        state = self.frame.take_form(req, resp)
        organizations = self.accounts.list_represented_organizations(
            account_id=account["account_id"]
        ).items
        self.frame.render(
            page,
            "sso_acting_for.html",
            form=state,
            next=safe_next(state.values.get("next") or req.get_param("next")),
            organizations=organizations,
            myself=MYSELF,
        )

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        account = self.auth.require_account(req, csrf_token=form.get("csrf_token"))
        back = safe_next(form.get("next"))
        chosen = form.get("acting_for", "")
        try:
            if not chosen:
                raise ce.invalid_fields(
                    [ce.field_error("acting_for", "required", "Choose one")]
                )
            choice = self.sso.choose_acting_for(
                session_id=account["session_id"],
                account_id=account["account_id"],
                organization_id=None if chosen == MYSELF else chosen,
            )
        except (ce.InvalidInput, ce.Forbidden) as exc:
            state = form_errors(page, exc, form)
            state.errors.setdefault("acting_for", state.summary[0]["message"])
            state.summary[0]["field"] = "acting_for"
            self.back_with(resp, with_query(LOCATION, next=back), state)
            return
        separator = "&" if "?" in back else "?"
        go_on(resp, f"{back}{separator}acting_choice={choice.choice_id}")


class Continue(PageResource):
    """``/continue?next=``: a page of ours that goes on to ``next`` (meta
    refresh, no script; a link too), so a redirect to a business system is not
    the answer to a form (see ``frame.go_on``)."""

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(page, "continue.html", next=safe_next(req.get_param("next")))


def add_routes(app, ctx, frame) -> None:
    app.add_route(LOCATION, ActingFor(ctx, frame))
    app.add_route("/continue", Continue(ctx, frame))

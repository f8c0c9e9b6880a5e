"""Agents (代办, flow 7): an organisation sees its agents, designates a natural
person by login name and revokes one; a person sees whom it acts for. Who may
designate (a verified organisation) is accounts' rule; its refusals show as the
form's errors."""

from __future__ import annotations

from contracts import errors as ce

from gateway.web.frame import FormState
from gateway.web.pages.base import PageResource, form_errors

LOCATION = "/me/agents"


class Agents(PageResource):
    def on_get(self, req, resp):
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return
        state = self.frame.take_form(req, resp)
        values = {"form": state, "kind": account["kind"]}
        if account["kind"] == "organization":
            values["agents"] = self.accounts.list_agents(
                account_id=account["account_id"]
            ).items
        else:
            values["organizations"] = self.accounts.list_represented_organizations(
                account_id=account["account_id"]
            ).items
        self.frame.render(page, "agents.html", **values)

    def on_post(self, req, resp):
        page = self.begin(req, resp)
        form = self.posted(req)
        account = self.auth.require_account(req, csrf_token=form.get("csrf_token"))
        try:
            if form.get("action") == "revoke":
                self.accounts.revoke_agent(
                    account_id=account["account_id"],
                    person_id=form.get("person_id", ""),
                )
                notice = page.gettext("The agent is revoked.")
            else:
                self.accounts.designate_agent(
                    account_id=account["account_id"],
                    login_name=form.get("login_name", ""),
                )
                notice = page.gettext("The agent is designated.")
        except ce.InvalidInput as exc:
            self.back_with(resp, LOCATION, form_errors(page, exc, form))
            return
        except (ce.Forbidden, ce.NotFound, ce.Conflict) as exc:
            state = form_errors(page, exc, form)
            state.errors.setdefault("login_name", state.summary[0]["message"])
            state.summary[0]["field"] = "login_name"
            self.back_with(resp, LOCATION, state)
            return
        self.back_with(resp, LOCATION, FormState(values={}, notice=notice))


def add_routes(app, ctx, frame) -> None:
    app.add_route(LOCATION, Agents(ctx, frame))

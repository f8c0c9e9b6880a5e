"""The portal home (首页) with the 服务事项 catalogue: sso's list of business
systems for the caller (what ``GET /api/v1/services`` returns), each with its
enter link or why the caller may not enter it."""

from __future__ import annotations

from contracts.sso import SsoClient

from gateway.i18n import N_
from gateway.rpc import ServiceUnavailable
from gateway.web.pages.base import PageResource

# sso's refusals (contracts.sso.REFUSALS), in the page's language
REASONS = {
    "account_selection_required": N_(
        "Choose whether you enter as yourself or for an organisation."
    ),
    "not_an_agent": N_("You are not an agent of that organisation."),
    "login_required": N_("Log in to enter it."),
    "account_kind_not_admitted": N_("It does not admit this kind of account."),
    "real_name_required": N_("It asks for a passed real-name check first."),
    "client_disabled": N_("It is out of service."),
}


class Home(PageResource):
    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.sso = ctx.client(SsoClient)

    def on_get(self, req, resp):
        page = self.begin(req, resp)
        account = req.context.page_account
        try:
            catalogue = self.sso.list_services(
                account_id=account["account_id"] if account else None
            ).items
        except ServiceUnavailable:  # the rest of the home page still serves
            catalogue = None
        self.frame.render(page, "home.html", catalogue=catalogue, reasons=REASONS)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/", Home(ctx, frame))

"""My information (在线办事-我的信息): the masked view and the real-name status."""

from __future__ import annotations

from gateway.web.frame import redirect
from gateway.web.pages.base import PageResource, login_location


class Me(PageResource):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        account = req.context.page_account
        if account is None:
            redirect(resp, login_location(req))
            return
        me = self.accounts.get_me(account_id=account["account_id"])
        self.frame.render(page, "me.html", me=me)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/me", Me(ctx, frame))

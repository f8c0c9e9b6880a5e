"""Help and contact (问询联系方式): the support line, e-mail and fax from the
gateway's settings (the same ones as ``GET /api/v1/help/contact``)."""

from __future__ import annotations

from gateway.web.pages.base import PageResource


class Help(PageResource):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(page, "help.html")


def add_routes(app, ctx, frame) -> None:
    app.add_route("/help", Help(ctx, frame))

"""The portal home (首页) with the 服务事项 catalogue, and help (问询联系方式)."""

from __future__ import annotations

from gateway.i18n import N_
from gateway.web.pages.base import PageResource

# Static until single sign-on lands (sso.md): what each business system offers.
CATALOGUE = (
    {
        "name": N_("Torch programme statistics"),
        "summary": N_(
            "Annual statistics of high-tech zones and enterprises, filled in online."
        ),
        "who": N_("Organisations and their agents"),
    },
    {
        "name": N_("Human genetic resources administrative approval"),
        "summary": N_("Applications for collecting, keeping and using them."),
        "who": N_("Organisations"),
    },
    {
        "name": N_("High-tech enterprise recognition"),
        "summary": N_("Applying for and renewing the recognition."),
        "who": N_("Organisations"),
    },
    {
        "name": N_("National science and technology programmes"),
        "summary": N_("Project applications to the national programmes."),
        "who": N_("Natural persons and organisations"),
    },
)


class Home(PageResource):
    def on_get(self, req, resp):
        page = self.begin(req, resp)
        self.frame.render(page, "home.html", catalogue=CATALOGUE)


def add_routes(app, ctx, frame) -> None:
    app.add_route("/", Home(ctx, frame))

"""The portal's pages (issue 13, web.md), served by the gateway beside the API.

- :mod:`.frame`: what every page shares (templates, language, ageing-friendly mode,
  CSRF, post/redirect/get with the entered values and errors kept);
- :mod:`.labels`: the words shown for the published names (regions, types...);
- :mod:`.pages`: one module per flow; each calls the services through their
  contracts (``ctx.client``), never the gateway's own HTTP API;
- :mod:`.routes`: every page route, added in one place (``add_routes``), and the
  HTML error pages (``error_page``).
"""

"""GET /metrics: the gateway's Prometheus metrics (outside /api/v1: not for clients).

Expose it to the metrics scraper only: route only /api/ from the public load
balancer or ingress to the gateway.
"""

from __future__ import annotations

from gateway.metrics import exposition


class Metrics:
    def on_get(self, req, resp):
        resp.data, resp.content_type = exposition(req.get_header("Accept"))


def add_routes(app, ctx) -> None:
    app.add_route("/metrics", Metrics())

"""Prometheus metrics of the gateway, served at ``GET /metrics`` on a port of their own.

The public port answers the API only (``/metrics`` there is 404): the metrics are
served by gunicorn's master process on ``METRICS_HOST:METRICS_PORT`` (started in
``gunicorn.conf.py``'s ``when_ready``, :func:`serve`), which only the scraper
reaches. gunicorn runs several worker processes, so the workers keep their samples
in files under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode)
and every scrape adds up all workers' files. ``gunicorn.conf.py`` prepares that
directory (a fresh one under the temp dir when the variable is unset; emptied when
gunicorn starts) and marks dead workers. Without the variable (unit tests, one
process) the process's own registry is served.

- ``gateway_http_requests_total{method, route, status}``: requests answered; the
  route is the *template* (``/api/v1/dev/pipeline-canaries/{canary_id}``) or
  ``unmatched``, so a scan of random URLs cannot blow up the label set;
- ``gateway_http_request_duration_seconds{method, route}``;
- ``gateway_rpc_calls_total{service, method, outcome}`` (``ok``; ``rejected``: the
  service answered with a contract error; ``unavailable``: no answer in time, or
  the broker is down; ``error``: anything else) and
  ``gateway_rpc_duration_seconds{service, method}``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    start_http_server,
)
from prometheus_client.exposition import choose_encoder

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "gateway_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "gateway_http_request_duration_seconds",
    "Time from the request's arrival to its response, by route template.",
    ["method", "route"],
    buckets=BUCKETS,
)
RPC_CALLS = Counter(
    "gateway_rpc_calls",
    "RPCs to the services, by outcome (ok, rejected, unavailable, error).",
    ["service", "method", "outcome"],
)
RPC_DURATION = Histogram(
    "gateway_rpc_duration_seconds",
    "Time an RPC took, from publishing the request to reading the reply.",
    ["service", "method"],
    buckets=BUCKETS,
)


def observe_rpc(service: str, method: str, outcome: str, seconds: float) -> None:
    RPC_CALLS.labels(service, method, outcome).inc()
    RPC_DURATION.labels(service, method).observe(seconds)


class MetricsMiddleware:
    def process_request(self, req, resp):
        req.context.metrics_started = time.perf_counter()

    def process_response(self, req, resp, resource, req_succeeded):
        started = getattr(req.context, "metrics_started", None)
        if started is None:
            return
        method = req.method if req.method in METHODS else "OTHER"
        route = getattr(req, "uri_template", None) or "unmatched"
        HTTP_REQUESTS.labels(method, route, str(resp.status_code)).inc()
        HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


def registry() -> CollectorRegistry:
    """Every worker of this gunicorn (or this process alone)."""
    if os.environ.get(MULTIPROC_VARIABLE):
        from prometheus_client import multiprocess

        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The metrics in the format ``accept`` asks for (text, or OpenMetrics)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry()), content_type


def serve(host: str, port: int):
    """Serve the metrics on ``host:port`` from a daemon thread of this process
    (gunicorn's master: it outlives every worker and answers no API request)."""
    server, _thread = start_http_server(port, addr=host, registry=registry())
    return server


def prepare_multiprocess_dir(path: str) -> None:
    """Create the directory and remove a previous run's files (gunicorn start)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (gunicorn's child_exit hook)."""
    if os.environ.get(MULTIPROC_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)

"""gunicorn settings for the gateway; every value can come from the environment."""

import os
import shutil
import tempfile

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8080")
# gthread, answering gunicorn's own refusals (414, 431, 400) as problem+json
worker_class = "gateway.worker.ProblemThreadWorker"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = int(os.environ.get("GATEWAY_WORKER_TIMEOUT", "30"))
graceful_timeout = 10
accesslog = None  # the app logs one JSON line per request itself
wsgi_app = "gateway.app:get_app()"


# Prometheus multiprocess mode (gateway/metrics.py): every worker writes its samples
# under this directory and /metrics adds them up. Set before any worker imports
# prometheus_client; a fresh directory per gunicorn when the variable is unset.
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
made_metrics_dir = not metrics_dir
if made_metrics_dir:
    metrics_dir = tempfile.mkdtemp(prefix="gateway-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


# GET /metrics on a port of its own, never the public one: empty or 0 serves none.
metrics_host = os.environ.get("METRICS_HOST", "127.0.0.1")
metrics_port = int(os.environ.get("METRICS_PORT", "9500") or 0)
metrics_server = None  # set in the master by when_ready


def on_starting(server):
    from gateway.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir(metrics_dir)


def when_ready(server):
    global metrics_server
    if not metrics_port:
        return
    from gateway.metrics import serve

    try:
        metrics_server = serve(metrics_host, metrics_port)
    except OSError as exc:
        # fail open: the API matters more than its metrics (a port taken, e.g. by
        # the old master during a USR2 re-exec)
        server.log.error(
            "metrics not served on %s:%s: %s", metrics_host, metrics_port, exc
        )
        return
    server.log.info(
        "metrics served on http://%s:%s/metrics", metrics_host, metrics_port
    )


def post_fork(server, worker):
    # the worker answers the API only: close its copy of the metrics socket
    if metrics_server is not None:
        metrics_server.socket.close()


def child_exit(server, worker):
    from gateway.metrics import worker_exited

    worker_exited(worker.pid)


def worker_exit(server, worker):
    from gateway import tracing

    tracing.shutdown()  # export the last spans, waiting 2 s at most


def on_exit(server):
    if made_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)

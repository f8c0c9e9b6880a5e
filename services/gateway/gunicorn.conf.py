"""gunicorn settings for the gateway; every value can come from the environment."""

import os

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8080")
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = int(os.environ.get("GATEWAY_WORKER_TIMEOUT", "30"))
graceful_timeout = 10
accesslog = None  # the app logs one JSON line per request itself
wsgi_app = "gateway.app:get_app()"

"""What a worker knows about the call it serves, as dependencies.

``correlation_id = CorrelationId()`` gives the request's correlation id (set by
the gateway, carried in the nameko context); ``call_id = CallId()`` the worker's
own call id, stored with the work it enqueues so a trace can name its parent.
"""

from __future__ import annotations

from nameko.contextdata import ContextDataProvider
from nameko.extensions import DependencyProvider


class CorrelationId(ContextDataProvider):
    context_key = "correlation_id"


class CallId(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.call_id

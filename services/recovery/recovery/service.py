"""The recovery Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401 - configures psycopg for eventlet before anything else

from nameko.rpc import rpc
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.tracing import Tracing

from recovery.models import outbox


class RecoveryService:
    name = "recovery"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    db = Database(outbox=outbox)
    redis = Redis()

    @rpc
    def ping(self):
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

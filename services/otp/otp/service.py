"""The otp Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401 - shared process setup (warnings, psycopg)

from nameko.rpc import rpc
from servicekit.health import ping_result
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.tracing import Tracing


class OtpService:
    name = "otp"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    redis = Redis()

    @rpc
    def ping(self):
        return ping_result(self.name, redis=self.redis.ping())

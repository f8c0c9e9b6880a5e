"""The verification Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401 - configures psycopg for eventlet before anything else

from datetime import UTC, datetime

from nameko.rpc import rpc
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.idempotency import consume, first_delivery
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.tracing import Tracing

from verification import handlers
from verification.models import outbox, processed_events


class VerificationService:
    name = "verification"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    db = Database(outbox=outbox)
    redis = Redis()

    @rpc
    def ping(self):
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc
    def get_pipeline_canary(self, canary_id):
        with self.db.session.begin():
            return handlers.get_pipeline_canary(self.db.session, canary_id)

    @consume("accounts", "pipeline_canary_sent")
    def on_accounts_pipeline_canary_sent(self, envelope):
        session = self.db.session
        with session.begin():
            if first_delivery(
                session, processed_events, envelope["event_id"], "pipeline_canary_sent"
            ):
                handlers.record_pipeline_canary(
                    session,
                    envelope["data"]["canary_id"],
                    envelope["correlation_id"],
                    datetime.now(UTC),
                )

"""The recovery Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else

import time

from contracts.errors import ServiceError
from nameko.rpc import RpcProxy, rpc
from servicekit.crypto import PersonalData
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.tracing import Tracing

from recovery import resets
from recovery.dependencies import Remote, Settings
from recovery.models import outbox
from recovery.store import Quotas, ResetStore

EXPECTED = (ServiceError,)


class RecoveryService:
    name = "recovery"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    db = Database(outbox=outbox)
    redis = Redis()
    crypto = PersonalData()
    settings = Settings()
    accounts_rpc = RpcProxy("accounts")
    otp_rpc = RpcProxy("otp")

    def _publish(self, event_type, data):
        with self.db.session.begin():
            self.db.emit(event_type, data)

    def _reset_deps(self) -> resets.ResetDeps:
        timeout = self.settings["rpc_timeout"]
        return resets.ResetDeps(
            store=ResetStore(self.redis),
            quotas=Quotas(self.redis),
            accounts=Remote(self.accounts_rpc, "accounts", timeout),
            otp=Remote(self.otp_rpc, "otp", timeout),
            cipher=self.crypto,
            publish=self._publish,
            settings=self.settings["reset"],
            clock=time.time,
        )

    @rpc
    def ping(self):
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("captcha_answer",))
    def start_password_reset(self, login_name, captcha_id, captcha_answer, client_ip):
        return resets.start_password_reset(
            self._reset_deps(), login_name, captcha_id, captcha_answer, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("phone",))
    def send_reset_code(self, reset_id, phone, client_ip):
        return resets.send_reset_code(self._reset_deps(), reset_id, phone, client_ip)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("sms_code", "new_password"))
    def complete_password_reset(self, reset_id, sms_code, new_password, client_ip):
        return resets.complete_password_reset(
            self._reset_deps(), reset_id, sms_code, new_password, client_ip
        )

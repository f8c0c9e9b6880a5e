"""The gateway's RPC pool after the broker closed its connections (a RabbitMQ
restart): the call is a 503 (ServiceUnavailable), never a 500, and the broken
client is dropped so the next call connects afresh."""

from __future__ import annotations

import pytest
from amqp.exceptions import RecoverableConnectionError
from gateway.rpc import RpcPool, ServiceUnavailable
from kombu.exceptions import OperationalError


class BrokenClient:
    closed = False

    def __init__(self, error):
        self.error = error

    def call(self, *args):
        raise self.error

    def close(self):
        self.closed = True


@pytest.mark.parametrize(
    "error",
    [
        RecoverableConnectionError("basic_publish: connection closed"),
        OperationalError("[Errno 111] ECONNREFUSED"),
    ],
)
def test_a_closed_broker_connection_is_unavailable_and_the_client_dropped(error):
    pool = RpcPool("amqp://nowhere", timeout=1)
    broken = BrokenClient(error)
    pool._idle.put(broken)
    with pytest.raises(ServiceUnavailable):
        pool.call("accounts", "echo", value="x")
    assert broken.closed
    assert pool._idle.empty()

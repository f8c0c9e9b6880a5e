"""Calling the Nameko services from gunicorn threads.

Nameko's standalone client is not thread-safe and cannot expire requests, so the
gateway speaks nameko's AMQP RPC protocol itself: a client owns one connection and
one exclusive reply queue and serves one request at a time; a per-process pool
hands clients to threads. A client that timed out or lost its connection is thrown
away (a late reply must never reach the next caller).

Requests expire in the broker after the timeout, so a service that comes back does
not execute calls whose caller has long been answered 503.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
import uuid
from typing import Any

import contracts  # noqa: F401 - registers the contract errors for deserialize()
from amqp.exceptions import ChannelError, RecoverableConnectionError
from contracts.errors import ServiceError
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError
from nameko.exceptions import deserialize

from gateway import tracing
from gateway.metrics import observe_rpc

_log = logging.getLogger("gateway.rpc")

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


class ServiceUnavailable(Exception):
    """The service did not answer in time, or nothing serves it."""

    def __init__(self, service: str, reason: str):
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class RpcClient:
    def __init__(self, amqp_uri: str, connect_timeout: float):
        self.connection = Connection(
            amqp_uri,
            transport_options={"confirm_publish": True},
            connect_timeout=connect_timeout,
        )
        self.reply_to = f"rpc.reply-gateway-{uuid.uuid4()}"
        reply_queue = Queue(
            self.reply_to,
            exchange=RPC_EXCHANGE,
            routing_key=self.reply_to,
            exclusive=True,
            auto_delete=True,
        )
        self._reply: dict | None = None
        self._waiting_for: str | None = None
        self.connection.ensure_connection(max_retries=1, timeout=connect_timeout)
        self.consumer = self.connection.Consumer(
            [reply_queue], callbacks=[self._on_reply], accept=["json"], no_ack=True
        )
        self.consumer.consume()
        self.producer = self.connection.Producer(serializer="json")

    def _on_reply(self, body, message) -> None:
        if message.properties.get("correlation_id") == self._waiting_for:
            self._reply = body

    def call(
        self,
        service: str,
        method: str,
        kwargs: dict[str, Any],
        context: dict[str, Any],
        timeout: float,
    ) -> Any:
        correlation_id = uuid.uuid4().hex
        self._waiting_for, self._reply = correlation_id, None
        deadline = time.monotonic() + timeout
        try:
            self.producer.publish(
                {"args": [], "kwargs": kwargs},
                exchange=RPC_EXCHANGE,
                routing_key=f"{service}.{method}",
                mandatory=True,
                reply_to=self.reply_to,
                correlation_id=correlation_id,
                headers={f"nameko.{k}": v for k, v in context.items() if v is not None},
                expiration=timeout,
                retry=False,
            )
        except ChannelError as exc:
            if "NO_ROUTE" in str(exc):
                raise ServiceUnavailable(service, "no instance is running") from None
            raise
        while self._reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceUnavailable(service, f"no answer within {timeout}s")
            try:
                self.connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        reply, self._reply = self._reply, None
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply["result"]

    def close(self) -> None:
        # closing a broken connection may raise; nothing to do about it
        with contextlib.suppress(Exception):
            self.connection.release()


class RpcPool:
    """Per-process pool of clients; one client per concurrent request.

    Created lazily in each worker process (after gunicorn forks).
    """

    def __init__(self, amqp_uri: str, timeout: float):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._idle: queue.LifoQueue[RpcClient] = queue.LifoQueue()

    def call(
        self,
        service: str,
        method: str,
        context: dict[str, Any] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``service.method(**kwargs)``; raises the service's contract error,
        or :class:`ServiceUnavailable` when it does not answer within ``timeout``."""
        timeout = self.timeout if timeout is None else timeout
        started = time.perf_counter()
        outcome = "error"
        try:
            with tracing.client_span(service, method, context or {}) as sent:
                result = self._call(service, method, kwargs, sent, timeout)
            outcome = "ok"
            return result
        except ServiceUnavailable:
            outcome = "unavailable"
            raise
        except ServiceError:
            outcome = "rejected"
            raise
        finally:
            observe_rpc(service, method, outcome, time.perf_counter() - started)

    def _call(self, service, method, kwargs, context, timeout):
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            try:
                client = RpcClient(self.amqp_uri, connect_timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - broker down or refusing
                _log.warning("cannot reach the broker: %s", exc)
                raise ServiceUnavailable(
                    service, "message broker unreachable"
                ) from None
        healthy = False
        try:
            result = client.call(service, method, kwargs, context, timeout)
            healthy = True
            return result
        except ServiceUnavailable:
            raise
        # a connection the broker closed (e.g. it restarted): 503 now, and the
        # client is dropped so the next call connects afresh
        except (
            OSError,
            ChannelError,
            ConnectionError,
            RecoverableConnectionError,
            OperationalError,
        ) as exc:
            _log.warning("rpc %s.%s failed: %s", service, method, exc)
            raise ServiceUnavailable(
                service, "message broker connection lost"
            ) from None
        except Exception:
            healthy = True  # an error the service raised: the client is fine
            raise
        finally:
            if healthy:
                self._idle.put(client)
            else:
                client.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

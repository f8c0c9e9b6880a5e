#!/usr/bin/env bash
# Make sure the local RabbitMQ (with its management API), PostgreSQL and Redis answer.
# A server that is installed but stopped is started; one that is missing is an error.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

say() { echo "[servers] $*"; }
fail() { echo "[servers] ERROR: $*" >&2; exit 1; }

wait_until() { # seconds, description, command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what did not come up in time"
    sleep 0.5
  done
}

# PostgreSQL
if ! pg_isready -q -h "$PG_HOST" -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || fail "PostgreSQL is not running and not installed"
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_until 30 PostgreSQL pg_isready -q -h "$PG_HOST" -p 5432
fi
say "PostgreSQL up"

# Redis
if ! redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  command -v redis-server >/dev/null || fail "Redis is not running and not installed"
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_until 15 Redis sh -c "redis-cli -p $REDIS_PORT ping | grep -q PONG"
fi
say "Redis up"

# RabbitMQ
rabbit_up() { rabbitmqctl -q await_startup --timeout 2; }
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  command -v rabbitmq-server >/dev/null || fail "RabbitMQ is not running and not installed"
  say "starting RabbitMQ"
  rabbitmq-server -detached
  wait_until 60 RabbitMQ rabbit_up
  wait_until 30 "RabbitMQ port 5672" bash -c "exec 3<>/dev/tcp/127.0.0.1/5672"
fi
say "RabbitMQ up"

# The tests create a vhost per run through the management API.
if ! curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null; then
  say "enabling the RabbitMQ management plugin"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_until 60 "RabbitMQ management API" curl -sf -u guest:guest http://127.0.0.1:15672/api/overview
fi
say "RabbitMQ management API up"

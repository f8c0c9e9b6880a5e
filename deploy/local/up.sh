#!/usr/bin/env bash
# Start the whole platform in the background (make up): servers, databases,
# migrations, every service and the gateway under supervisord; wait until ready.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

export STACK_ROOT=$ROOT
export STACK_VAR=${STACK_VAR:-$ROOT/var}
export STACK_PYTHON=$ROOT/.venv/bin/python
export ACCOUNTS_REPLICAS=${ACCOUNTS_REPLICAS:-1} OTP_REPLICAS=${OTP_REPLICAS:-1}
export VERIFICATION_REPLICAS=${VERIFICATION_REPLICAS:-1} RECOVERY_REPLICAS=${RECOVERY_REPLICAS:-1}
export SSO_REPLICAS=${SSO_REPLICAS:-1}
export SSO_ISSUER=${SSO_ISSUER:-http://${GATEWAY_BIND:-127.0.0.1:8080}}
export DEMO_ISSUER=${DEMO_ISSUER:-$SSO_ISSUER}
export GATEWAY_BIND=${GATEWAY_BIND:-127.0.0.1:8080}
export ENVIRONMENT=${ENVIRONMENT:-dev}
export PSYCOPG_WAIT_FUNC=wait_select PYTHONUNBUFFERED=1
# the development configuration publishes the seed's support contact (问询联系方式),
# so a fresh `make up` shows a complete help page and footer; set them to override
export SUPPORT_PHONE=${SUPPORT_PHONE-010-88659000（中继线）}
export SUPPORT_EMAIL=${SUPPORT_EMAIL-fuwu@most.cn}
export SUPPORT_FAX=${SUPPORT_FAX-010-88654001}
URL="http://${GATEWAY_BIND}"

deploy/local/ensure-servers.sh

echo "[up] migrating databases"
"$STACK_PYTHON" -m servicekit.migrate services/accounts services/verification services/recovery services/sso

mkdir -p "$STACK_VAR/log"
if [ -S "$STACK_VAR/supervisor.sock" ] && .venv/bin/supervisorctl -c deploy/local/supervisord.conf status >/dev/null 2>&1; then
  echo "[up] already running; restarting every process"
  .venv/bin/supervisorctl -c deploy/local/supervisord.conf restart all >/dev/null
else
  .venv/bin/supervisord -c deploy/local/supervisord.conf
fi

echo "[up] waiting for $URL/api/v1/ready"
deadline=$((SECONDS + ${READY_TIMEOUT_SECONDS:-90}))
until curl -sf "$URL/api/v1/ready" >/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "[up] ERROR: not ready in time; what is down:" >&2
    curl -s "$URL/api/v1/ready" >&2 || true
    echo >&2
    .venv/bin/supervisorctl -c deploy/local/supervisord.conf status >&2 || true
    exit 1
  fi
  sleep 0.5
done
.venv/bin/supervisorctl -c deploy/local/supervisord.conf status
echo "[up] the platform is ready at $URL  (API under $URL/api/v1; logs: make logs; stop: make down)"
echo "[up] demo business system: Torch statistics at http://127.0.0.1:8090 (client torch-statistics, services/sso/README.md)"
echo "[up] metrics: http://127.0.0.1:9{1,2,3,4,5,6}00/metrics (accounts, otp, verification, recovery, gateway, sso; copy n: 9x0n); one request: make trace ID=<X-Request-ID>"

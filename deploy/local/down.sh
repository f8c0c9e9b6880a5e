#!/usr/bin/env bash
# Stop every process make up started (the servers themselves keep running).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export STACK_ROOT=$ROOT STACK_VAR=${STACK_VAR:-$ROOT/var} STACK_PYTHON=$ROOT/.venv/bin/python
export ACCOUNTS_REPLICAS=1 OTP_REPLICAS=1 VERIFICATION_REPLICAS=1 RECOVERY_REPLICAS=1 SSO_REPLICAS=1
if [ -S "$STACK_VAR/supervisor.sock" ] && .venv/bin/supervisorctl -c deploy/local/supervisord.conf shutdown >/dev/null 2>&1; then
  while [ -e "$STACK_VAR/supervisord.pid" ]; do sleep 0.2; done
  echo "[down] stopped"
else
  echo "[down] nothing was running"
fi

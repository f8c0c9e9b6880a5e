#!/usr/bin/env bash
# nginx for the tests of the buffering proxy (tests/e2e/test_proxy.py starts a private
# one with deploy/nginx/gateway-proxy.conf.template): Debian's package, installed when
# missing. `make test` and .ci/run call this; the tests fail (never skip) without nginx.
# Debian's postinst does not start the packaged site where no init system runs
# (containers, CI); on a machine with systemd it does (port 80), as any nginx install.
set -euo pipefail

say() { echo "[nginx] $*"; }

if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  say "$(PATH="$PATH:/usr/sbin" nginx -v 2>&1)"
  exit 0
fi
command -v apt-get >/dev/null || { echo "[nginx] ERROR: nginx is missing and there is no apt-get; install nginx" >&2; exit 1; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
say "installing Debian's nginx package"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
say "$(PATH="$PATH:/usr/sbin" nginx -v 2>&1)"

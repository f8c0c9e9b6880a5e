#!/usr/bin/env bash
# The browser tests' packages, from Debian's archive only (Playwright never
# downloads a browser here): chromium, chromium-l10n and fonts-noto-cjk (without
# the fonts Chinese renders as boxes). Installs what is missing; fails loudly when
# it cannot, rather than letting the browser tier skip.
set -euo pipefail
PACKAGES=(chromium chromium-l10n fonts-noto-cjk)
missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "[browser] installing ${missing[*]} from Debian's packages"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; }; then
  echo "[browser] ERROR: could not install ${missing[*]} (apt-get failed); tests/browser needs them" >&2
  exit 1
fi
test -x /usr/bin/chromium || { echo "[browser] ERROR: /usr/bin/chromium is still missing" >&2; exit 1; }

#!/usr/bin/env bash
# System packages the tests need beyond Node, Go and Maven: Debian's Chromium for the Temporal UI browser test
# (test/ui), and Debian's PostgreSQL server for the native compose stack (kit/stack: `npm run stack:native`,
# test/deploy/native-stack). Idempotent: installs only what is missing, so CI (.ci/run) and a second run return at once.
# The PostgreSQL package's own cluster is not used: the stack runs its own in a temporary directory.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  echo "[system-deps] up to date (/usr/bin/chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(ls -d /usr/lib/postgresql/*/bin/postgres | tail -1))"
  exit 0
fi

sudo=''
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo='sudo'; else
    echo "[system-deps] need root to apt-get install ${missing[*]} (no sudo found)" >&2
    exit 1
  fi
fi
echo "[system-deps] apt-get install ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[system-deps] installed: $(/usr/bin/chromium --version), $(ls -d /usr/lib/postgresql/*/bin/postgres | tail -1)"

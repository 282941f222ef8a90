#!/usr/bin/env bash
# Install PostgreSQL's server binaries from Debian packages for the database tests.
# Idempotent: does nothing when /usr/lib/postgresql/*/bin/initdb exists. The tests start
# their own throw-away cluster (tests/postgres.py); the one Debian's package creates is not
# used.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo > /dev/null || { echo "install-postgres: need root (or sudo)" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null \
  || { echo "install-postgres: initdb still missing" >&2; exit 1; }

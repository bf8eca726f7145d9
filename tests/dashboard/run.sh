#!/usr/bin/env bash
# Runs the dashboard's browser test (dashboard.test.mjs) in headless Debian Chromium.
#
#   tests/dashboard/run.sh          against a running node or localnet: CIVITAS_URL (default
#                                   http://127.0.0.1:8888) and CIVITAS_ACCOUNTS (its accounts.json)
#   tests/dashboard/run.sh --dev    builds and starts crates/rpc/examples/dashboard_dev on a free
#                                   port first, and stops it afterwards
#
# Installs what is missing: Debian's chromium (as root, with apt-get) and the pinned npm
# packages (npm ci from package-lock.json). Screenshots go to out/ at the repository root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "dashboard test: installing chromium" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "dashboard test: $CHROMIUM not found; install Debian's chromium or set CHROMIUM" >&2
    exit 1
  fi
fi

if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/@wharfkit/antelope" ] \
  || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

mkdir -p "$root/out"
dev_pid=""
stop_dev() {
  if [ -n "$dev_pid" ]; then
    kill "$dev_pid" 2>/dev/null || true
    wait "$dev_pid" 2>/dev/null || true
  fi
}
trap stop_dev EXIT

if [ "${1:-}" = "--dev" ]; then
  port=${DASHBOARD_DEV_PORT:-18888}
  target=${CARGO_TARGET_DIR:-$root/target}
  (cd "$root" && cargo build -q -p civitas-rpc --example dashboard_dev)
  export CIVITAS_URL="http://127.0.0.1:$port"
  export CIVITAS_ACCOUNTS="$root/out/dashboard-dev/accounts.json"
  mkdir -p "$root/out/dashboard-dev"
  # No vote churn: the test's own vote must be the only thing that moves the ranking.
  "$target/debug/examples/dashboard_dev" --addr "127.0.0.1:$port" --accounts "$CIVITAS_ACCOUNTS" \
    --churn-rounds 0 >"$root/out/dashboard-dev/node.log" 2>&1 &
  dev_pid=$!
fi

cd "$here"
node --test --test-concurrency=1 --test-reporter=spec dashboard.test.mjs

#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, storage (SQLite and PostgreSQL)
# and end-to-end tests of the real binary with radclient.
#
# Installs what the tests need when it is missing (Debian packages, as root) and
# starts the local PostgreSQL if it is installed but stopped. PostgreSQL is expected
# at 127.0.0.1:5432 with trust auth and a database `test` (override: SMARTX_TEST_PG).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v radclient >/dev/null 2>&1 || need_pkgs+=(freeradius-utils)
command -v psql >/dev/null 2>&1 || need_pkgs+=(postgresql-client)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
[ -x /usr/bin/chromedriver ] || need_pkgs+=(chromium-driver)
if ((${#need_pkgs[@]})); then
    echo "installing: ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

pg_url="${SMARTX_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
if ! psql "$pg_url" -qtAc 'select 1' >/dev/null 2>&1; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        echo "starting local PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
        sleep 2
    fi
    psql "$pg_url" -qtAc 'select 1' >/dev/null || {
        echo "PostgreSQL is not reachable at $pg_url; storage tests need it" >&2
        exit 1
    }
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run (cargo prints one per test binary, doc-tests last).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"

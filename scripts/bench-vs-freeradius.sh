#!/usr/bin/env bash
# smartx vs FreeRADIUS 3.2 (Debian), measured side by side on this machine in one run.
#
# Seeds the same users into smartx (SQLite) and into FreeRADIUS (files backend, then
# rlm_sql with the sqlite driver), starts one server at a time on 127.0.0.1, runs the
# same `smartx bench auth` (PAP, CHAP) and `smartx bench acct` against each, prints a
# table, and stops everything it started. See docs/benchmarks.md for what is measured
# and how FreeRADIUS is configured.
#
# Settings (environment):
#   BENCH_USERS=10000           accounts seeded (and cycled through by the bench)
#   BENCH_AUTH_REQUESTS=200000  Access-Requests per auth run
#   BENCH_ACCT_RECORDS=100000   Accounting-Requests per acct run
#   BENCH_CONCURRENCY=128       requests in flight
#   BENCH_PACED_RATE=5000       requests/s of the paced PAP run (latency at a fixed load;
#                               0 skips it)
#   BENCH_INTERIMS=2            Interim-Updates per accounting session
#   BENCH_FR_THREADS=4          FreeRADIUS worker threads (start = max)
#   BENCH_FR_REPLY_MA=1         FreeRADIUS signs its Access-Accept/Reject with a
#                               Message-Authenticator, as smartx does and RouterOS >= 7.15
#                               requires (FreeRADIUS 3.2.1 does not by default); 0 = stock
#   BENCH_SERVERS="smartx fr-files fr-sql"   which servers to measure
#   SMARTX_BIN=path             use this smartx binary instead of building one
#   SMARTX_SERVER_BIN=path      serve with this smartx instead (e.g. an older build, to
#                               compare versions with the same load generator)
#   BENCH_KEEP=1                keep the work directory (databases, logs, configs)
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${BENCH_USERS:-10000}
AUTH_REQUESTS=${BENCH_AUTH_REQUESTS:-200000}
ACCT_RECORDS=${BENCH_ACCT_RECORDS:-100000}
CONCURRENCY=${BENCH_CONCURRENCY:-128}
PACED_RATE=${BENCH_PACED_RATE:-5000}
INTERIMS=${BENCH_INTERIMS:-2}
FR_THREADS=${BENCH_FR_THREADS:-4}
FR_REPLY_MA=${BENCH_FR_REPLY_MA:-1}
SERVERS=${BENCH_SERVERS:-"smartx fr-files fr-sql"}
SECRET="bench-shared-secret-1"
SMARTX_AUTH=127.0.0.1:12812
SMARTX_ACCT=127.0.0.1:12813
FR_AUTH_PORT=11812
FR_ACCT_PORT=11813
RATE="1M/2M 2M/4M 768k/1536k 8/8 8"

# --- prerequisites ----------------------------------------------------------------------
if ! command -v freeradius >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1 ||
    [ ! -e /usr/lib/freeradius/rlm_sql_sqlite.so ]; then
    echo "installing FreeRADIUS 3.2 and sqlite3 from Debian"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq freeradius freeradius-utils sqlite3 >/dev/null
fi
if [ -z "${SMARTX_BIN:-}" ]; then
    echo "building smartx (release)"
    cargo build --release --locked -p smartx
    SMARTX_BIN=target/release/smartx
fi
SMARTX_BIN=$(realpath "$SMARTX_BIN")
SERVER_BIN=$(realpath "${SMARTX_SERVER_BIN:-$SMARTX_BIN}")

WORK=$(mktemp -d /tmp/smartx-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Starts a server in the background and remembers its pid.
start_bg() {
    local log=$1; shift
    "$@" >"$log" 2>&1 &
    PIDS+=("$!")
    LAST_PID=$!
}

# Stops the server started last (by pid) and forgets it.
stop_last() {
    kill "$LAST_PID" 2>/dev/null || true
    wait "$LAST_PID" 2>/dev/null || true
    local keep=()
    for pid in "${PIDS[@]}"; do [ "$pid" = "$LAST_PID" ] || keep+=("$pid"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# Waits until a UDP port answers a Status-Server (FreeRADIUS) or the log says ready.
wait_for() {
    local what=$1 check=$2
    for _ in $(seq 1 100); do
        if eval "$check" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$LAST_PID" 2>/dev/null; then
            echo "$what exited during start-up" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$what did not come up" >&2
    return 1
}

# --- seed ---------------------------------------------------------------------------------
echo "seeding $USERS users (smartx SQLite + FreeRADIUS users file + rlm_sql inserts) in $WORK"
"$SERVER_BIN" --data-dir "$WORK/smartx" bench seed --users "$USERS" --secret "$SECRET" \
    --nas-address 127.0.0.1 --freeradius-users "$WORK/users" --freeradius-sql "$WORK/seed.sql"

# --- FreeRADIUS configuration (one copy of /etc/freeradius/3.0 per backend) --------------
make_raddb() {
    local backend=$1 dir=$WORK/raddb-$1
    cp -a /etc/freeradius/3.0 "$dir"
    mkdir -p "$dir/log/radacct" "$dir/run"
    # Only our virtual server and the modules it uses.
    rm -f "$dir"/sites-enabled/* "$dir"/mods-enabled/*
    for m in always attr_filter chap pap expr files detail; do
        ln -s ../mods-available/$m "$dir/mods-enabled/$m"
    done
    # Paths into the copy, stay root (no freerad user for the temp files), quiet logs,
    # a fixed pool of worker threads, and room for every request kept for duplicate
    # detection (cleanup_delay, 5 s by default) at full speed.
    sed -i \
        -e "s|^raddbdir = .*|raddbdir = $dir|" \
        -e "s|^logdir = .*|logdir = $dir/log|" \
        -e "s|^run_dir = .*|run_dir = $dir/run|" \
        -e "s|^\(\s*\)user = freerad|\1#user = freerad|" \
        -e "s|^\(\s*\)group = freerad|\1#group = freerad|" \
        -e "s|^max_requests = .*|max_requests = 1048576|" \
        -e "s|^\(\s*\)start_servers = .*|\1start_servers = $FR_THREADS|" \
        -e "s|^\(\s*\)max_servers = .*|\1max_servers = $FR_THREADS|" \
        -e "s|^\(\s*\)min_spare_servers = .*|\1min_spare_servers = 0|" \
        -e "s|^\(\s*\)max_spare_servers = .*|\1max_spare_servers = $FR_THREADS|" \
        "$dir/radiusd.conf"
    cat >"$dir/clients.conf" <<EOF
client bench {
	ipaddr = 127.0.0.1
	secret = $SECRET
	require_message_authenticator = no
	nas_type = other
}
EOF
    local authorize accounting post_auth=""
    if [ "$FR_REPLY_MA" = 1 ]; then
        # Any Message-Authenticator in the reply list is computed when the reply is signed.
        post_auth='update reply {
			&Message-Authenticator := 0x00
		}'
    fi
    if [ "$backend" = files ]; then
        cp "$WORK/users" "$dir/mods-config/files/authorize"
        authorize="files"
        accounting="detail"
    else
        : >"$dir/mods-config/files/authorize"
        ln -s ../mods-available/sql "$dir/mods-enabled/sql"
        sed -i \
            -e 's|driver = "rlm_sql_null"|driver = "rlm_sql_${dialect}"|' \
            -e "s|filename = \"/tmp/freeradius.db\"|filename = \"$dir/radius.db\"|" \
            -e 's|busy_timeout = 200|busy_timeout = 10000|' \
            -e 's|^\(\s*\)bootstrap = |\1#bootstrap = |' \
            "$dir/mods-available/sql"
        # The stock schema, in WAL mode (as smartx's database) so writers do not block
        # readers; synchronous stays at SQLite's default, FULL.
        sqlite3 "$dir/radius.db" "PRAGMA journal_mode = WAL;" >/dev/null
        sqlite3 "$dir/radius.db" <"$dir/mods-config/sql/main/sqlite/schema.sql"
        sqlite3 "$dir/radius.db" <"$WORK/seed.sql"
        authorize="sql"
        accounting="sql"
    fi
    cat >"$dir/sites-enabled/bench" <<EOF
server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $FR_AUTH_PORT
		recv_buff = 8388608
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $FR_ACCT_PORT
		recv_buff = 8388608
	}
	authorize {
		chap
		$authorize
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
	preacct {
		acct_unique
	}
	accounting {
		$accounting
	}
	post-auth {
		$post_auth
		Post-Auth-Type REJECT {
			$post_auth
		}
	}
}
EOF
    echo "$dir"
}

# --- runs -----------------------------------------------------------------------------------
RESULTS=$WORK/results
: >"$RESULTS"

bench() {
    local server=$1 label=$2; shift 2
    echo "== $server: $label"
    local out
    out=$("$SMARTX_BIN" bench "$@")
    echo "$out" | grep -v '^result '
    echo "$out" | grep '^result ' | sed "s|^result |result server_name=$server test=$label |" >>"$RESULTS"
}

# The same three runs against any server; the first pass logs every user in once
# (untimed) so that caches of either server start warm.
run_suite() {
    local name=$1 auth=$2 acct=$3
    "$SMARTX_BIN" bench auth --server "$auth" --secret "$SECRET" --users "$USERS" \
        --requests "$USERS" --concurrency "$CONCURRENCY" >/dev/null
    bench "$name" auth-pap auth --server "$auth" --secret "$SECRET" --users "$USERS" \
        --requests "$AUTH_REQUESTS" --concurrency "$CONCURRENCY" --expect-rate-limit "$RATE"
    bench "$name" auth-chap auth --chap --server "$auth" --secret "$SECRET" --users "$USERS" \
        --requests "$AUTH_REQUESTS" --concurrency "$CONCURRENCY" --expect-rate-limit "$RATE"
    if [ "$PACED_RATE" -gt 0 ]; then
        bench "$name" "pap@$PACED_RATE" auth --server "$auth" --secret "$SECRET" --users "$USERS" \
            --requests $((PACED_RATE * 10)) --concurrency 256 --rate "$PACED_RATE" \
            --expect-rate-limit "$RATE"
    fi
    bench "$name" acct acct --server "$acct" --secret "$SECRET" --users "$USERS" \
        --requests "$ACCT_RECORDS" --concurrency "$CONCURRENCY" --interims "$INTERIMS" \
        --login-first "$auth"
}

SESSIONS=$(( (ACCT_RECORDS + INTERIMS + 1) / (INTERIMS + 2) ))
STORED=$WORK/stored
: >"$STORED"

for server in $SERVERS; do
    case $server in
    smartx)
        start_bg "$WORK/smartx.log" "$SERVER_BIN" --data-dir "$WORK/smartx" serve --role radius \
            --radius-auth "$SMARTX_AUTH" --radius-acct "$SMARTX_ACCT"
        wait_for smartx "grep -q 'smartx is ready' '$WORK/smartx.log'"
        run_suite smartx "$SMARTX_AUTH" "$SMARTX_ACCT"
        stop_last
        stored=$(sqlite3 "$WORK/smartx/smartx.db" \
            "SELECT COUNT(*) || ' sessions, ' || SUM(stopped_at IS NOT NULL) || ' stopped, ' || \
             SUM(session_time) || ' s online' FROM sessions")
        usage=$(sqlite3 "$WORK/smartx/smartx.db" "SELECT COALESCE(SUM(session_time), 0) FROM usage_daily")
        echo "smartx $stored; $usage s in usage_daily (SQLite, WAL, synchronous=FULL)" >>"$STORED"
        ;;
    fr-files | fr-sql)
        backend=${server#fr-}
        dir=$(make_raddb "$backend")
        start_bg "$WORK/$server.log" freeradius -f -d "$dir" -l stdout
        wait_for "FreeRADIUS ($backend)" \
            "grep -q 'Ready to process requests' '$WORK/$server.log'"
        run_suite "$server" "127.0.0.1:$FR_AUTH_PORT" "127.0.0.1:$FR_ACCT_PORT"
        stop_last
        if [ "$backend" = files ]; then
            records=$(cat "$dir"/log/radacct/*/detail-* 2>/dev/null | grep -c 'Acct-Status-Type' || true)
            echo "$server $records records in the detail file" >>"$STORED"
        else
            stored=$(sqlite3 "$dir/radius.db" \
                "SELECT COUNT(*) || ' sessions, ' || SUM(acctstoptime IS NOT NULL) || ' stopped, ' || \
                 SUM(acctsessiontime) || ' s online' FROM radacct")
            echo "$server $stored (radacct, SQLite WAL, synchronous=FULL)" >>"$STORED"
        fi
        ;;
    *)
        echo "unknown server $server" >&2
        exit 2
        ;;
    esac
done

# --- table ----------------------------------------------------------------------------------
echo
echo "$(freeradius -v | head -n1)"
echo "$(nproc) cores, $USERS users, $AUTH_REQUESTS auth requests, $ACCT_RECORDS accounting records" \
    "($SESSIONS sessions of Start + $INTERIMS Interim + Stop), $CONCURRENCY in flight"
awk '
function field(name,   i, kv) {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
}
BEGIN {
    printf "%-9s %-10s %8s %7s %7s %7s %8s %7s %7s %5s %6s %8s\n", "server", "test", "req/s",
        "p50 ms", "p90 ms", "p99 ms", "max ms", "timeout", "reject", "bad", "no MA", "answered"
}
{
    printf "%-9s %-10s %8s %7.2f %7.2f %7.2f %8.1f %7s %7s %5s %6s %8s\n",
        field("server_name"), field("test"), field("rate"), field("p50_ms"), field("p90_ms"),
        field("p99_ms"), field("max_ms"), field("timeouts"), field("rejects"),
        field("bad") + field("wrong_policy"), field("no_ma"), field("answered")
}' "$RESULTS"
echo
echo "stored after the accounting runs ($SESSIONS sessions expected, all stopped," \
    "$((SESSIONS * (INTERIMS + 1) * 60)) s online):"
sed 's/^/  /' "$STORED"

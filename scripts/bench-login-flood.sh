#!/usr/bin/env bash
# Login flood vs authenticated GETs (issue 12): the example's
# session-authenticated GET /api/apicontroller/ measured with `wrk --latency`
# alone, then again while 64 connections flood POST /api/auth/ with a wrong
# password — flood and GETs in one run, on the same machine:
#
#   GETs:  wrk -t1 -c32 -d$DURATION --latency -H 'Cookie: sessionid=…'
#   flood: wrk -t2 -c64 -d<DURATION+4s> --timeout 20s -s scripts/loginflood/flood.lua
#
# Two servers on one SQLite database (Django 5.2's PBKDF2, 1,000,000
# iterations; the default hashing pool):
#   "throttle off"  DMR_LOGIN_FAILURE_LIMIT=0 DMR_LOGIN_IP_FAILURE_LIMIT=0: every
#                   flood request costs a hash, so this measures how well the
#                   hashing pool leaves room for everything else;
#   "throttle on"   the default limits: after 5 failures the flood answers 429
#                   without hashing.
# and, for comparison in the same run, the example built from BASE_REV
# (default main; set BASE_REV= to skip), whose hashing pool has one slot per
# CPU at normal priority and which has no throttle ("base").
# Target: GET p99 under the flood within 3x its no-flood value, throughput
# at least 50%.
#
# Needs wrk and curl. Ports OFF_PORT (18600), ON_PORT (18601) and
# BASE_PORT (18602). ROUNDS (default 1) repeats the whole sequence.
set -euo pipefail
cd "$(dirname "$0")/.."

OFF_PORT=${OFF_PORT:-18600}
ON_PORT=${ON_PORT:-18601}
BASE_PORT=${BASE_PORT:-18602}
BASE_REV=${BASE_REV-main}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/sessionauth" ./examples/sessionauth
if [ -n "$BASE_REV" ]; then
	mkdir "$work/base"
	git archive "$BASE_REV" | tar -x -C "$work/base"
	(cd "$work/base" && go build -o "$work/sessionauth-base" ./examples/sessionauth)
fi
export DMR_DATABASE_URL="sqlite:$work/dmr.sqlite3"
export DMR_SECRET_KEY="bench-secret-key-bench-secret-key-bench-secret-key-0123"
printf password | "$work/sessionauth" createuser --username test_user --password-stdin >/dev/null

DMR_LOGIN_FAILURE_LIMIT=0 DMR_LOGIN_IP_FAILURE_LIMIT=0 \
	"$work/sessionauth" serve --addr "127.0.0.1:$OFF_PORT" 2>"$work/off.log" &
pids+=($!)
"$work/sessionauth" serve --addr "127.0.0.1:$ON_PORT" 2>"$work/on.log" &
pids+=($!)

wait_port() {
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2; exit 1
}
wait_port "$OFF_PORT"; wait_port "$ON_PORT"
if [ -n "$BASE_REV" ]; then
	# Same database and user; the base ignores the dmr_login_failure table.
	"$work/sessionauth-base" serve --addr "127.0.0.1:$BASE_PORT" 2>"$work/base.log" &
	pids+=($!)
	wait_port "$BASE_PORT"
fi

# login PORT: logs in once (the seed's curl) and prints the session key.
login() {
	local jar="$work/jar.$1"
	curl -s -c "$jar" -o /dev/null -X POST "http://127.0.0.1:$1/api/auth/" \
		-H 'Content-Type: application/json' -d '{"username": "test_user", "password": "password"}'
	awk '$6 == "sessionid" {print $7}' "$jar"
}
off_sid=$(login "$OFF_PORT"); on_sid=$(login "$ON_PORT")
[ -n "$off_sid" ] && [ -n "$on_sid" ] || { echo "login failed" >&2; exit 1; }
if [ -n "$BASE_REV" ]; then
	base_sid=$(login "$BASE_PORT")
	[ -n "$base_sid" ] || { echo "login failed (base)" >&2; exit 1; }
fi

# to_ms VALUE: wrk's "4.90ms" / "812.00us" / "1.20s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
		else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
		else print v }'
}

# gets PORT SID: runs the GET wrk; sets rps, p50, p99 (ms) and errs.
gets() {
	local out
	out=$(wrk -t1 -c32 -d"${DURATION}s" --latency -H "Cookie: sessionid=$2" "http://127.0.0.1:$1/api/apicontroller/")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
	p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
	errs=$(echo "$out" | awk '/Non-2xx/ {print $5}')
	errs=${errs:-0}
}

# scenario NAME PORT SID: GETs alone, then GETs under the flood.
scenario() {
	local name=$1 port=$2 sid=$3
	gets "$port" "$sid"
	local rps0=$rps p500=$p50 p990=$p99 errs0=$errs
	wrk -t2 -c64 -d"$((DURATION + 4))s" --timeout 20s -s scripts/loginflood/flood.lua \
		"http://127.0.0.1:$port/api/auth/" >"$work/flood.out" 2>&1 &
	local flood=$!
	sleep 2 # let the flood fill the hashing pool and its queue
	gets "$port" "$sid"
	wait "$flood" || true
	local frps fstat
	frps=$(awk '/Requests\/sec/ {print $2}' "$work/flood.out")
	fstat=$(grep '^flood statuses' "$work/flood.out" | cut -d: -f2 | xargs)
	awk -v n="$name" -v r0="$rps0" -v a0="$p500" -v b0="$p990" -v r1="$rps" -v a1="$p50" -v b1="$p99" \
		-v e0="$errs0" -v e1="$errs" -v fr="$frps" -v fs="$fstat" 'BEGIN {
		printf "%-13s alone   %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %s\n", n, r0, a0, b0, e0
		printf "%-13s flood   %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %s\n", n, r1, a1, b1, e1
		printf "%-13s ratio   throughput %.2f   p99 %.2fx   (flood: %.1f logins/s, %s)\n", n, r1 / r0, b1 / b0, fr, fs
	}'
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# GETs: wrk -t1 -c32 -d${DURATION}s --latency; flood: wrk -t2 -c64 -d$((DURATION + 4))s -s scripts/loginflood/flood.lua"
for round in $(seq "$ROUNDS"); do
	echo "# round $round, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	[ -z "$BASE_REV" ] || scenario "base $BASE_REV" "$BASE_PORT" "$base_sid"
	scenario "throttle off" "$OFF_PORT" "$off_sid"
	scenario "throttle on" "$ON_PORT" "$on_sid"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Generates clients from the example's OpenAPI document with ogen and
# oapi-codegen (versions pinned by the tool lines of go.mod, fetched through
# the Go module proxy) and runs them against the real example server.
# Then it puts Prism's validating proxy (prism proxy --errors, installed by
# prism.sh) in front of the server and sends the flow and the error cases
# through it. The generated code goes to gen/ (git-ignored). Ports: 18510
# (the example) and 18511 (Prism) unless DMR_CLIENTS_PORT is set.
set -euo pipefail
cd "$(dirname "$0")"
port=${DMR_CLIENTS_PORT:-18510}
prism_port=$((port + 1))
tmp=$(mktemp -d)
pid=
prism_pid=
cleanup() {
  [ -n "$prism_pid" ] && kill "$prism_pid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
log() { echo "clients: $*"; }

log "building examples/sessionauth"
go build -o "$tmp/sessionauth" github.com/dmr-go/dmr/examples/sessionauth
export DMR_DATABASE_URL="sqlite:$tmp/db.sqlite3"
printf password | "$tmp/sessionauth" createuser --username test_user --password-stdin >/dev/null 2>&1
"$tmp/sessionauth" openapi --version 3.1 > "$tmp/openapi.json" 2>/dev/null

log "generating the ogen and oapi-codegen clients into gen/"
rm -rf gen && mkdir -p gen/ogenclient gen/oapiclient
go tool ogen -target gen/ogenclient -package ogenclient -clean "$tmp/openapi.json" 2> "$tmp/ogen.log" ||
  { cat "$tmp/ogen.log" >&2; exit 1; }
go tool oapi-codegen -generate types,client -package oapiclient -o gen/oapiclient/client.go "$tmp/openapi.json"

log "starting the example on 127.0.0.1:$port"
"$tmp/sessionauth" serve --addr "127.0.0.1:$port" 2> "$tmp/server.log" &
pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done
prism=$(bash prism.sh)
log "starting Prism's validating proxy on 127.0.0.1:$prism_port"
"$prism" proxy --errors -h 127.0.0.1 -p "$prism_port" "$tmp/openapi.json" "http://127.0.0.1:$port" > "$tmp/prism.log" 2>&1 &
prism_pid=$!
for _ in $(seq 1 300); do
  grep -q "Prism is listening" "$tmp/prism.log" && break
  kill -0 "$prism_pid" 2>/dev/null || { cat "$tmp/prism.log" >&2; exit 1; }
  sleep 0.2
done
log "running the generated clients, and the flows through Prism"
DMR_CLIENTS_URL="http://127.0.0.1:$port" DMR_PRISM_URL="http://127.0.0.1:$prism_port" \
  go test -count=1 -tags clientgen ./... ||
  { echo "--- server log" >&2; cat "$tmp/server.log" >&2; echo "--- prism log" >&2; cat "$tmp/prism.log" >&2; exit 1; }

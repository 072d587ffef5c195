#!/usr/bin/env bash
# Generates clients from the example's OpenAPI document with ogen and
# oapi-codegen (versions pinned by the tool lines of go.mod, fetched through
# the Go module proxy) and runs them against the real example server.
# The generated code goes to gen/ (git-ignored). PORT defaults to 18510.
set -euo pipefail
cd "$(dirname "$0")"
port=${DMR_CLIENTS_PORT:-18510}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
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
log "running the generated clients"
DMR_CLIENTS_URL="http://127.0.0.1:$port" go test -count=1 -tags clientgen ./... ||
  { echo "--- server log" >&2; cat "$tmp/server.log" >&2; exit 1; }

#!/usr/bin/env bash
# Installs the pinned Prism CLI with npm into a cache outside the repository
# (${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}/clients) and prints the path of its
# binary. 5.14.2 is the newest Prism that runs on Debian's Node 20.
set -euo pipefail
version=5.14.2
root=${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}/clients
pkg="$root/node_modules/@stoplight/prism-cli/package.json"
if ! { [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; }; then
  mkdir -p "$root"
  npm install --no-audit --no-fund --save-exact --prefix "$root" "@stoplight/prism-cli@$version" >&2
  grep -q "\"version\": \"$version\"" "$pkg" || { echo "prism.sh: npm did not install @stoplight/prism-cli@$version" >&2; exit 1; }
fi
echo "$root/node_modules/.bin/prism"

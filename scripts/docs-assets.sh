#!/usr/bin/env bash
# Installs the pinned swagger-ui-dist (the docs page's assets) with npm into a
# cache outside the repository, where the docs tests and DocsOptions.AssetsDir
# users find it: ${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}/node_modules/swagger-ui-dist.
# The version is the one pinned in docs.go (dmr.SwaggerUIVersion).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*SwaggerUIVersion *= *"\([^"]*\)".*/\1/p' docs.go | head -n1)
[ -n "$version" ] || { echo "docs-assets.sh: SwaggerUIVersion not found in docs.go" >&2; exit 1; }
root=${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}
pkg="$root/node_modules/swagger-ui-dist/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; then
  echo "docs-assets.sh: swagger-ui-dist@$version already in $root"
  exit 0
fi
mkdir -p "$root"
npm install --no-audit --no-fund --prefix "$root" "swagger-ui-dist@$version" >/dev/null
grep -q "\"version\": \"$version\"" "$pkg" || { echo "docs-assets.sh: npm did not install swagger-ui-dist@$version" >&2; exit 1; }
echo "docs-assets.sh: installed swagger-ui-dist@$version into $root"

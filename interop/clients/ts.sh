#!/usr/bin/env bash
# Installs the TypeScript check's npm packages, pinned by ts/package.json and
# ts/package-lock.json, with npm ci into a cache outside the repository
# (${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}/clients-ts; again only when the lock
# file changed) and links ts/node_modules (git-ignored) to it, so that tsc
# and esbuild resolve the packages from ts/. (npm 11 may not run esbuild's
# postinstall script, and warns; esbuild does not need it: its binary comes
# in the @esbuild/<platform> package.)
set -euo pipefail
cd "$(dirname "$0")/ts"
root=${DMR_NPM_CACHE:-$HOME/.cache/dmr/npm}/clients-ts
if ! cmp -s package-lock.json "$root/installed-package-lock.json" || [ ! -d "$root/node_modules" ]; then
  mkdir -p "$root"
  rm -f "$root/installed-package-lock.json"
  cp package.json package-lock.json "$root/"
  npm ci --no-audit --no-fund --prefix "$root" >&2 ||
    { echo "ts.sh: npm ci failed in $root (it needs the npm registry, or the pinned packages in npm's own cache)" >&2; exit 1; }
  cp package-lock.json "$root/installed-package-lock.json"
fi
if [ -e node_modules ] && [ ! -L node_modules ]; then
  echo "ts.sh: interop/clients/ts/node_modules is a directory; remove it (ts.sh links it to $root/node_modules)" >&2
  exit 1
fi
ln -sfn "$root/node_modules" node_modules

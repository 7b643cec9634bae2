#!/usr/bin/env bash
# Release check, offline: builds everything a release ships, publishes
# nothing. Run from anywhere: bash release/check.sh
#
#  1. goreleaser v2.15.1 (pinned, built from the Go module proxy into a
#     throwaway GOBIN) checks .goreleaser.yaml and builds a snapshot of all
#     six targets into dist/: archives, checksums file.
#  2. The host's binary from dist/ runs `version` and `mcp` up to initialize.
#  3. One Claude Desktop bundle per platform (dist/*.mcpb): manifest written
#     by release/cmd/releasemeta from the binary's own tools/list and
#     prompts/list, checked by `mcpb validate`, packed by `mcpb pack`
#     (@anthropic-ai/mcpb 2.1.2 from npm, pinned by release/mcpb/package-lock.json).
#  4. dist/server.json for the MCP Registry, with each bundle's SHA-256.
#
# The Go tests in release/ then check the result (go test ./release/).
# GORELEASER_GOBIN, when set, keeps the goreleaser binary between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

# goreleaser builds the work tree as it is: say so when it is not a commit.
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: the work tree has uncommitted changes; they are in this build (a clean clone builds just the commit)"
fi

gobin=${GORELEASER_GOBIN:-}
if [ -z "$gobin" ]; then
  gobin=$(mktemp -d)
  trap 'rm -rf "$gobin"' EXIT
fi

echo "== goreleaser v2.15.1 (from the Go module proxy)"
if ! "$gobin/goreleaser" --version 2>/dev/null | grep -q 'GitVersion:[[:space:]]*v2\.15\.1$'; then
  GOBIN="$gobin" GOFLAGS=-mod=mod go install github.com/goreleaser/goreleaser/v2@v2.15.1
fi
goreleaser="$gobin/goreleaser"
echo "   ready after $((SECONDS - start)) s"

echo "== mcpb 2.1.2 (npm, release/mcpb/package-lock.json)"
npm ci --prefix release/mcpb --no-audit --no-fund --loglevel=error
mcpb=release/mcpb/node_modules/.bin/mcpb

echo "== goreleaser check"
"$goreleaser" check

echo "== snapshot release of every target (nothing is published)"
t=$SECONDS
"$goreleaser" release --snapshot --clean --skip=publish
echo "   built in $((SECONDS - t)) s"

echo "== the host's binary from dist/"
host_bin=$(ls dist/neonkeys_"$(go env GOOS)"_"$(go env GOARCH)"*/neonkeys)
"$host_bin" version
"$host_bin" version -o json
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"release-check","version":"1"}}}'
answer=$(printf '%s\n' "$init" | env -i "$host_bin" mcp 2>/dev/null)
grep -q '"serverInfo":{"name":"neonkeys","version":"v[^"]* (commit [0-9a-f]*, built [^"]*)"' <<<"$answer" \
  || { echo "neonkeys mcp answered initialize with: $answer"; exit 1; }
echo "   initialize: $(grep -o '"serverInfo":{[^}]*}' <<<"$answer")"

echo "== Claude Desktop bundles"
go run ./release/cmd/releasemeta stage -dist dist -out dist/mcpb -license LICENSE >dist/mcpb-staged.txt
while read -r platform dir file; do
  "$mcpb" validate "$dir/manifest.json"
  "$mcpb" pack "$dir" "dist/$file" >/dev/null
  echo "   $platform: dist/$file"
done <dist/mcpb-staged.txt

echo "== server.json for the MCP Registry"
go run ./release/cmd/releasemeta serverjson -dist dist

echo "== sizes"
ls -l dist/*.tar.gz dist/*.zip dist/*.mcpb | awk '{printf "   %6.1f MiB  %s\n", $5/1048576, $9}'
echo "== release check passed in $((SECONDS - start)) s"

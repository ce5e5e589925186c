#!/usr/bin/env bash
# The offline test database: FerretDB 1.24 (MongoDB wire protocol) on its SQLite backend.
#
#   scripts/test-db.sh install          build .tools/bin/ferretdb once (needs Go and the Go module proxy)
#   scripts/test-db.sh start [PORT]     start it on 127.0.0.1:PORT (default 27117) with a fresh temporary
#                                       data folder, wait until it answers, print its MONGODB_URI
#   scripts/test-db.sh stop             stop the one started by `start`
#   scripts/test-db.sh serve DIR [PORT] run it in the foreground with its data kept in DIR (used by
#                                       `npm start` when no MongoDB binary can be had)
#
# Used by .ci/run, by developers, and by src/db/embedded.ts.
set -euo pipefail

FERRETDB_VERSION=v1.24.2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin/ferretdb"
run_dir="$root/.tools/run"

install() {
  # The version output is captured first and tested after: piped into `grep -q`, which exits at the
  # first match, ferretdb could die of SIGPIPE and pipefail then failed the check (and rebuilt) at random.
  local have_version=""
  if [ -x "$bin" ]; then have_version="$("$bin" --version 2>/dev/null || true)"; fi
  if [[ "$have_version" == *"$FERRETDB_VERSION"* ]]; then
    return 0
  fi
  command -v go >/dev/null || { echo "test-db: Go is needed to build FerretDB (apt-get install golang, or https://go.dev/dl)" >&2; exit 1; }
  echo "test-db: building FerretDB $FERRETDB_VERSION (about a minute)..." >&2
  # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION` is the documented way, but
  # the module zip lacks build/version/version.txt (so that binary panics at start) and `go install`
  # also asks the proxy for the module's version list, which some proxies refuse. So: download the
  # exact version, add the version file, build.
  local src modcache
  modcache="$(go env GOMODCACHE)"
  go mod download "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >/dev/null
  src="$(mktemp -d)"
  cp -r "$modcache/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION/." "$src"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -o "$bin" ./cmd/ferretdb)
  rm -rf "$src"
}

# Waits until something accepts TCP connections on 127.0.0.1:$1.
wait_for_port() {
  local port=$1
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "test-db: FerretDB did not answer on 127.0.0.1:$port" >&2
  return 1
}

ferretdb_args() {
  local dir=$1 port=$2
  echo --handler=sqlite "--sqlite-url=file:$dir/" "--listen-addr=127.0.0.1:$port" \
    --telemetry=disable --debug-addr=- --state-dir=- --log-level=warn
}

start() {
  local port=${1:-27117}
  install
  stop
  mkdir -p "$run_dir"
  local data
  data="$(mktemp -d)"
  # shellcheck disable=SC2046
  nohup "$bin" $(ferretdb_args "$data" "$port") >"$run_dir/ferretdb.log" 2>&1 &
  echo $! >"$run_dir/ferretdb.pid"
  echo "$data" >"$run_dir/ferretdb.data"
  wait_for_port "$port"
  echo "mongodb://127.0.0.1:$port/"
}

stop() {
  [ -f "$run_dir/ferretdb.pid" ] || return 0
  kill "$(cat "$run_dir/ferretdb.pid")" 2>/dev/null || true
  [ -f "$run_dir/ferretdb.data" ] && rm -rf "$(cat "$run_dir/ferretdb.data")"
  rm -f "$run_dir/ferretdb.pid" "$run_dir/ferretdb.data"
}

serve() {
  local dir=$1 port=${2:-27117}
  install
  mkdir -p "$dir"
  # shellcheck disable=SC2046
  exec "$bin" $(ferretdb_args "$dir" "$port")
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  serve) serve "${2:?data folder}" "${3:-}" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The second test database: mongo-java-server 1.47 (in memory, MongoDB wire protocol, reports 4.4 / wire 9).
#
#   scripts/mongo-java-server.sh install          build .tools/mongo-java-server/test-mongo-server.jar from
#                                                 tools/mongo-java-server (needs Java 17+ and Maven; once,
#                                                 again only when the pom or the sources change)
#   scripts/mongo-java-server.sh start [PORT]     start it on 127.0.0.1:PORT (default 27118), wait until it
#                                                 answers, print its MONGODB_URI (and nothing else on stdout)
#   scripts/mongo-java-server.sh stop             stop the one started by `start`
#
# Data lives in the server's memory only: every start is empty. Run the tests against it with
#   MONGODB_URI="$(scripts/mongo-java-server.sh start)" npx jest
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/tools/mongo-java-server"
out_dir="$root/.tools/mongo-java-server"
jar="$out_dir/test-mongo-server.jar"
stamp="$out_dir/test-mongo-server.sources.sha256"
run_dir="$root/.tools/run"
pidfile="$run_dir/mongo-java-server.pid"
logfile="$run_dir/mongo-java-server.log"
java_opts=(-Xmx256m -XX:+UseSerialGC)

die() {
  echo "mongo-java-server: $*" >&2
  exit 1
}

need_java() {
  command -v java >/dev/null ||
    die "Java 17 or newer is needed to run mongo-java-server (apt-get install openjdk-17-jdk-headless maven)"
  # Captured first, then tested: piping `java -version` into `grep -q` under pipefail fails at random.
  local version major
  version="$(java -version 2>&1)"
  major="$(sed -n 's/.*version "\([0-9]*\).*/\1/p' <<<"$version")"
  major="${major%%$'\n'*}"
  if [ -n "$major" ] && [ "$major" -lt 17 ]; then
    die "Java 17 or newer is needed to run mongo-java-server, this java is version $major (apt-get install openjdk-17-jdk-headless maven)"
  fi
}

# A checksum of everything the jar is built from: the pom and every file under src/.
sources_sum() {
  local files
  files="$(cd "$project" && find pom.xml src -type f | LC_ALL=C sort)"
  (cd "$project" && xargs -d '\n' sha256sum <<<"$files") | sha256sum | cut -d' ' -f1
}

install() {
  need_java
  local sum
  sum="$(sources_sum)"
  if [ -f "$jar" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  command -v mvn >/dev/null ||
    die "Maven is needed to build mongo-java-server (apt-get install openjdk-17-jdk-headless maven)"
  echo "mongo-java-server: building the server jar with Maven (a few seconds, longer the first time)..." >&2
  mkdir -p "$out_dir"
  local build_log="$out_dir/build.log"
  # Maven's own output goes to a log (even -q prints colour codes on stdout), shown only on failure.
  if ! (cd "$project" && mvn -q -B clean package) >"$build_log" 2>&1; then
    cat "$build_log" >&2
    die "the Maven build failed (log above, also in $build_log)"
  fi
  cp "$project/target/test-mongo-server.jar" "$jar.tmp"
  mv -f "$jar.tmp" "$jar"
  echo "$sum" >"$stamp"
}

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until the server started as $1 accepts TCP connections on 127.0.0.1:$2.
wait_for_port() {
  local pid=$1 port=$2
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$logfile" >&2 || true
      rm -f "$pidfile"
      die "the server stopped before it answered on 127.0.0.1:$port (log above, also in $logfile)"
    fi
    if port_answers "$port"; then return 0; fi
    sleep 0.1
  done
  die "the server did not answer on 127.0.0.1:$port within 30 s (log: $logfile)"
}

start() {
  local port=${1:-27118}
  install
  stop
  if port_answers "$port"; then
    die "something else already listens on 127.0.0.1:$port; pass another port: $0 start PORT"
  fi
  mkdir -p "$run_dir"
  nohup java "${java_opts[@]}" -jar "$jar" "$port" </dev/null >"$logfile" 2>&1 &
  local pid=$!
  echo "$pid" >"$pidfile"
  wait_for_port "$pid" "$port"
  echo "mongodb://127.0.0.1:$port/"
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  # Only the process that `start` left there: a pid can be reused once that one is gone.
  if [ -n "$pid" ] && grep -qa 'test-mongo-server.jar' "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "mongo-java-server: pid $pid did not stop within 10 s of SIGTERM; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac

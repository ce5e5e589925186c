#!/usr/bin/env bash
# Proves that a production install starts and serves, as a deployment would make one:
#
#   scripts/production-install.sh MONGODB_URI
#
# In a fresh copy of the committed tree: npm ci, npm run build, npm prune --omit=dev (no
# development dependency left), then NODE_ENV=production node dist/server.js against MONGODB_URI
# (a database of its own on that server). Passes when /healthz and /products answer 200; then it
# stops the server. Used by .ci/run.
set -euo pipefail

uri_base="${1:?usage: scripts/production-install.sh MONGODB_URI}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
copy="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$copy"
}
trap cleanup EXIT

git -C "$root" archive HEAD | tar -x -C "$copy"
cd "$copy"
export MONGOMS_DISABLE_POSTINSTALL=1
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
npm prune --omit=dev --no-audit --no-fund --loglevel=error
if [ -d node_modules/mongodb-memory-server ] || [ -d node_modules/typescript ]; then
  echo "production-install: development dependencies are still installed" >&2
  exit 1
fi

port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
database="${uri_base%/}"
database="${database%%\?*}/shop_production_check_$$"
secret() { node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"; }
NODE_ENV=production PORT="$port" HOST=127.0.0.1 MONGODB_URI="$database" \
  SESSION_SECRET="$(secret)" SESSION_ID_HASH_SECRET="$(secret)" DATA_ENCRYPTION_KEY="$(secret)" \
  APP_URL="https://shop.example" SMTP_URL="smtp://127.0.0.1:2525" TRUST_PROXY=1 \
  PAYMENT_PROVIDER=stripe STRIPE_SECRET_KEY=sk_test_production_check STRIPE_WEBHOOK_SECRET=whsec_production_check \
  node dist/server.js >"$copy/server.log" 2>&1 &
server_pid=$!

status_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1" || true; }
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "production-install: the server exited:" >&2
    cat "$copy/server.log" >&2
    exit 1
  fi
  [ "$(status_of /healthz)" = 200 ] && break
  sleep 0.2
done
for path in /healthz /products; do
  got="$(status_of "$path")"
  if [ "$got" != 200 ]; then
    echo "production-install: GET $path answered $got, not 200:" >&2
    cat "$copy/server.log" >&2
    exit 1
  fi
done
node -e "
const { MongoClient } = require('mongodb');
MongoClient.connect(process.argv[1]).then(async (client) => { await client.db().dropDatabase(); await client.close(); });
" "$database" 2>/dev/null || true
echo "production-install: a production install (no development dependencies) started and served /healthz and /products"

#!/usr/bin/env bash
# importInteractions rows per second of one or more kaim binaries, side by side in one run:
# for each binary, backend (SQLite, PostgreSQL) and number of callers (1, 4), a fresh demo
# database (`kaim seed --demo --clients 1000`), then the perf rig's own load generator
# (../shared/perf-rig/kaim/tools/import.py: ROWS rows in batches of 1,000) over HTTP.
#
#   scripts/import-rate.sh BINARY [BINARY...]        # e.g. an old build and target/release/kaim
#   ROWS=100000 scripts/import-rate.sh target/release/kaim
#
# Prints one line per cell. Loopback only; PostgreSQL at $PG_URL (its server must allow
# CREATE DATABASE); every server it starts is stopped, every database it makes dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-20000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
RIG=${RIG:-../shared/perf-rig/kaim}
SECRET=import-rate-secret-0123456789abcdef0123456789
unset KAIM_DATABASE_URL
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/graphql"
for bin in "$@"; do
  for backend in sqlite postgres; do
    for callers in 1 4; do
      dir=$work/data-$RANDOM
      mkdir -p "$dir"
      env=(KAIM_DATA_DIR="$dir" KAIM_JWT_SECRET="$SECRET" KAIM_LISTEN="127.0.0.1:$port" RUST_LOG=error)
      if [[ $backend == postgres ]]; then
        db=kaim_import_rate_$RANDOM
        psql "$PG_URL" -qc "CREATE DATABASE $db"
        env+=(KAIM_DATABASE_URL="${PG_URL%/*}/$db")
      else
        unset db
      fi
      env "${env[@]}" "$bin" seed --demo --clients 1000 >/dev/null
      token=$(env "${env[@]}" "$bin" token --role INTEGRATOR --name "import rate")
      env "${env[@]}" "$bin" serve >/dev/null 2>&1 &
      pid=$!
      until curl -sf "http://127.0.0.1:$port/ready" >/dev/null; do sleep 0.2; done
      python3 "$RIG/tools/list_clients.py" "$url" "$token" > "$work/ids.txt"
      python3 "$RIG/tools/import.py" "$url" "$token" "$work/ids.txt" "$ROWS" 1000 "$callers" rate "$work/out.json" >/dev/null
      rate=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rows_per_s"], "rows/s,", d["retries"], "retries,", d["failed_batches"], "failed batches")' "$work/out.json")
      echo "$(basename "$bin") $backend callers=$callers rows=$ROWS: $rate"
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
      [[ -n ${db:-} ]] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db"
    done
  done
done

#!/usr/bin/env bash
# Platform benchmarks: audit-log appends per second (SQLite and PostgreSQL) and API latency under
# load from a second process (wrk). Usage:
#   bench/platform/run.sh [BINARY] [POSTGRES_URL]
# BINARY defaults to a release build (.build/release/clearinghouse); POSTGRES_URL to
# $CLEARINGHOUSE_TEST_POSTGRES_URL. Needs wrk (apt-get install wrk). Prints Markdown tables.
set -euo pipefail
bin="${1:-.build/release/clearinghouse}"
pg="${2:-${CLEARINGHOUSE_TEST_POSTGRES_URL:-}}"
duration="${BENCH_DURATION:-15s}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

echo "## Audit appends (one transaction each; chain verified afterwards)"
echo
echo '| engine | writers | entries | appends/s | verify entries/s |'
echo '| --- | --- | --- | --- | --- |'
audit() {
    local json
    json=$("$bin" diagnose audit-throughput --count "$1" --concurrency "$2" ${3:+--database "$3"} 2>/dev/null)
    python3 - "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"| {r['engine']} | {r['concurrency']} | {r['count']} | {r['appends_per_second']:.0f} | {r['verified_entries_per_second']:.0f} |")
PY
}
audit 2000 1
audit 2000 8
if [ -n "$pg" ]; then audit 2000 1 "$pg"; audit 4000 8 "$pg"; audit 4000 32 "$pg"; fi

echo
echo "## API latency under load (wrk, $duration, 2 threads, from a second process)"
echo
echo '| engine | route | connections | requests/s | p50 | p99 |'
echo '| --- | --- | --- | --- | --- | --- |'
serve_and_measure() {
    local engine="$1" dir port log token
    dir=$(mktemp -d)
    log="$dir/serve.log"
    if [ "$engine" = postgres ]; then
        local schema="bench_api_$$"
        su postgres -c "psql -q -d ch_test -c 'DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema AUTHORIZATION ch'" >/dev/null 2>&1 || true
        export CLEARINGHOUSE_SECRET_KEY="${CLEARINGHOUSE_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}"
        db=(--database "$pg&search_path=$schema")
    else
        db=(--data-dir "$dir/data")
    fi
    "$bin" serve --port 0 --log-level error "${db[@]}" >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    token=$("$bin" admin token create --user admin "${db[@]}" 2>/dev/null)
    for route in /healthz /api/v1/me /api/v1/orgs; do
        for conns in 16 64; do
            out=$(wrk -t2 -c"$conns" -d"$duration" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port$route")
            rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
            p50=$(echo "$out" | awk '$1=="50%" {print $2}')
            p99=$(echo "$out" | awk '$1=="99%" {print $2}')
            errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
            echo "| $engine | GET $route | $conns | $rps | $p50 | $p99 |${errors:+ non-2xx: $errors}"
        done
    done
    kill -TERM "$pid"; wait "$pid" || true
    rm -rf "$dir"
}
serve_and_measure sqlite
if [ -n "$pg" ]; then serve_and_measure postgres; fi

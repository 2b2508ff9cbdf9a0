#!/usr/bin/env bash
# bench/pg_compare.sh — Lahza's ledger on PostgreSQL against PostgreSQL's own
# TPC-B (pgbench), on the same throw-away cluster in the same run (issue 4).
# Prints Lahza durable transfers/s divided by pgbench's tps; the target is 5x.
#
#   bench/pg_compare.sh [SECONDS]          (default 20 s per side)
# Env: LAHZA_BUILD (default build-rel, then build/release, then build), PGBENCH_CLIENTS (8),
#      PGBENCH_JOBS (2), PGBENCH_SCALE (10), LAHZA_BENCH_THREADS (16).
# Both sides are durable (fsync on, synchronous_commit on, the cluster's
# defaults): pgbench commits one TPC-B transaction (5 statements) per client
# round trip; Lahza group-commits many transfers per COMMIT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
source "$(dirname "$0")/find_binary.sh"
bench_bin=$(lahza_binary bench/lahza_ledger_bench)

pgdir=$(mktemp -d /tmp/lahza-pgcompare-XXXXXX)
cleanup() { "$root/scripts/pg-stop" "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
url=$("$root/scripts/pg-start" "$pgdir")
echo "cluster: $url"

echo "== pgbench TPC-B: scale ${PGBENCH_SCALE:-10}, ${PGBENCH_CLIENTS:-8} clients, ${PGBENCH_JOBS:-2} threads, ${seconds}s"
pgbench -q -i -s "${PGBENCH_SCALE:-10}" "$url" >/dev/null 2>&1
pg_out=$(pgbench -c "${PGBENCH_CLIENTS:-8}" -j "${PGBENCH_JOBS:-2}" -T "$seconds" "$url" 2>&1)
echo "$pg_out" | grep -E '^(number of transactions actually processed|latency average|tps)' | sed 's/^/   /'
pg_tps=$(echo "$pg_out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -1)
[ -n "$pg_tps" ] || { echo "could not read pgbench tps" >&2; echo "$pg_out" >&2; exit 1; }

echo "== Lahza ledger on PostgreSQL (same cluster): ${seconds}s"
lahza_out=$("$bench_bin" --pg "$url" --no-sqlite --seconds "$seconds" --threads "${LAHZA_BENCH_THREADS:-16}" 2>&1)
echo "$lahza_out" | sed 's/^/   /'
lahza_tps=$(echo "$lahza_out" | sed -n 's/^[^ ]* *\([0-9.]*\) durable transfers\/s.*/\1/p' | tail -1)
[ -n "$lahza_tps" ] || { echo "could not read Lahza transfers/s" >&2; exit 1; }
echo "$lahza_out" | grep -q 'INVARIANT VIOLATED' && { echo "ledger invariants violated" >&2; exit 1; }

ratio=$(awk -v a="$lahza_tps" -v b="$pg_tps" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 5 ? "meets" : "misses") }')
echo "== Lahza ${lahza_tps} transfers/s / pgbench ${pg_tps} tps = ${ratio}x (target >= 5x: ${verdict})"

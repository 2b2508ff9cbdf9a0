#!/usr/bin/env bash
# bench/instructions.sh [TOP] — user-space instructions per HTTP transfer, the
# figure to compare builds by on a machine whose speed drifts 10-20 % within
# the hour (transfers/s does; this repeats within ≈ 2 %).
#
# Runs lahza_http_bench twice under callgrind (8 connections, 20 customers;
# 2 s and 8 s of load) and divides the difference in instructions by the
# difference in transfers, so set-up and onboarding cancel out. Kernel time
# (TCP, fsync, scheduling) is not counted. With TOP, also prints the TOP
# functions by inclusive instructions per transfer.
# LAHZA_BUILD=folder picks the build (default: build-rel, then build/release, then build).
# Needs valgrind (apt-get install valgrind); takes about a minute.
set -euo pipefail
top=${1:-0}
source "$(dirname "$0")/find_binary.sh"
bin=$(lahza_binary bench/lahza_http_bench)
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install valgrind" >&2; exit 1; }
work=$(mktemp -d /tmp/lahza-instructions.XXXXXX)
trap 'rm -rf "$work"' EXIT

run() {  # run NAME SECONDS -> prints transfers completed
  valgrind --tool=callgrind --callgrind-out-file="$work/$1.%p" "$bin" --connections 8 --threads 8 \
    --customers 20 --seconds "$2" >"$work/$1.out" 2>"$work/$1.err" ||
    { echo "the bench failed under valgrind:" >&2; tail -5 "$work/$1.err" >&2; exit 1; }
  awk '/transfers completed/ {print $3}' "$work/$1.out"
}
short=$(run short 2)
long=$(run long 8)
callgrind_annotate --inclusive=yes --threshold=100 "$work"/short.* >"$work/short.txt" 2>/dev/null
callgrind_annotate --inclusive=yes --threshold=100 "$work"/long.* >"$work/long.txt" 2>/dev/null
python3 - "$short" "$long" "$top" "$work/short.txt" "$work/long.txt" <<'PY'
import re, sys
short, long_, top = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def load(path):
    totals = {}
    for line in open(path):
        m = re.match(r'\s*([\d,]+) \([^)]*\)\s+(.*)$', line)
        if not m:
            continue
        name, count = m.group(2), int(m.group(1).replace(',', ''))
        if name != 'PROGRAM TOTALS':
            if not re.search(r'\[[^\]]+\]\s*$', name):
                continue  # call-site lines; keep each function's own total
            name = re.sub(r'\s*\[[^\]]+\]\s*$', '', re.sub(r'^\S*?:', '', name, count=1))
        totals[name] = totals.get(name, 0) + count
    return totals
a, b = load(sys.argv[4]), load(sys.argv[5])
if long_ <= short:
    sys.exit('the longer run completed no more transfers (%d vs %d)' % (short, long_))
per = lambda k: (b.get(k, 0) - a.get(k, 0)) / (long_ - short)
total = per('PROGRAM TOTALS')
print('transfers: %d and %d; instructions per transfer: %.0f k' % (short, long_, total / 1000))
rows = sorted(((per(k), k) for k in b if k != 'PROGRAM TOTALS' and 'lahza::' in k), reverse=True)
for value, name in rows[:top]:
    print('%9.1f k %5.1f %%  %s' % (value / 1000, 100 * value / total, name[:120]))
PY

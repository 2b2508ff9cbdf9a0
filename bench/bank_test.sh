#!/usr/bin/env bash
# bench/bank_test.sh [SECONDS] [CLIENTS] — the long bank test: the same test
# as ctest's BankTest (tests/reliability/bank_test.cc), run for longer with
# more clients. Default 300 s, 16 clients, a SIGKILL every 5 s.
# LAHZA_BANK_DB=postgresql://... runs it on PostgreSQL (default: SQLite).
set -euo pipefail
source "$(dirname "$0")/find_binary.sh"
bin=$(lahza_binary tests/reliability/reliability_tests)
export LAHZA_BANK_SECONDS=${1:-300}
export LAHZA_BANK_CLIENTS=${2:-16}
export LAHZA_BANK_KILL_MS=${LAHZA_BANK_KILL_MS:-5000}
exec "$bin" --gtest_filter='BankTest.*'

#!/usr/bin/env bash
# Runs the RBAC and deletion integration tests K times (default 20), each run on a fresh control plane, and
# prints `N passed, M failed`. A run passes when every test of the three files passes. The output of failed
# runs is kept in $LOOP_LOG_DIR (default: a temporary directory, printed at the start).
#   hack/loop-rbac-deletion.sh [K]
set -u
cd "$(dirname "$0")/.."
runs="${1:-20}"
logs="${LOOP_LOG_DIR:-$(mktemp -d -t rbac-deletion-loop.XXXXXX)}"
mkdir -p "$logs"
echo "logs of failed runs: $logs" >&2
files=(
  test/integration/deploy/operator-rbac.test.ts
  test/integration/deploy/operator-rbac-optional.test.ts
  test/integration/dittoserver/deletion.test.ts
)
passed=0
failed=0
for i in $(seq 1 "$runs"); do
  log="$logs/run-$i.log"
  if npx node --test --test-concurrency=1 --test-global-setup=test/controlplane/global-setup.ts --test-reporter=spec "${files[@]}" >"$log" 2>&1; then
    passed=$((passed + 1))
    rm -f "$log"
  else
    failed=$((failed + 1))
  fi
  echo "run $i/$runs: $passed passed, $failed failed" >&2
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# One command for every dailyfeed benchmark: seeds the benchmark data, runs each service's
# scenarios (bench/*.ts in dailyfeed-<svc>-svc, with `npx tsx`, seed scripts first) and the
# gateway scenario of this folder (requests/s through the gateway vs directly to the service,
# and a hello-world baseline), then prints one table of ratios and saves it under
# bench/results/ as JSON and as a PNG chart. Benchmarks print figures; they assert nothing,
# but a scenario that cannot run at all makes the exit status 1.
#   bench/run.sh [--size small|full] [--only "member timeline gateway"]
# Needs the stack up (local/stack.sh up) for the gateway scenario; the services' scenarios use
# the infrastructure env (DATABASE_URL_<SVC>, REDIS_URL, KAFKA_BROKERS...), taken from the
# environment when set (test.sh exports the test database's), else from
# `local/infra.sh env ${DAILYFEED_BENCH_DB:-dailyfeed}` (the stack's database, migrated by stack.sh up).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../local/lib.sh disable=SC1091
source "$HERE/../local/lib.sh"
if [[ -z ${DATABASE_URL_MEMBER:-} ]]; then
  eval "$("$INFRA" env "${DAILYFEED_BENCH_DB:-dailyfeed}")"
fi
# member-svc's signing keys are sealed with the stack's key-encryption key
if [[ -z ${JWT_KEK:-} && -f $STATE/secrets.env ]]; then
  JWT_KEK=$(secret_value DAILYFEED_JWT_KEK || true)
  export JWT_KEK
fi
exec node "$HERE/run.mjs" "$@"

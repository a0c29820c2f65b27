#!/usr/bin/env bash
# Sets up and runs every dailyfeed test against real servers on this machine:
# installs what is missing (apt, Maven, Go, npm), starts PostgreSQL, Redis, Kafka and
# MinIO (local/infra.sh), builds and migrates every service, runs each suite, brings the
# whole stack up behind the local gateway for the end-to-end suites, and prints one
# closing line `N passed, N failed, N skipped`. Exit status 1 when anything failed.
#   DAILYFEED_TEST_ONLY="shared member"   run only these suites (shared, member, content,
#                                          image, timeline, search, activity, cluster, e2e, faults, split, bench)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=local/lib.sh disable=SC1091
source "$HERE/local/lib.sh"
TEST_DB=${DAILYFEED_TEST_DB:-dailyfeed_test}
RESULTS=$(mktemp -d)
trap 'rm -rf "$RESULTS"' EXIT
declare -a FAILED_SUITES=()

# A step that failed outside a test runner (build, migration, typecheck) counts as one failed test.
fail_step() {
  FAILED_SUITES+=("$1")
  echo '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0}' >"$RESULTS/step-${1// /-}.json"
}

wanted() { [[ -z ${DAILYFEED_TEST_ONLY:-} ]] || [[ " $DAILYFEED_TEST_ONLY " == *" $1 "* ]]; }

# Runs one vitest suite, keeping its counts; a suite that fails is recorded, not fatal.
run_vitest() {
  local name=$1 dir=$2; shift 2
  say "testing $name"
  if (cd "$dir" && npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS/$name.json" "$@"); then :; else FAILED_SUITES+=("$name"); fi
  [[ -f $RESULTS/$name.json ]] || fail_step "$name (no report)"
}

setup_infra() {
  "$INFRA" install
  "$INFRA" up
  "$INFRA" db "$TEST_DB"
  ensure_secret DAILYFEED_JWT_KEK
  eval "$("$INFRA" env "$TEST_DB")"
  export PG_TEST_URL=$PG_ADMIN_URL
}

test_shared() {
  install_deps "$ROOT/dailyfeed-shared"
  say "type-checking dailyfeed-shared"
  (cd "$ROOT/dailyfeed-shared" && npx tsc --noEmit) || fail_step "shared typecheck"
  DATABASE_URL=$PG_ADMIN_URL run_vitest shared "$ROOT/dailyfeed-shared"
}

test_services() {
  local svc services url_var
  mapfile -t services < <(present_services)
  for svc in "${services[@]}"; do
    install_deps "$(service_dir "$svc")"
    build_quietly "$(service_dir "$svc")" || { fail_step "$svc build"; continue; }
    url_var="DATABASE_URL_$(upper "$svc")"
    say "migrating schema $svc in $TEST_DB"
    (cd "$(service_dir "$svc")" && DATABASE_URL="${!url_var}" node dist/migrate.js) || fail_step "$svc migrate"
  done
  for svc in "${services[@]}"; do
    wanted "$svc" || continue
    url_var="DATABASE_URL_$(upper "$svc")"
    DATABASE_URL="${!url_var}" JWT_KEK="$(secret_value DAILYFEED_JWT_KEK)" run_vitest "$svc" "$(service_dir "$svc")"
  done
}

test_installer() {
  install_deps "$HERE"
  wanted cluster && run_vitest cluster "$HERE" test/cluster test/gateway test/services
  if wanted e2e || wanted faults || wanted bench; then
    say "bringing the whole stack up for the end-to-end suites"
    # The services were just built above: start them as they are.
    if DAILYFEED_SKIP_BUILD=1 "$HERE/local/stack.sh" up; then
      export DAILYFEED_GATEWAY_URL="http://127.0.0.1:${DAILYFEED_GATEWAY_PORT:-8080}"
      if wanted e2e && [[ -d $HERE/test/e2e ]]; then run_vitest e2e "$HERE" test/e2e; fi
      if wanted faults && [[ -d $HERE/test/faults ]]; then run_vitest faults "$HERE" test/faults; fi
      if wanted bench && [[ -f $HERE/bench/run.sh ]]; then
        say "benchmarks at the small size"
        # Against the running stack's database (and its key-encryption key), not the test database.
        (unset "${!DATABASE_URL_@}"; "$HERE/bench/run.sh" --size small) || fail_step "bench"
      fi
    else
      fail_step "stack up"
    fi
  fi
  if wanted split && [[ -d $HERE/test/split ]]; then run_vitest split "$HERE" test/split; fi
}

summary() {
  # shellcheck disable=SC2016 # JavaScript template literals, not shell
  node -e '
    const fs = require("fs"); const dir = process.argv[1];
    let passed = 0, failed = 0, skipped = 0;
    for (const f of fs.readdirSync(dir).sort()) {
      const r = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
      const s = (r.numPendingTests || 0) + (r.numTodoTests || 0);
      console.log(`  ${f.replace(/\.json$/, "").padEnd(10)} | passed ${r.numPassedTests} | failed ${r.numFailedTests} | skipped ${s}`);
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += s;
    }
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  ' "$RESULTS"
}

main() {
  local started=$SECONDS
  setup_infra
  wanted shared && test_shared
  test_services
  test_installer
  say "suites:"
  summary
  say "all tests took $((SECONDS - started))s"
  if ((${#FAILED_SUITES[@]} > 0)); then
    printf 'test.sh: failed: %s\n' "${FAILED_SUITES[*]}" >&2
    exit 1
  fi
}

main "$@"

#!/usr/bin/env bash
# Helpers shared by stack.sh and ../test.sh (sourced, not run).
LIB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LIB_HERE/../.." && pwd)
export INFRA="$LIB_HERE/infra.sh"
STATE=${DAILYFEED_HOME:-$HOME/.dailyfeed}
RUN_DIR="$STATE/run"
LOG_DIR="$STATE/logs"
SERVICES=(member content image timeline search activity)
mkdir -p "$RUN_DIR" "$LOG_DIR"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
upper() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }
service_dir() { echo "$ROOT/dailyfeed-$1-svc"; }

ensure_secret() {
  local name=$1 file="$STATE/secrets.env"
  touch "$file" && chmod 600 "$file"
  grep -q "^$name=" "$file" || printf '%s=%s\n' "$name" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >>"$file"
}
secret_value() { grep "^$1=" "$STATE/secrets.env" | cut -d= -f2-; }

# npm ci only when the lockfile changed since the last install here.
install_deps() {
  local dir=$1 marker
  marker="$dir/node_modules/.dailyfeed-lock"
  if [[ -f $marker ]] && cmp -s "$dir/package-lock.json" "$marker"; then return 0; fi
  say "installing $(basename "$dir") dependencies"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dir (is the npm registry reachable?)"
  cp "$dir/package-lock.json" "$marker"
}

# Builds a service (prisma generate, typecheck, bundle); the log is kept, shown on failure.
build_quietly() {
  local dir=$1 log
  log="$LOG_DIR/build-$(basename "$dir").log"
  say "building $(basename "$dir")"
  if (cd "$dir" && npm run --silent build >"$log" 2>&1); then return 0; fi
  tail -40 "$log" >&2
  say "build of $(basename "$dir") failed: see $log"
  return 1
}

present_services() {
  local svc
  for svc in "${SERVICES[@]}"; do
    if [[ -f $(service_dir "$svc")/package.json ]]; then echo "$svc"; else say "WARNING: dailyfeed-$svc-svc has no package.json yet: skipped"; fi
  done
}

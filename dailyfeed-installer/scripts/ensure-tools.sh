#!/usr/bin/env bash
# Makes the linters of the offline tests available: actionlint (built from the Go module proxy
# into ${DAILYFEED_CACHE:-$HOME/.cache/dailyfeed}/bin) and shellcheck (Debian package).
# Safe to re-run; prints where each tool is, or why it is missing (the tests then skip, saying so).
set -euo pipefail

ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.7}"
CACHE="${DAILYFEED_CACHE:-$HOME/.cache/dailyfeed}"
BIN="$CACHE/bin"
mkdir -p "$BIN"

log() { printf '%s\n' "$*" >&2; }

if [[ -x "$BIN/actionlint" ]] || command -v actionlint >/dev/null 2>&1; then
  log "actionlint: $(command -v actionlint || echo "$BIN/actionlint")"
elif command -v go >/dev/null 2>&1; then
  log "actionlint: building ${ACTIONLINT_VERSION} with go install (once; cached in $BIN)"
  GOBIN="$BIN" GOFLAGS=-mod=mod nice -n 10 go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" ||
    log "actionlint: go install failed; workflow lint tests will be skipped"
else
  log "actionlint: no Go toolchain; workflow lint tests will be skipped"
fi

if command -v shellcheck >/dev/null 2>&1; then
  log "shellcheck: $(command -v shellcheck)"
elif command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
  log "shellcheck: installing the Debian package"
  { apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }; } ||
    log "shellcheck: apt-get failed; shell lint tests will be skipped"
else
  log "shellcheck: not installed and apt-get is not usable here; shell lint tests will be skipped"
fi

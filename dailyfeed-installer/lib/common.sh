#!/usr/bin/env bash
# Shared helpers and pinned versions for install.sh, uninstall.sh and canary.sh.
# Sourced, never run. Everything it prints goes to stderr: stdout stays for data.

# ---- pinned versions (bump on purpose, then run the offline tests) ----------
# kind node image: a Kubernetes release that the pinned Istio supports.
# The node image is also written in kind/cluster.yaml; a test checks both agree.
DAILYFEED_KIND_NODE_IMAGE="kindest/node:v1.33.1"
DAILYFEED_KIND_MIN_VERSION="0.29.0"
DAILYFEED_ISTIO_VERSION="1.29.2"
DAILYFEED_METRICS_SERVER_VERSION="v0.8.0"
export DAILYFEED_KIND_NODE_IMAGE DAILYFEED_KIND_MIN_VERSION DAILYFEED_ISTIO_VERSION DAILYFEED_METRICS_SERVER_VERSION

# ---- names shared by the scripts and the manifests --------------------------
DAILYFEED_NS="dailyfeed"
DAILYFEED_INFRA_NS="dailyfeed-infra"
DAILYFEED_CLUSTER_NAME="${DAILYFEED_CLUSTER_NAME:-dailyfeed}"
# every service, in migration order: data owners first, readers of their tables after
DAILYFEED_SERVICES=(member content image timeline search activity)
export DAILYFEED_NS DAILYFEED_INFRA_NS DAILYFEED_CLUSTER_NAME

# ---- logging (stderr) --------------------------------------------------------
if [[ -t 2 ]]; then
  _c_info=$'\033[1;34m'; _c_warn=$'\033[1;33m'; _c_err=$'\033[1;31m'; _c_off=$'\033[0m'
else
  _c_info=""; _c_warn=""; _c_err=""; _c_off=""
fi
log() { printf '%s\n' "$*" >&2; }
info() { printf '%s==>%s %s\n' "$_c_info" "$_c_off" "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_warn" "$_c_off" "$*" >&2; }
error() { printf '%serror:%s %s\n' "$_c_err" "$_c_off" "$*" >&2; }
die() { error "$*"; exit 1; }

# require_tools TOOL... : fail with one message naming every missing tool and where to get it
require_tools() {
  local missing=() t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) && return 0
  error "missing required tools: ${missing[*]}"
  for t in "${missing[@]}"; do
    case "$t" in
      docker) log "  docker:   https://docs.docker.com/engine/install/ (the daemon must be running)" ;;
      kind) log "  kind:     https://kind.sigs.k8s.io/docs/user/quick-start/#installation (>= v${DAILYFEED_KIND_MIN_VERSION})" ;;
      kubectl) log "  kubectl:  https://kubernetes.io/docs/tasks/tools/" ;;
      istioctl) log "  istioctl: curl -L https://istio.io/downloadIstio | ISTIO_VERSION=${DAILYFEED_ISTIO_VERSION} sh -" ;;
      helm) log "  helm:     https://helm.sh/docs/intro/install/" ;;
      openssl) log "  openssl:  your OS package manager (e.g. apt-get install openssl)" ;;
      *) log "  $t: install it with your OS package manager" ;;
    esac
  done
  exit 1
}

# version_ge A B : true when dotted version A >= B
version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# rand_hex N : N random bytes as hex (URL-safe, no quoting needed in connection strings)
rand_hex() { openssl rand -hex "$1"; }

# secret_value NAMESPACE NAME KEY : the decoded value, or nothing when absent (never printed by callers)
secret_value() {
  local b64
  b64="$(kubectl get secret "$2" -n "$1" -o "jsonpath={.data.$3}" 2>/dev/null || true)"
  [[ -n "$b64" ]] && printf '%s' "$b64" | base64 -d
  return 0
}

# apply_secret_from_env_file NAMESPACE NAME FILE : create or update a generic secret
apply_secret_from_env_file() {
  kubectl create secret generic "$2" -n "$1" --from-env-file="$3" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}

# svc_name SHORT : dailyfeed-SHORT-svc
svc_name() { printf 'dailyfeed-%s-svc' "$1"; }

# is_service SHORT : true when SHORT is one of the six services
is_service() {
  local s
  for s in "${DAILYFEED_SERVICES[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

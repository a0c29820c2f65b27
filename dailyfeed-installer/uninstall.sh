#!/usr/bin/env bash
# Removes what install.sh created: by default the whole kind cluster; with --keep-cluster only
# dailyfeed's namespaces (data volumes included), its Istio config and metrics-server stay.
set -euo pipefail

INSTALLER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$INSTALLER_DIR/lib/common.sh"

usage() {
  cat <<USAGE
Usage: ./uninstall.sh [options]
       ./uninstall.sh --local [args...]   stop the local stack (local/stack.sh down [args...])
  --keep-cluster        delete dailyfeed's namespaces and gateway config, keep the kind cluster
  --cluster-name NAME   kind cluster name (default dailyfeed)
  -y, --yes             do not ask for confirmation
  -h, --help            this text
USAGE
}

cleanup() { :; }
trap cleanup EXIT

if [[ "${1:-}" == "--local" ]]; then
  shift
  [[ -f "$INSTALLER_DIR/local/stack.sh" ]] || die "local/stack.sh not found beside the installer"
  exec bash "$INSTALLER_DIR/local/stack.sh" down "$@"
fi

KEEP_CLUSTER=false
YES=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep-cluster) KEEP_CLUSTER=true; shift ;;
    --cluster-name) [[ $# -ge 2 ]] || die "--cluster-name needs a value"; DAILYFEED_CLUSTER_NAME="$2"; shift 2 ;;
    -y | --yes) YES=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

if ! $YES && [[ -t 0 ]]; then
  read -r -p "This deletes dailyfeed and all its data in kind cluster '$DAILYFEED_CLUSTER_NAME'. Continue? [y/N] " answer
  [[ "$answer" =~ ^[Yy]$ ]] || die "aborted"
fi

if $KEEP_CLUSTER; then
  require_tools kubectl
  kubectl config use-context "kind-$DAILYFEED_CLUSTER_NAME" >/dev/null
  info "deleting dailyfeed's namespaces and gateway rate limit"
  kubectl -n istio-system delete envoyfilter dailyfeed-gateway-local-ratelimit --ignore-not-found
  kubectl delete -f "$INSTALLER_DIR/k8s/namespaces.yaml" --ignore-not-found --wait=true
  info "done (Istio and metrics-server kept)"
else
  require_tools kind
  if kind get clusters 2>/dev/null | grep -qx "$DAILYFEED_CLUSTER_NAME"; then
    info "deleting kind cluster $DAILYFEED_CLUSTER_NAME"
    kind delete cluster --name "$DAILYFEED_CLUSTER_NAME"
  else
    info "no kind cluster named $DAILYFEED_CLUSTER_NAME: nothing to do"
  fi
fi

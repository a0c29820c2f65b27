#!/usr/bin/env bash
# Canary release of one service: a v2 Deployment beside v1, VirtualService weights shifted
# 5% -> 10% -> 50% -> 100% one `step` at a time; `rollback` sends everything back to v1 at
# once; `promote` rolls v1 onto v2's image, routes 100% to v1 and removes v2.
set -euo pipefail

INSTALLER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$INSTALLER_DIR/lib/common.sh"

STEPS=(5 10 50 100)

usage() {
  cat <<USAGE
Usage: ./canary.sh <service> <step|rollback|promote|status> [options]
  service    one of: ${DAILYFEED_SERVICES[*]}
  step       first call: run the migration Job with the new image, deploy v2, route 5% to it;
             later calls: 10%, 50%, 100%
  rollback   route 100% to v1 at once and delete v2
  promote    set v1's image to v2's, wait for the rollout, route 100% to v1, delete v2
  status     print the current v2 weight
Options (first step only):
  --tag TAG            image tag of v2 (image REGISTRY/dailyfeed-<svc>-svc:TAG)
  --image IMAGE        full image reference of v2 instead of --registry/--tag
  --registry REGISTRY  default \$DAILYFEED_REGISTRY or ghcr.io/dailyfeed
  -h, --help           this text
USAGE
}

WORKDIR=""
cleanup() { [[ -z "$WORKDIR" ]] || rm -rf "$WORKDIR"; }
trap cleanup EXIT

[[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" ) ]] && { usage; exit 0; }
[[ $# -ge 2 ]] || { usage >&2; die "need a service and an action"; }
SERVICE="$1"
ACTION="$2"
shift 2
is_service "$SERVICE" || die "unknown service: $SERVICE (one of: ${DAILYFEED_SERVICES[*]})"
case "$ACTION" in step | rollback | promote | status) ;; *) usage >&2; die "unknown action: $ACTION" ;; esac

TAG=""
IMAGE=""
REGISTRY="${DAILYFEED_REGISTRY:-ghcr.io/dailyfeed}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) [[ $# -ge 2 ]] || die "--tag needs a value"; TAG="$2"; shift 2 ;;
    --image) [[ $# -ge 2 ]] || die "--image needs a value"; IMAGE="$2"; shift 2 ;;
    --registry) [[ $# -ge 2 ]] || die "--registry needs a value"; REGISTRY="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

require_tools kubectl
NAME="$(svc_name "$SERVICE")"
NS="$DAILYFEED_NS"
FQDN="$NAME.$NS.svc.cluster.local"
VS_NAMES=("$NAME-gateway" "$NAME")
ROUTING="$INSTALLER_DIR/k8s/istio/routing/$SERVICE.yaml"
DR="$INSTALLER_DIR/k8s/istio/destination-rules/$SERVICE.yaml"
PORT="$(sed -n 's/^ *number: \([0-9]*\)$/\1/p' "$ROUTING" | head -n1)"

current_weight() {
  local w
  w="$(kubectl -n "$NS" get virtualservice "$NAME" -o 'jsonpath={.spec.http[0].route[?(@.destination.subset=="v2")].weight}' 2>/dev/null || true)"
  printf '%s' "${w:-0}"
}

# set_weight W : every HTTP route of both VirtualServices sends W% to v2, the rest to v1
set_weight() {
  local w="$1" vs n i ops route
  route="[{\"destination\":{\"host\":\"$FQDN\",\"subset\":\"v1\",\"port\":{\"number\":$PORT}},\"weight\":$((100 - w))},{\"destination\":{\"host\":\"$FQDN\",\"subset\":\"v2\",\"port\":{\"number\":$PORT}},\"weight\":$w}]"
  for vs in "${VS_NAMES[@]}"; do
    n="$(kubectl -n "$NS" get virtualservice "$vs" -o 'jsonpath={range .spec.http[*]}x{end}')"
    ops=""
    for ((i = 0; i < ${#n}; i++)); do
      ops+="${ops:+,}{\"op\":\"replace\",\"path\":\"/spec/http/$i/route\",\"value\":$route}"
    done
    kubectl -n "$NS" patch virtualservice "$vs" --type=json -p "[$ops]" >/dev/null
  done
  info "$NAME: v1 $((100 - w))%, v2 $w%"
}

# back to the committed routing and subsets (replace, so the v2 subset and weights go away)
reset_routing() {
  kubectl replace -f "$DR" >/dev/null
  kubectl replace -f "$ROUTING" >/dev/null
}

deploy_v2() {
  [[ -n "$IMAGE" ]] || { [[ -n "$TAG" ]] || die "the first step needs --tag TAG or --image IMAGE"; IMAGE="$REGISTRY/$NAME:$TAG"; }
  WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/dailyfeed-canary.XXXXXX")"
  info "migrations of $NAME with $IMAGE (before v2 serves)"
  kubectl -n "$NS" delete job "$NAME-migrate" --ignore-not-found --wait=true >/dev/null
  sed -e "s|image: $NAME\$|image: $IMAGE|" "$INSTALLER_DIR/k8s/migrations/$SERVICE.yaml" | kubectl apply -f - >/dev/null
  kubectl -n "$NS" wait --for=condition=complete "job/$NAME-migrate" --timeout=660s >/dev/null ||
    { kubectl -n "$NS" logs "job/$NAME-migrate" --tail=50 >&2 || true; die "migration failed: v2 not deployed"; }
  info "deploying $NAME-v2 ($IMAGE)"
  # the v1 Deployment of k8s/services/<service>.yaml with name, version label and image changed
  awk '/^---$/ { if (d) { printf "%s", doc; found = 1; exit } doc = ""; next }
       { doc = doc $0 "\n" }
       /^kind: Deployment$/ { d = 1 }
       END { if (d && !found) printf "%s", doc }' "$INSTALLER_DIR/k8s/services/$SERVICE.yaml" |
    sed -e "s|name: $NAME-v1|name: $NAME-v2|" -e 's|version: v1|version: v2|' -e "s|image: $NAME\$|image: $IMAGE|" >"$WORKDIR/v2.yaml"
  kubectl apply -f "$WORKDIR/v2.yaml" >/dev/null
  kubectl -n "$NS" rollout status "deployment/$NAME-v2" --timeout=600s
  if ! kubectl -n "$NS" get destinationrule "$NAME" -o 'jsonpath={.spec.subsets[*].name}' | grep -qw v2; then
    kubectl -n "$NS" patch destinationrule "$NAME" --type=json \
      -p '[{"op":"add","path":"/spec/subsets/-","value":{"name":"v2","labels":{"version":"v2"}}}]' >/dev/null
  fi
}

case "$ACTION" in
  status)
    printf '%s\n' "$(current_weight)"
    ;;
  step)
    w="$(current_weight)"
    next=""
    for s in "${STEPS[@]}"; do
      if ((s > w)); then next="$s"; break; fi
    done
    [[ -n "$next" ]] || die "$NAME already sends 100% to v2: run '$0 $SERVICE promote' (or rollback)"
    if ((w == 0)); then deploy_v2; fi
    set_weight "$next"
    ;;
  rollback)
    info "$NAME: all traffic back to v1"
    reset_routing
    kubectl -n "$NS" delete deployment "$NAME-v2" --ignore-not-found >/dev/null
    ;;
  promote)
    kubectl -n "$NS" get deployment "$NAME-v2" >/dev/null 2>&1 || die "no $NAME-v2 to promote"
    image="$(kubectl -n "$NS" get deployment "$NAME-v2" -o 'jsonpath={.spec.template.spec.containers[0].image}')"
    info "promoting $image to $NAME-v1"
    kubectl -n "$NS" set image "deployment/$NAME-v1" "$NAME=$image" >/dev/null
    kubectl -n "$NS" rollout status "deployment/$NAME-v1" --timeout=600s
    reset_routing
    kubectl -n "$NS" delete deployment "$NAME-v2" --ignore-not-found >/dev/null
    info "$NAME promoted: v1 runs $image"
    ;;
esac

#!/usr/bin/env bash
# dailyfeed installer: a kind cluster with Istio, metrics-server, the infrastructure and the
# six services (default), or the local stack of plain processes (--local).
set -euo pipefail

INSTALLER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$INSTALLER_DIR/lib/common.sh"

usage() {
  cat <<USAGE
Usage: ./install.sh [options]          install dailyfeed into a kind cluster (default)
       ./install.sh --local [args...]  run the local stack instead (local/stack.sh up [args...])

Images (one of):
  --tag TAG               deploy images REGISTRY/dailyfeed-<svc>-svc:TAG (e.g. main-20261128-42)
  --build                 build the images from the service checkouts beside the installer
                          (docker build), load them into kind; TAG defaults to local-<timestamp>
Options:
  --registry REGISTRY     image registry (env DAILYFEED_REGISTRY, default ghcr.io/dailyfeed)
  --addons                also install Kiali, Prometheus, Grafana and Jaeger (Istio samples)
  --frontend-image IMAGE  deploy a web frontend routed at / on the gateway
  --frontend-port PORT    the port that frontend image listens on (default 80)
  --gateway-port PORT     host port of the gateway on 127.0.0.1 (default 8080)
  --rate-limit-tokens N   gateway token bucket size and refill (default 200)
  --rate-limit-interval D gateway token bucket refill interval (default 1s)
  --cors-origins LIST     DAILYFEED_CORS_ORIGINS of the services (comma list)
  --istio-installer X     istioctl | helm (default: istioctl when found, else helm)
  --cluster-name NAME     kind cluster name (default dailyfeed)
  --dry-run               print the manifests that would be applied and exit (needs kubectl only)
  -h, --help              this text

Pinned: kind node ${DAILYFEED_KIND_NODE_IMAGE}, Istio ${DAILYFEED_ISTIO_VERSION}, metrics-server ${DAILYFEED_METRICS_SERVER_VERSION}.
Re-running is safe: resources are applied, secrets are generated once and kept.
USAGE
}

TAG="${DAILYFEED_TAG:-}"
REGISTRY="${DAILYFEED_REGISTRY:-ghcr.io/dailyfeed}"
BUILD=false
ADDONS=false
DRY_RUN=false
FRONTEND_IMAGE=""
FRONTEND_PORT=80
GATEWAY_PORT="${DAILYFEED_GATEWAY_PORT:-8080}"
RATE_LIMIT_TOKENS=200
RATE_LIMIT_INTERVAL=1s
CORS_ORIGINS=""
ISTIO_INSTALLER=""

if [[ "${1:-}" == "--local" ]]; then
  shift
  [[ -f "$INSTALLER_DIR/local/stack.sh" ]] || die "local/stack.sh not found beside the installer"
  exec bash "$INSTALLER_DIR/local/stack.sh" up "$@"
fi

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) need_arg "$@"; TAG="$2"; shift 2 ;;
    --registry) need_arg "$@"; REGISTRY="$2"; shift 2 ;;
    --build) BUILD=true; shift ;;
    --addons) ADDONS=true; shift ;;
    --frontend-image) need_arg "$@"; FRONTEND_IMAGE="$2"; shift 2 ;;
    --frontend-port) need_arg "$@"; FRONTEND_PORT="$2"; shift 2 ;;
    --gateway-port) need_arg "$@"; GATEWAY_PORT="$2"; shift 2 ;;
    --rate-limit-tokens) need_arg "$@"; RATE_LIMIT_TOKENS="$2"; shift 2 ;;
    --rate-limit-interval) need_arg "$@"; RATE_LIMIT_INTERVAL="$2"; shift 2 ;;
    --cors-origins) need_arg "$@"; CORS_ORIGINS="$2"; shift 2 ;;
    --istio-installer) need_arg "$@"; ISTIO_INSTALLER="$2"; shift 2 ;;
    --cluster-name) need_arg "$@"; DAILYFEED_CLUSTER_NAME="$2"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --local) die "--local must be the first argument" ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[[ "$RATE_LIMIT_TOKENS" =~ ^[1-9][0-9]*$ ]] || die "--rate-limit-tokens must be a positive integer"
[[ "$RATE_LIMIT_INTERVAL" =~ ^[0-9]+(ms|s|m)$ ]] || die "--rate-limit-interval must look like 500ms, 1s or 1m"
[[ "$GATEWAY_PORT" =~ ^[0-9]+$ ]] || die "--gateway-port must be a number"
[[ "$FRONTEND_PORT" =~ ^[0-9]+$ ]] || die "--frontend-port must be a number"
if $BUILD; then
  TAG="${TAG:-local-$(date +%Y%m%d%H%M%S)}"
elif [[ -z "$TAG" ]]; then
  die "give --tag TAG (an image tag in $REGISTRY) or --build (see --help)"
fi
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid image tag: $TAG"

WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/dailyfeed-install.XXXXXX")"
chmod 700 "$WORKDIR"
cleanup() {
  local rc=$?
  rm -rf "$WORKDIR"
  ((rc == 0)) || error "install failed (exit $rc); fix the cause and run ./install.sh again: it is safe to re-run"
}
trap cleanup EXIT

K8S="$INSTALLER_DIR/k8s"

# ---- rendering (kustomize overlays in WORKDIR; the committed k8s/ stays untouched) ----------

# images block of a kustomization: bare names -> REGISTRY/name:TAG
images_block() {
  local s
  printf 'images:\n'
  for s in "${DAILYFEED_SERVICES[@]}"; do
    printf '  - name: %s\n    newName: %s/%s\n    newTag: "%s"\n' "$(svc_name "$s")" "$REGISTRY" "$(svc_name "$s")" "$TAG"
  done
}

# render_overlay NAME BASE [extra kustomization text] : prints the rendered YAML.
# BASE is a folder under k8s/; kustomize wants bases by relative path, so the overlay
# lives beside a copy of k8s/ in WORKDIR.
render_overlay() {
  local dir="$WORKDIR/overlay-$1"
  [[ -d "$WORKDIR/k8s" ]] || cp -R "$K8S" "$WORKDIR/k8s"
  mkdir -p "$dir"
  {
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../k8s/%s\n' "$2"
    printf '%s\n' "${3:-}"
  } >"$dir/kustomization.yaml"
  kubectl kustomize "$dir"
}

render_services() {
  local extra
  extra="$(images_block)"
  if [[ -n "$CORS_ORIGINS" ]]; then
    extra+=$'\n'"patches:
  - target: {kind: ConfigMap, name: dailyfeed-config}
    patch: |-
      - op: replace
        path: /data/DAILYFEED_CORS_ORIGINS
        value: \"$CORS_ORIGINS\""
  fi
  render_overlay services services "$extra"
}
render_migrations() { render_overlay migrations migrations "$(images_block)"; }
render_mesh() {
  render_overlay mesh istio/mesh "patches:
  - target: {kind: EnvoyFilter, name: dailyfeed-gateway-local-ratelimit}
    patch: |-
      - op: replace
        path: /spec/configPatches/0/patch/value/typed_config/token_bucket/max_tokens
        value: $RATE_LIMIT_TOKENS
      - op: replace
        path: /spec/configPatches/0/patch/value/typed_config/token_bucket/tokens_per_fill
        value: $RATE_LIMIT_TOKENS
      - op: replace
        path: /spec/configPatches/0/patch/value/typed_config/token_bucket/fill_interval
        value: $RATE_LIMIT_INTERVAL"
}
render_frontend() {
  render_overlay frontend frontend "images:
  - name: dailyfeed-frontend
    newName: ${FRONTEND_IMAGE%:*}
    newTag: \"$( [[ "$FRONTEND_IMAGE" == *:* ]] && printf '%s' "${FRONTEND_IMAGE##*:}" || printf 'latest')\"
patches:
  - target: {kind: Deployment, name: dailyfeed-frontend-v1}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/ports/0/containerPort
        value: $FRONTEND_PORT"
}

render_all() {
  local f
  for f in "$K8S/namespaces.yaml" "$K8S/metrics-server/metrics-server.yaml"; do
    printf -- '---\n'; cat "$f"
  done
  printf -- '---\n'; kubectl kustomize "$K8S/infra"
  printf -- '---\n'; render_mesh
  printf -- '---\n'; kubectl kustomize "$K8S/istio/destination-rules"
  printf -- '---\n'; kubectl kustomize "$K8S/istio/routing"
  printf -- '---\n'; render_migrations
  printf -- '---\n'; render_services
  printf -- '---\n'; kubectl kustomize "$K8S/hpa"
  if [[ -n "$FRONTEND_IMAGE" ]]; then printf -- '---\n'; render_frontend; fi
}

if $DRY_RUN; then
  require_tools kubectl
  render_all
  exit 0
fi

# ---- tools -----------------------------------------------------------------------------------
require_tools docker kind kubectl openssl
if [[ -z "$ISTIO_INSTALLER" ]]; then
  if command -v istioctl >/dev/null 2>&1; then ISTIO_INSTALLER=istioctl
  elif command -v helm >/dev/null 2>&1; then ISTIO_INSTALLER=helm
  else require_tools istioctl; fi
fi
case "$ISTIO_INSTALLER" in
  istioctl | helm) require_tools "$ISTIO_INSTALLER" ;;
  *) die "--istio-installer must be istioctl or helm" ;;
esac
docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer (is Docker running?)"
kind_version="$(kind version | sed -n 's/^kind v\([0-9.]*\).*/\1/p')"
if [[ -n "$kind_version" ]] && ! version_ge "$kind_version" "$DAILYFEED_KIND_MIN_VERSION"; then
  die "kind v$kind_version is older than v$DAILYFEED_KIND_MIN_VERSION, needed for ${DAILYFEED_KIND_NODE_IMAGE}"
fi

# ---- 1. kind cluster -------------------------------------------------------------------------
create_cluster() {
  if kind get clusters 2>/dev/null | grep -qx "$DAILYFEED_CLUSTER_NAME"; then
    info "kind cluster $DAILYFEED_CLUSTER_NAME exists, reusing it"
  else
    info "creating kind cluster $DAILYFEED_CLUSTER_NAME (1 control plane, 2 workers; gateway on 127.0.0.1:$GATEWAY_PORT)"
    sed -e "s/hostPort: 8080/hostPort: $GATEWAY_PORT/" -e "s/^name: dailyfeed$/name: $DAILYFEED_CLUSTER_NAME/" \
      "$INSTALLER_DIR/kind/cluster.yaml" >"$WORKDIR/cluster.yaml"
    kind create cluster --name "$DAILYFEED_CLUSTER_NAME" --config "$WORKDIR/cluster.yaml" --wait 180s
  fi
  kubectl config use-context "kind-$DAILYFEED_CLUSTER_NAME" >/dev/null
  kubectl wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
}

# ---- 2. metrics-server, Istio ----------------------------------------------------------------
install_metrics_server() {
  info "metrics-server ${DAILYFEED_METRICS_SERVER_VERSION}"
  kubectl apply -f "$K8S/metrics-server/metrics-server.yaml" >/dev/null
  kubectl -n kube-system rollout status deployment/metrics-server --timeout=180s
}

install_istio() {
  info "Istio ${DAILYFEED_ISTIO_VERSION} with $ISTIO_INSTALLER"
  if [[ "$ISTIO_INSTALLER" == istioctl ]]; then
    local v
    v="$(istioctl version --remote=false 2>/dev/null | head -n1 | sed 's/^[^0-9]*//')"
    [[ "$v" == "$DAILYFEED_ISTIO_VERSION" ]] ||
      warn "istioctl is $v, the tested version is $DAILYFEED_ISTIO_VERSION (curl -L https://istio.io/downloadIstio | ISTIO_VERSION=$DAILYFEED_ISTIO_VERSION sh -)"
    istioctl install -y -f "$K8S/istio/install/istio-operator.yaml"
  else
    helm repo add istio https://istio-release.storage.googleapis.com/charts --force-update >/dev/null
    helm upgrade --install istio-base istio/base -n istio-system --create-namespace --version "$DAILYFEED_ISTIO_VERSION" --wait
    helm upgrade --install istiod istio/istiod -n istio-system --version "$DAILYFEED_ISTIO_VERSION" \
      --set meshConfig.accessLogFile=/dev/stdout --wait
    helm upgrade --install istio-ingressgateway istio/gateway -n istio-system --version "$DAILYFEED_ISTIO_VERSION" \
      -f "$K8S/istio/install/helm-gateway-values.yaml" --wait
  fi
  kubectl -n istio-system rollout status deployment/istiod --timeout=300s
  kubectl -n istio-system rollout status deployment/istio-ingressgateway --timeout=300s
}

# ---- 3. namespaces and secrets (generated once, kept on re-runs, never printed) -------------
ensure_secrets() {
  info "secrets (generated on first install, kept afterwards)"
  local env_file="$WORKDIR/infra.env" s key
  : >"$env_file"
  chmod 600 "$env_file"
  # keep_or_new KEY GENERATOR... : existing value of dailyfeed-infra-secrets, else a new one
  keep_or_new() {
    local k="$1" v
    shift
    v="$(secret_value "$DAILYFEED_INFRA_NS" dailyfeed-infra-secrets "$k")"
    [[ -n "$v" ]] || v="$("$@")"
    printf '%s=%s\n' "$k" "$v" >>"$env_file"
  }
  keep_or_new POSTGRES_PASSWORD rand_hex 24
  for s in "${DAILYFEED_SERVICES[@]}"; do
    keep_or_new "DAILYFEED_${s^^}_DB_PASSWORD" rand_hex 24
  done
  keep_or_new REDIS_PASSWORD rand_hex 24
  keep_or_new MINIO_ROOT_USER printf 'dailyfeed-%s' "$(rand_hex 4)"
  keep_or_new MINIO_ROOT_PASSWORD rand_hex 24
  keep_or_new MEILI_MASTER_KEY rand_hex 24
  apply_secret_from_env_file "$DAILYFEED_INFRA_NS" dailyfeed-infra-secrets "$env_file"

  # value KEY : from the env file just written
  value() { sed -n "s/^$1=//p" "$env_file"; }
  local redis_url
  redis_url="redis://:$(value REDIS_PASSWORD)@redis.$DAILYFEED_INFRA_NS.svc.cluster.local:6379"
  for s in "${DAILYFEED_SERVICES[@]}"; do
    local name f
    name="$(svc_name "$s")"
    f="$WORKDIR/$s.env"
    : >"$f"
    chmod 600 "$f"
    {
      printf 'DATABASE_URL=postgresql://dailyfeed_%s:%s@postgres.%s.svc.cluster.local:5432/dailyfeed?schema=%s\n' \
        "$s" "$(value "DAILYFEED_${s^^}_DB_PASSWORD")" "$DAILYFEED_INFRA_NS" "$s"
      printf 'REDIS_URL=%s\n' "$redis_url"
      case "$s" in
        member)
          key="$(secret_value "$DAILYFEED_NS" "$name-secrets" JWT_KEK)"
          [[ -n "$key" ]] || key="$(openssl rand -base64 32)"
          printf 'JWT_KEK=%s\n' "$key"
          ;;
        image)
          printf 'S3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\n' "$(value MINIO_ROOT_USER)" "$(value MINIO_ROOT_PASSWORD)"
          ;;
        search)
          printf 'MEILI_KEY=%s\n' "$(value MEILI_MASTER_KEY)"
          ;;
      esac
    } >>"$f"
    apply_secret_from_env_file "$DAILYFEED_NS" "$name-secrets" "$f"
  done
}

# ---- 4. infrastructure -----------------------------------------------------------------------
install_infra() {
  info "infrastructure in $DAILYFEED_INFRA_NS: PostgreSQL, Redis, Kafka, MinIO, Meilisearch"
  kubectl apply -k "$K8S/infra" >/dev/null
  local s
  for s in postgres redis kafka minio meilisearch; do
    kubectl -n "$DAILYFEED_INFRA_NS" rollout status "statefulset/$s" --timeout=600s
  done
}

install_mesh_config() {
  info "Istio gateway, mTLS, authorization, rate limit, routing"
  render_mesh | kubectl apply -f - >/dev/null
  kubectl apply -k "$K8S/istio/destination-rules" >/dev/null
  kubectl apply -k "$K8S/istio/routing" >/dev/null
}

# ---- 5. images -------------------------------------------------------------------------------
# the shared folder of a service checkout: its submodule when checked out, else the sibling repo
shared_context() {
  local dir="$1"
  if [[ -f "$dir/dailyfeed-shared/package.json" || -d "$dir/dailyfeed-shared/src" ]]; then
    (cd "$dir/dailyfeed-shared" && pwd -P)
  elif [[ -d "$INSTALLER_DIR/../dailyfeed-shared" ]]; then
    (cd "$INSTALLER_DIR/../dailyfeed-shared" && pwd -P)
  else
    die "no dailyfeed-shared for $dir (git submodule update --init, or clone dailyfeed-shared beside it)"
  fi
}

build_images() {
  local s name dir image
  for s in "${DAILYFEED_SERVICES[@]}"; do
    name="$(svc_name "$s")"
    dir="$INSTALLER_DIR/../$name"
    [[ -f "$dir/Dockerfile" ]] || die "no checkout of $name beside the installer ($dir/Dockerfile)"
    image="$REGISTRY/$name:$TAG"
    info "building $image"
    DOCKER_BUILDKIT=1 docker build -t "$image" --build-arg "VERSION=$TAG" \
      --build-context "shared=$(shared_context "$dir")" "$dir"
    kind load docker-image "$image" --name "$DAILYFEED_CLUSTER_NAME"
  done
}

# ---- 6. migrations, then the services ---------------------------------------------------------
# wait_job NAME : succeed when the Job completes, fail (with its logs) when it fails
wait_job() {
  local job="$1" rc=0
  kubectl -n "$DAILYFEED_NS" wait --for=condition=complete "job/$job" --timeout=660s >/dev/null 2>&1 &
  local ok_pid=$!
  kubectl -n "$DAILYFEED_NS" wait --for=condition=failed "job/$job" --timeout=660s >/dev/null 2>&1 &
  local fail_pid=$!
  wait -n "$ok_pid" "$fail_pid" || true
  if kubectl -n "$DAILYFEED_NS" get "job/$job" -o 'jsonpath={.status.succeeded}' | grep -qx 1; then
    kill "$fail_pid" 2>/dev/null || true
  else
    kill "$ok_pid" "$fail_pid" 2>/dev/null || true
    error "migration job $job did not complete; its log:"
    kubectl -n "$DAILYFEED_NS" logs "job/$job" --tail=50 >&2 || true
    rc=1
  fi
  wait "$ok_pid" "$fail_pid" 2>/dev/null || true
  return "$rc"
}

run_migrations() {
  local rendered="$WORKDIR/migrations.yaml" phase job
  render_migrations >"$rendered"
  kubectl apply -f "$K8S/services/config.yaml" >/dev/null
  for phase in 1 2; do
    info "migrations, phase $phase"
    # Jobs are immutable: a re-run replaces them
    kubectl -n "$DAILYFEED_NS" delete job -l "dailyfeed.io/migration-phase=$phase" --ignore-not-found --wait=true >/dev/null
    kubectl apply -f "$rendered" -l "dailyfeed.io/migration-phase=$phase" >/dev/null
    for job in $(kubectl -n "$DAILYFEED_NS" get jobs -l "dailyfeed.io/migration-phase=$phase" -o name); do
      wait_job "${job#job.batch/}"
    done
  done
}

deploy_services() {
  info "services (image tag $TAG from $REGISTRY)"
  render_services | kubectl apply -f - >/dev/null
  kubectl apply -k "$K8S/hpa" >/dev/null
  local s
  for s in "${DAILYFEED_SERVICES[@]}"; do
    kubectl -n "$DAILYFEED_NS" rollout status "deployment/$(svc_name "$s")-v1" --timeout=600s
  done
}

deploy_frontend() {
  [[ -n "$FRONTEND_IMAGE" ]] || return 0
  info "frontend $FRONTEND_IMAGE at /"
  render_frontend | kubectl apply -f - >/dev/null
  kubectl -n "$DAILYFEED_NS" rollout status deployment/dailyfeed-frontend-v1 --timeout=300s
}

install_addons() {
  $ADDONS || return 0
  info "Istio add-ons: Prometheus, Grafana, Jaeger, Kiali"
  local a base="${ISTIO_SAMPLES_DIR:-}"
  for a in prometheus grafana jaeger kiali; do
    if [[ -n "$base" && -f "$base/addons/$a.yaml" ]]; then
      kubectl apply -f "$base/addons/$a.yaml" >/dev/null
    else
      kubectl apply -f "https://raw.githubusercontent.com/istio/istio/${DAILYFEED_ISTIO_VERSION}/samples/addons/$a.yaml" >/dev/null
    fi
  done
  for a in prometheus grafana jaeger kiali; do
    kubectl -n istio-system rollout status "deployment/$a" --timeout=300s
  done
  log "  dashboards: istioctl dashboard kiali | grafana | jaeger | prometheus"
}

create_cluster
install_metrics_server
install_istio
kubectl apply -f "$K8S/namespaces.yaml" >/dev/null
ensure_secrets
install_infra
install_mesh_config
if $BUILD; then build_images; fi
run_migrations
deploy_services
deploy_frontend
install_addons

info "dailyfeed is up"
log "  gateway:  http://127.0.0.1:$GATEWAY_PORT  (e.g. curl http://127.0.0.1:$GATEWAY_PORT/.well-known/jwks.json)"
log "  pods:     kubectl -n $DAILYFEED_NS get pods,hpa"
log "  canary:   ./canary.sh <service> step --tag NEW_TAG"
printf 'http://127.0.0.1:%s\n' "$GATEWAY_PORT"

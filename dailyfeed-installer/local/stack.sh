#!/usr/bin/env bash
# shellcheck disable=SC2153 # SERVICES, INFRA, LOG_DIR, RUN_DIR come from lib.sh
# The whole dailyfeed system on one machine, as plain processes: the infrastructure
# (infra.sh), the six services built from their folders, and the local gateway.
#   stack.sh up      install what is missing, start everything, wait until ready
#   stack.sh down    stop everything this script started (services, gateway, infra)
#   stack.sh status  what runs
#   stack.sh env     print the services' environment (contains secrets: for eval only)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh disable=SC1091,SC2153
source "$HERE/lib.sh"
DB_NAME=${DAILYFEED_DB_NAME:-dailyfeed}
GATEWAY_PORT=${DAILYFEED_GATEWAY_PORT:-8080}

default_port() {
  case $1 in member) echo 8081 ;; content) echo 8082 ;; timeline) echo 8083 ;; image) echo 8084 ;; search) echo 8085 ;; activity) echo 8086 ;; esac
}
port_of() { local var; var="DAILYFEED_$(upper "$1")_PORT"; echo "${!var:-$(default_port "$1")}"; }
# shellcheck disable=SC2016 # $1 expands in the inner shell
port_busy() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }


# The environment every service gets; DATABASE_URL is set per service from DATABASE_URL_<SVC>.
service_env() {
  "$INFRA" env "$DB_NAME"
  cat <<ENV
export JWT_KEK='$(secret_value DAILYFEED_JWT_KEK)'
export DAILYFEED_LOCAL_MODE=true
export DAILYFEED_CORS_ORIGINS='${DAILYFEED_CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000}'
export DAILYFEED_TOPIC_PREFIX='${DAILYFEED_TOPIC_PREFIX:-}'
export SEARCH_ENGINE='${SEARCH_ENGINE:-postgres}'
export LOG_LEVEL='${LOG_LEVEL:-info}'
export HOST=127.0.0.1
ENV
  local svc
  for svc in "${SERVICES[@]}"; do
    printf "export %s_SVC_URL='http://127.0.0.1:%s'\n" "$(upper "$svc")" "$(port_of "$svc")"
  done
}



start_service() {
  local svc=$1 dir port pidfile url_var
  dir=$(service_dir "$svc"); port=$(port_of "$svc"); pidfile="$RUN_DIR/$svc-svc.pid"
  if pid_alive "$pidfile"; then say "$svc-svc already running (pid $(cat "$pidfile"))"; return; fi
  port_busy "$port" && die "port $port for $svc-svc is taken by a process this script did not start; set DAILYFEED_$(upper "$svc")_PORT"
  url_var="DATABASE_URL_$(upper "$svc")"
  say "starting $svc-svc on port $port"
  (
    cd "$dir"
    export DATABASE_URL="${!url_var}" PORT="$port"
    nohup node dist/server.js >>"$LOG_DIR/$svc-svc.log" 2>&1 &
    echo $! >"$pidfile"
  )
}

start_gateway() {
  local pidfile="$RUN_DIR/gateway.pid"
  if pid_alive "$pidfile"; then say "gateway already running"; return; fi
  port_busy "$GATEWAY_PORT" && die "port $GATEWAY_PORT is taken by a process this script did not start; set DAILYFEED_GATEWAY_PORT"
  say "starting the gateway on port $GATEWAY_PORT"
  DAILYFEED_GATEWAY_PORT=$GATEWAY_PORT nohup node "$HERE/gateway/gateway.mjs" >>"$LOG_DIR/gateway.log" 2>&1 &
  echo $! >"$pidfile"
}

wait_ready() {
  local svc=$1 port deadline
  port=$(port_of "$svc"); deadline=$((SECONDS + ${DAILYFEED_READY_TIMEOUT:-120}))
  until curl -fs -m 2 -o /dev/null "http://127.0.0.1:$port/healthcheck/ready"; do
    pid_alive "$RUN_DIR/$svc-svc.pid" || die "$svc-svc exited: see $LOG_DIR/$svc-svc.log"
    ((SECONDS < deadline)) || die "$svc-svc not ready after ${DAILYFEED_READY_TIMEOUT:-120}s: see $LOG_DIR/$svc-svc.log and curl http://127.0.0.1:$port/healthcheck/ready"
    sleep 1
  done
  say "$svc-svc ready"
}

stop_pidfile() {
  local pidfile=$1 name=$2 pid _
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile"); say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

cmd_up() {
  local started=$SECONDS svc services url_var
  "$INFRA" install
  "$INFRA" up
  "$INFRA" db "$DB_NAME"
  ensure_secret DAILYFEED_JWT_KEK
  eval "$(service_env)"
  mapfile -t services < <(present_services)
  if [[ ${DAILYFEED_SKIP_BUILD:-} != 1 ]]; then
    for svc in "${services[@]}"; do
      install_deps "$(service_dir "$svc")"
      build_quietly "$(service_dir "$svc")" || die "build of dailyfeed-$svc-svc failed"
    done
  fi
  for svc in "${services[@]}"; do
    url_var="DATABASE_URL_$(upper "$svc")"
    say "migrating schema $svc"
    (cd "$(service_dir "$svc")" && DATABASE_URL="${!url_var}" node dist/migrate.js >&2) || die "migrations of $svc-svc failed"
  done
  for svc in "${services[@]}"; do start_service "$svc"; done
  start_gateway
  for svc in "${services[@]}"; do wait_ready "$svc"; done
  say "dailyfeed is up in $((SECONDS - started))s"
  cat <<MSG

  Gateway: http://127.0.0.1:$GATEWAY_PORT
  Try:
    curl -s -XPOST http://127.0.0.1:$GATEWAY_PORT/api/authentication/signup -H 'content-type: application/json' \\
      -d '{"email":"ada@example.com","password":"Passw0rd!","memberName":"Ada","handle":"ada"}'
    curl -s -XPOST http://127.0.0.1:$GATEWAY_PORT/api/authentication/login -H 'content-type: application/json' \\
      -d '{"email":"ada@example.com","password":"Passw0rd!"}'
    curl -s http://127.0.0.1:$GATEWAY_PORT/api/timeline/posts/most-popular -H "Authorization: Bearer \$TOKEN"
  Logs: $LOG_DIR    Stop: $0 down    Status: $0 status
MSG
}

cmd_down() {
  local svc
  stop_pidfile "$RUN_DIR/gateway.pid" gateway
  for svc in "${SERVICES[@]}"; do stop_pidfile "$RUN_DIR/$svc-svc.pid" "$svc-svc"; done
  [[ ${1:-} == --keep-infra ]] || "$INFRA" down
}

cmd_status() {
  local svc
  "$INFRA" status
  for svc in "${SERVICES[@]}"; do
    if pid_alive "$RUN_DIR/$svc-svc.pid"; then printf '%-10s running  port %s pid %s\n' "$svc" "$(port_of "$svc")" "$(cat "$RUN_DIR/$svc-svc.pid")"
    else printf '%-10s stopped\n' "$svc"; fi
  done
  if pid_alive "$RUN_DIR/gateway.pid"; then printf '%-10s running  port %s pid %s\n' gateway "$GATEWAY_PORT" "$(cat "$RUN_DIR/gateway.pid")"
  else printf '%-10s stopped\n' gateway; fi
}

usage() {
  cat <<USAGE
usage: $(basename "$0") up | down [--keep-infra] | status | env | restart-service <name>
Ports: DAILYFEED_GATEWAY_PORT (8080), DAILYFEED_<SVC>_PORT (8081-8086), and infra.sh's.
USAGE
}

case ${1:-} in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  env) service_env ;;
  restart-service)
    [[ -n ${2:-} ]] || die "restart-service needs a service name"
    eval "$(service_env)"
    stop_pidfile "$RUN_DIR/$2-svc.pid" "$2-svc"; start_service "$2"; wait_ready "$2" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac

#!/usr/bin/env bash
# dailyfeed local infrastructure: PostgreSQL, Redis, Kafka (KRaft), MinIO as plain processes.
# Usage: infra.sh install|up|down|status|db <name>|env <name>|start-kafka|stop-kafka|
#                 start-redis|stop-redis|kafka-topics ARGS...
# See README.md next to this file.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings (all overridable by environment)
# ---------------------------------------------------------------------------------------------
CACHE="${DAILYFEED_CACHE:-$HOME/.cache/dailyfeed}"
DHOME="${DAILYFEED_HOME:-$HOME/.dailyfeed}"
PG_PORT="${DAILYFEED_PG_PORT:-55432}"
REDIS_PORT="${DAILYFEED_REDIS_PORT:-56379}"
KAFKA_PORT="${DAILYFEED_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${DAILYFEED_KAFKA_CONTROLLER_PORT:-59093}"
MINIO_PORT="${DAILYFEED_MINIO_PORT:-59000}"
MINIO_CONSOLE_PORT="${DAILYFEED_MINIO_CONSOLE_PORT:-59001}"
READY_TIMEOUT="${DAILYFEED_READY_TIMEOUT:-90}"   # seconds to wait for each server
STOP_TIMEOUT="${DAILYFEED_STOP_TIMEOUT:-30}"     # seconds of graceful stop before SIGKILL

KAFKA_VERSION=3.9.1
KAFKA_DIR="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_DIR/libs"
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN="$CACHE/bin/minio"
MINIO_MIN_GO=1.24

SERVICES=(member content timeline image search activity)
READ_ROLES=(timeline search activity)   # read member and content
READ_SCHEMAS=(member content)

RUN="$DHOME/run"
LOGS="$DHOME/logs"
SECRETS="$DHOME/secrets.env"
PGDATA="$DHOME/postgres/data"
REDIS_DIR="$DHOME/redis"
KAFKA_STATE="$DHOME/kafka"
MINIO_STATE="$DHOME/minio"

umask 077

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'infra.sh: error: %s\n' "$*" >&2; exit 1; }

check_port_var() {
  local name=$1 value=$2
  if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
    die "$name='$value' is not a port number"
  fi
}
check_port_var DAILYFEED_PG_PORT "$PG_PORT"
check_port_var DAILYFEED_REDIS_PORT "$REDIS_PORT"
check_port_var DAILYFEED_KAFKA_PORT "$KAFKA_PORT"
check_port_var DAILYFEED_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
check_port_var DAILYFEED_MINIO_PORT "$MINIO_PORT"
check_port_var DAILYFEED_MINIO_CONSOLE_PORT "$MINIO_CONSOLE_PORT"

pg_bindir() {
  if [[ -n ${DAILYFEED_PG_BINDIR:-} ]]; then
    printf '%s\n' "$DAILYFEED_PG_BINDIR"
    return
  fi
  local d
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $d && -x $d/postgres ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql (run: infra.sh install)"
  printf '%s\n' "$d"
}

# Is something listening on 127.0.0.1:<port>?
# shellcheck disable=SC2016 # $1 expands in the inner shell
port_busy() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# Random hex secret (default 24 bytes = 48 hex chars): URL-safe, needs no quoting.
gen_secret() { od -An -N "${1:-24}" -tx1 /dev/urandom | tr -d ' \n'; }

ensure_dirs() {
  mkdir -p "$DHOME" "$RUN" "$LOGS"
  # Others may traverse (the postgres user must reach its data dir) but never list or read.
  chmod 711 "$DHOME" "$LOGS"
  chmod 700 "$RUN"
}

lock() {
  ensure_dirs
  exec 9>"$RUN/.lock"
  flock -w 600 9 || die "another infra.sh is running (lock $RUN/.lock)"
}

secret_get() {
  [[ -f $SECRETS ]] || return 0
  sed -n "s/^$1=//p" "$SECRETS" | tail -n 1
}

# secret_ensure KEY [VALUE]: generates (or stores VALUE) once, never prints it.
secret_ensure() {
  local key=$1 value
  value=$(secret_get "$key")
  if [[ -z $value ]]; then
    value=${2:-$(gen_secret)}
    ensure_dirs
    touch "$SECRETS"
    chmod 600 "$SECRETS"
    printf '%s=%s\n' "$key" "$value" >>"$SECRETS"
  fi
  chmod 600 "$SECRETS"
}

secret_need() {
  local v
  v=$(secret_get "$1")
  [[ -n $v ]] || die "$1 is missing from $SECRETS (${2:-run: infra.sh up})"
  printf '%s\n' "$v"
}

# pid_of NAME EXPECTED_CWD: prints the pid if the pid file names a live process whose working
# directory is ours; otherwise removes a stale pid file and prints nothing.
pid_of() {
  local name=$1 cwd=$2 f="$RUN/$1.pid" pid
  [[ -f $f ]] || return 0
  pid=$(head -n 1 "$f" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    [[ $(readlink "/proc/$pid/cwd" 2>/dev/null || true) == "$cwd" ]]; then
    printf '%s\n' "$pid"
    return 0
  fi
  say "$name: removing stale pid file $f (process ${pid:-?} is gone)"
  rm -f "$f" "$RUN/$name.ready"
}

# Refuse to start when a port is taken by a server we did not start.
assert_port_free() {
  local name=$1 port=$2 var=$3
  if port_busy "$port"; then
    die "$name: port $port on 127.0.0.1 is already in use by a process not started by infra.sh; \
set $var to a free port (infra.sh never reuses or stops servers it did not start)"
  fi
}

# wait_until NAME LOG CMD...: polls CMD until it succeeds or READY_TIMEOUT elapses.
wait_until() {
  local name=$1 log=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      die "$name exited during startup; see $log"
    fi
    if ((SECONDS >= deadline)); then
      die "$name not ready after ${READY_TIMEOUT}s (DAILYFEED_READY_TIMEOUT); see $log"
    fi
    sleep 0.3
  done
}

# stop_pid NAME PID: SIGTERM, wait STOP_TIMEOUT, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL to $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

# Launch a detached process in CWD with its pid written to the pid file before exec.
launch() {
  local name=$1 cwd=$2 out=$3
  shift 3
  # The server must not inherit the lock descriptors (8, 9) or our stdio.
  rm -f "$RUN/$name.pid"
  # shellcheck disable=SC2016 # expands in the inner shell
  (cd "$cwd" && exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN/$name.pid" "$@" \
    </dev/null >>"$out" 2>&1 8>&- 9>&-) &
  local _
  for _ in $(seq 1 50); do
    [[ -s $RUN/$name.pid ]] && break
    sleep 0.1
  done
  [[ -s $RUN/$name.pid ]] || die "$name: failed to launch; see $out"
}

# ---------------------------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------------------------
apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_apt() {
  local want=(postgresql postgresql-contrib redis-server) missing=() p
  command -v java >/dev/null 2>&1 || want+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || want+=(maven)
  command -v go >/dev/null 2>&1 || want+=(golang)
  command -v curl >/dev/null 2>&1 || want+=(curl)
  command -v setfacl >/dev/null 2>&1 || want+=(acl)
  for p in "${want[@]}"; do
    apt_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "apt: all packages present (${want[*]})"
    return
  fi
  [[ $(id -u) == 0 ]] || die "apt packages missing (${missing[*]}); run infra.sh install as root"
  say "apt: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

kafka_pom() {
  cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dailyfeed</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- TopicCommand moved from kafka_2.13 to kafka-tools in 3.x; Connect is not needed for it. -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
}

install_kafka() {
  local marker="$KAFKA_DIR/.complete" sum
  sum=$(kafka_pom | sha256sum | cut -d' ' -f1)
  if [[ -f $marker && $(cat "$marker") == "$sum" && -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]]; then
    say "kafka $KAFKA_VERSION: jars cached in $KAFKA_LIBS"
    return
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (run: infra.sh install as root)"
  say "kafka $KAFKA_VERSION: resolving jars from Maven Central into $KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  chmod 755 "$CACHE" "$KAFKA_DIR" "$KAFKA_LIBS" 2>/dev/null || true
  kafka_pom >"$KAFKA_DIR/pom.xml"
  local log="$KAFKA_DIR/mvn.log"
  if ! (cd "$KAFKA_DIR" && mvn -q -B -f pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS") >"$log" 2>&1; then
    die "maven failed to resolve kafka; see $log"
  fi
  [[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar && -f $KAFKA_LIBS/kafka-tools-$KAFKA_VERSION.jar ]] ||
    die "kafka jars missing after maven run; see $log"
  printf '%s\n' "$sum" >"$marker"
  say "kafka $KAFKA_VERSION: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars ready"
}

minio_ok() { [[ -x $MINIO_BIN && -f $CACHE/bin/minio.version && $(cat "$CACHE/bin/minio.version") == "$MINIO_VERSION" ]]; }

install_minio() {
  mkdir -p "$CACHE/bin"
  chmod 755 "$CACHE" "$CACHE/bin" 2>/dev/null || true
  # A build started outside this script (same module) must finish first: never build twice.
  local other
  other=$(pgrep -f "go install $MINIO_MODULE@" || true)
  if [[ -n $other ]]; then
    say "minio: another 'go install $MINIO_MODULE' is running (pid ${other//$'\n'/ }); waiting for it"
    while pgrep -f "go install $MINIO_MODULE@" >/dev/null; do sleep 5; done
  fi
  exec 8>"$CACHE/bin/.minio.lock"
  flock -w 3600 8 || die "minio: timed out waiting for the build lock"
  if minio_ok; then
    say "minio: binary cached at $MINIO_BIN"
    return
  fi
  if [[ -x $MINIO_BIN ]] && "$MINIO_BIN" --version >/dev/null 2>&1; then
    # Built by someone else (for example the same go install run by hand): accept it.
    printf '%s\n' "$MINIO_VERSION" >"$CACHE/bin/minio.version"
    say "minio: binary present at $MINIO_BIN"
    return
  fi
  command -v go >/dev/null 2>&1 || die "go not found (run: infra.sh install as root)"
  local gov
  gov=$(go env GOVERSION | sed 's/^go//')
  if [[ $(printf '%s\n%s\n' "$MINIO_MIN_GO" "$gov" | sort -V | head -n 1) != "$MINIO_MIN_GO" ]]; then
    die "minio needs Go >= $MINIO_MIN_GO, found $gov (Debian 12's golang is 1.19: install a newer Go)"
  fi
  local log="$CACHE/bin/minio-build.log"
  say "minio: building $MINIO_MODULE@$MINIO_VERSION from the Go module proxy (minutes, once); log $log"
  rm -f "$MINIO_BIN"
  if ! GOBIN="$CACHE/bin" GOFLAGS=-trimpath go install "$MINIO_MODULE@$MINIO_VERSION" >"$log" 2>&1; then
    die "minio build failed; see $log"
  fi
  "$MINIO_BIN" --version >/dev/null 2>&1 || die "minio binary does not run; see $log"
  printf '%s\n' "$MINIO_VERSION" >"$CACHE/bin/minio.version"
  say "minio: built $MINIO_BIN"
}

cmd_install() {
  install_apt
  install_kafka
  install_minio
  say "install: done (cache $CACHE)"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
# The postgres user must traverse every parent of its data dir (e.g. /root is 0700).
pg_grant_traverse() {
  local d=$DHOME path=() p
  while [[ $d != / && -n $d ]]; do
    path=("$d" "${path[@]}")
    d=$(dirname "$d")
  done
  for p in "${path[@]}"; do
    if ! as_postgres test -x "$p"; then
      command -v setfacl >/dev/null 2>&1 ||
        die "the postgres user cannot enter $p; install 'acl' (infra.sh install) or set DAILYFEED_HOME elsewhere"
      say "postgres: granting the postgres user traverse-only access (ACL u:postgres:--x) on $p"
      setfacl -m u:postgres:x "$p"
    fi
  done
}

# Run as the postgres user from / (it may not be allowed into the caller's directory).
as_postgres() { (cd / && runuser -u postgres -- "$@" 8>&- 9>&-); }

pg_running_pid() { pid_of postgres "$PGDATA"; }

pg_write_conf() {
  cat >"$PGDATA/dailyfeed.conf" <<EOF
# written by infra.sh up (regenerated on every start)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
password_encryption = 'scram-sha-256'
EOF
  cat >"$PGDATA/pg_hba.conf" <<EOF
# written by infra.sh: TCP on 127.0.0.1 only, passwords (scram); no unix socket.
host    all             all             127.0.0.1/32            scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
EOF
  chown postgres:postgres "$PGDATA/dailyfeed.conf" "$PGDATA/pg_hba.conf"
  chmod 600 "$PGDATA/dailyfeed.conf" "$PGDATA/pg_hba.conf"
}

pg_init() {
  [[ -f $PGDATA/PG_VERSION ]] && return 0
  local bindir=$1 pwfile
  say "postgres: initdb $PGDATA (UTF8, C.UTF-8)"
  secret_ensure DAILYFEED_PG_SUPERUSER_PASSWORD
  mkdir -p "$PGDATA"
  chown postgres:postgres "$DHOME/postgres" "$PGDATA"
  chmod 700 "$DHOME/postgres" "$PGDATA"
  pwfile=$(mktemp)
  secret_get DAILYFEED_PG_SUPERUSER_PASSWORD >"$pwfile"
  chown postgres "$pwfile"
  if ! as_postgres "$bindir/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 --auth-host=scram-sha-256 --auth-local=peer \
    >"$LOGS/postgres-initdb.log" 2>&1; then
    rm -f "$pwfile"
    die "postgres: initdb failed; see $LOGS/postgres-initdb.log"
  fi
  rm -f "$pwfile"
  printf "\ninclude 'dailyfeed.conf'\n" >>"$PGDATA/postgresql.conf"
}

pg_ready() {
  local bindir=$1
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -t 2
}

start_postgres() {
  local bindir pid log="$LOGS/postgres.log"
  bindir=$(pg_bindir)
  pid=$(pg_running_pid)
  if [[ -n $pid ]]; then
    say "postgres: already running (pid $pid, port $PG_PORT)"
  else
    if [[ -f $PGDATA/postmaster.pid ]]; then
      local old
      old=$(head -n 1 "$PGDATA/postmaster.pid")
      if [[ $old =~ ^[0-9]+$ ]] && kill -0 "$old" 2>/dev/null &&
        [[ $(readlink "/proc/$old/cwd" 2>/dev/null || true) == "$PGDATA" ]]; then
        printf '%s\n' "$old" >"$RUN/postgres.pid"
        say "postgres: already running (pid $old, port $PG_PORT; pid file restored)"
        wait_until postgres "$log" "$old" pg_ready "$bindir"
        return
      fi
    fi
    assert_port_free postgres "$PG_PORT" DAILYFEED_PG_PORT
    pg_grant_traverse
    pg_init "$bindir"
    pg_write_conf
    touch "$log"
    chown postgres "$log"
    chmod 600 "$log"
    say "postgres: starting on 127.0.0.1:$PG_PORT (log $log)"
    if ! as_postgres "$bindir/pg_ctl" -D "$PGDATA" -l "$log" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1; then
      die "postgres failed to start; see $log"
    fi
    head -n 1 "$PGDATA/postmaster.pid" >"$RUN/postgres.pid"
    pid=$(head -n 1 "$RUN/postgres.pid")
  fi
  wait_until postgres "$log" "$pid" pg_ready "$bindir"
  say "postgres: ready"
}

stop_postgres() {
  local pid bindir
  pid=$(pg_running_pid)
  if [[ -z $pid ]]; then
    say "postgres: not running"
    return
  fi
  bindir=$(pg_bindir)
  say "postgres: stopping (pid $pid)"
  if ! as_postgres "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1; then
    say "postgres: fast shutdown timed out; immediate shutdown"
    as_postgres "$bindir/pg_ctl" -D "$PGDATA" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
      stop_pid postgres "$pid"
  fi
  rm -f "$RUN/postgres.pid"
}

# psql as superuser over TCP; SQL on stdin (secrets never on a command line).
psql_admin() {
  local db=$1
  shift
  PGPASSWORD=$(secret_need DAILYFEED_PG_SUPERUSER_PASSWORD) PGCONNECT_TIMEOUT=5 \
    PGOPTIONS="-c client_min_messages=warning" \
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
redis_ping() {
  [[ $(REDISCLI_AUTH=$(secret_get DAILYFEED_REDIS_PASSWORD) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

start_redis() {
  local pid log="$LOGS/redis.log"
  pid=$(pid_of redis "$REDIS_DIR")
  if [[ -n $pid ]]; then
    say "redis: already running (pid $pid, port $REDIS_PORT)"
  else
    assert_port_free redis "$REDIS_PORT" DAILYFEED_REDIS_PORT
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found (run: infra.sh install)"
    secret_ensure DAILYFEED_REDIS_PASSWORD
    mkdir -p "$REDIS_DIR"
    cat >"$REDIS_DIR/redis.conf" <<EOF
# written by infra.sh up (contains the password: mode 600)
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
daemonize no
dir $REDIS_DIR
logfile $log
requirepass $(secret_get DAILYFEED_REDIS_PASSWORD)
save 3600 1 300 100 60 10000
appendonly no
EOF
    chmod 600 "$REDIS_DIR/redis.conf"
    say "redis: starting on 127.0.0.1:$REDIS_PORT (log $log)"
    launch redis "$REDIS_DIR" "$LOGS/redis.out" redis-server "$REDIS_DIR/redis.conf"
    pid=$(head -n 1 "$RUN/redis.pid")
  fi
  wait_until redis "$log" "$pid" redis_ping
  say "redis: ready"
}

stop_redis() {
  local pid
  pid=$(pid_of redis "$REDIS_DIR")
  if [[ -z $pid ]]; then
    say "redis: not running"
    return
  fi
  say "redis: stopping (pid $pid)"
  stop_pid redis "$pid"
  rm -f "$RUN/redis.pid"
}

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, single node)
# ---------------------------------------------------------------------------------------------
kafka_java() {
  [[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka jars missing in $KAFKA_LIBS (run: infra.sh install)"
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$KAFKA_STATE/tools-log4j.properties" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_conf() {
  mkdir -p "$KAFKA_STATE/data"
  cat >"$KAFKA_STATE/server.properties" <<EOF
# written by infra.sh up (regenerated on every start)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_STATE/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
  cat >"$KAFKA_STATE/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.DailyRollingFileAppender
log4j.appender.file.DatePattern='.'yyyy-MM-dd
log4j.appender.file.File=${kafka.logs.dir}/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.kafka.log.LogCleaner=INFO
log4j.logger.state.change.logger=INFO
EOF
  cat >"$KAFKA_STATE/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

kafka_format() {
  [[ -f $KAFKA_STATE/data/meta.properties ]] && return 0
  local id
  id=$(secret_get DAILYFEED_KAFKA_CLUSTER_ID)
  if [[ -z $id ]]; then
    id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: could not generate a cluster id"
    secret_ensure DAILYFEED_KAFKA_CLUSTER_ID "$id"
  fi
  say "kafka: formatting storage $KAFKA_STATE/data (cluster id in secrets.env)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_STATE/server.properties" \
    >"$LOGS/kafka-format.log" 2>&1 || die "kafka: storage format failed; see $LOGS/kafka-format.log"
}

kafka_metadata_ok() {
  port_busy "$KAFKA_PORT" || return 1
  timeout 30 java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$KAFKA_STATE/tools-log4j.properties" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list
}

start_kafka() {
  local pid log="$LOGS/kafka.log"
  pid=$(pid_of kafka "$KAFKA_STATE")
  if [[ -n $pid ]]; then
    say "kafka: already running (pid $pid, port $KAFKA_PORT)"
    # Checked ready before under this pid: a port probe is enough (no JVM start).
    if [[ -f $RUN/kafka.ready && $(cat "$RUN/kafka.ready") == "$pid" ]] && port_busy "$KAFKA_PORT"; then
      say "kafka: ready"
      return
    fi
  else
    assert_port_free kafka "$KAFKA_PORT" DAILYFEED_KAFKA_PORT
    assert_port_free kafka-controller "$KAFKA_CONTROLLER_PORT" DAILYFEED_KAFKA_CONTROLLER_PORT
    command -v java >/dev/null 2>&1 || die "java not found (run: infra.sh install)"
    rm -f "$RUN/kafka.ready"
    kafka_write_conf
    kafka_format
    say "kafka: starting broker+controller on 127.0.0.1:$KAFKA_PORT/$KAFKA_CONTROLLER_PORT (log $log)"
    launch kafka "$KAFKA_STATE" "$LOGS/kafka.out" java -Xms256m -Xmx512m -XX:+UseG1GC \
      -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dkafka.logs.dir="$LOGS" -Dlog4j.configuration="file:$KAFKA_STATE/log4j.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties"
    pid=$(head -n 1 "$RUN/kafka.pid")
  fi
  wait_until kafka "$log (and $LOGS/kafka.out)" "$pid" port_busy "$KAFKA_PORT"
  wait_until kafka "$log (and $LOGS/kafka.out)" "$pid" kafka_metadata_ok
  printf '%s\n' "$pid" >"$RUN/kafka.ready"
  say "kafka: ready"
}

stop_kafka() {
  local pid
  pid=$(pid_of kafka "$KAFKA_STATE")
  if [[ -z $pid ]]; then
    say "kafka: not running"
    return
  fi
  say "kafka: stopping (pid $pid)"
  stop_pid kafka "$pid"
  rm -f "$RUN/kafka.pid" "$RUN/kafka.ready"
}

# ---------------------------------------------------------------------------------------------
# MinIO
# ---------------------------------------------------------------------------------------------
minio_ready() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$MINIO_PORT/minio/health/ready"; }

start_minio() {
  local pid log="$LOGS/minio.log"
  pid=$(pid_of minio "$MINIO_STATE")
  if [[ -n $pid ]]; then
    say "minio: already running (pid $pid, port $MINIO_PORT)"
  else
    assert_port_free minio "$MINIO_PORT" DAILYFEED_MINIO_PORT
    assert_port_free minio-console "$MINIO_CONSOLE_PORT" DAILYFEED_MINIO_CONSOLE_PORT
    [[ -x $MINIO_BIN ]] || die "minio binary missing at $MINIO_BIN (run: infra.sh install)"
    secret_ensure DAILYFEED_MINIO_ROOT_USER "dailyfeed-$(gen_secret 6)"
    secret_ensure DAILYFEED_MINIO_ROOT_PASSWORD
    mkdir -p "$MINIO_STATE/data"
    say "minio: starting on 127.0.0.1:$MINIO_PORT (console $MINIO_CONSOLE_PORT, log $log)"
    MINIO_ROOT_USER=$(secret_get DAILYFEED_MINIO_ROOT_USER) \
      MINIO_ROOT_PASSWORD=$(secret_get DAILYFEED_MINIO_ROOT_PASSWORD) \
      MINIO_UPDATE=off MINIO_BROWSER=on \
      launch minio "$MINIO_STATE" "$log" "$MINIO_BIN" server --quiet --anonymous \
      --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" \
      "$MINIO_STATE/data"
    pid=$(head -n 1 "$RUN/minio.pid")
  fi
  wait_until minio "$log" "$pid" minio_ready
  say "minio: ready"
}

stop_minio() {
  local pid
  pid=$(pid_of minio "$MINIO_STATE")
  if [[ -z $pid ]]; then
    say "minio: not running"
    return
  fi
  say "minio: stopping (pid $pid)"
  stop_pid minio "$pid"
  rm -f "$RUN/minio.pid"
}

# ---------------------------------------------------------------------------------------------
# db / env
# ---------------------------------------------------------------------------------------------
check_dbname() {
  [[ ${1:-} =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name must match [a-z_][a-z0-9_]* (got '${1:-}')"
}

upper() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }

cmd_db() {
  local db=${1:-}
  check_dbname "$db"
  [[ -n $(pg_running_pid) ]] || die "postgres is not running (run: infra.sh up)"
  local svc
  for svc in "${SERVICES[@]}"; do
    secret_ensure "DAILYFEED_PG_PASSWORD_$(upper "$svc")"
  done
  say "db: database $db (template0, UTF8, C.UTF-8)"
  if [[ -z $(psql_admin postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    psql_admin postgres -c "CREATE DATABASE \"$db\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
  fi
  say "db: roles, schemas, grants, pg_trgm in $db"
  {
    echo "BEGIN;"
    echo "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;"
    for svc in "${SERVICES[@]}"; do
      local role="dailyfeed_$svc" pw
      pw=$(secret_get "DAILYFEED_PG_PASSWORD_$(upper "$svc")")
      cat <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
END \$\$;
ALTER ROLE $role WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$pw';
ALTER ROLE $role SET search_path = $svc, public;
-- CREATE on the database only because Prisma migrations begin with
-- CREATE SCHEMA IF NOT EXISTS, which PostgreSQL checks before seeing the schema exists.
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE "$db" TO $role;
CREATE SCHEMA IF NOT EXISTS $svc AUTHORIZATION $role;
ALTER SCHEMA $svc OWNER TO $role;
REVOKE ALL ON SCHEMA $svc FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO $role;
EOF
    done
    local r s
    for r in "${READ_ROLES[@]}"; do
      for s in "${READ_SCHEMAS[@]}"; do
        cat <<EOF
GRANT USAGE ON SCHEMA $s TO dailyfeed_$r;
GRANT SELECT ON ALL TABLES IN SCHEMA $s TO dailyfeed_$r;
ALTER DEFAULT PRIVILEGES FOR ROLE dailyfeed_$s IN SCHEMA $s GRANT SELECT ON TABLES TO dailyfeed_$r;
EOF
      done
    done
    echo "COMMIT;"
  } | psql_admin "$db" >/dev/null
  say "db: $db ready (role passwords in $SECRETS)"
}

cmd_env() {
  local db=${1:-} svc pw
  check_dbname "$db"
  for svc in "${SERVICES[@]}"; do
    pw=$(secret_need "DAILYFEED_PG_PASSWORD_$(upper "$svc")" "run: infra.sh db $db")
    printf 'export DATABASE_URL_%s=%s\n' "$(upper "$svc")" \
      "postgresql://dailyfeed_$svc:$pw@127.0.0.1:$PG_PORT/$db"
  done
  printf 'export PG_ADMIN_URL=%s\n' \
    "postgresql://postgres:$(secret_need DAILYFEED_PG_SUPERUSER_PASSWORD)@127.0.0.1:$PG_PORT/$db"
  printf 'export REDIS_URL=%s\n' "redis://:$(secret_need DAILYFEED_REDIS_PASSWORD)@127.0.0.1:$REDIS_PORT"
  printf 'export KAFKA_BROKERS=%s\n' "127.0.0.1:$KAFKA_PORT"
  printf 'export S3_ENDPOINT=%s\n' "http://127.0.0.1:$MINIO_PORT"
  printf 'export S3_ACCESS_KEY=%s\n' "$(secret_need DAILYFEED_MINIO_ROOT_USER)"
  printf 'export S3_SECRET_KEY=%s\n' "$(secret_need DAILYFEED_MINIO_ROOT_PASSWORD)"
}

# ---------------------------------------------------------------------------------------------
# up / down / status
# ---------------------------------------------------------------------------------------------
cmd_up() {
  local t0=$SECONDS
  start_postgres
  start_redis
  start_kafka
  start_minio
  say "up: all servers ready in $((SECONDS - t0))s (state $DHOME)"
}

cmd_down() {
  stop_minio
  stop_kafka
  stop_redis
  stop_postgres
  say "down: done"
}

status_line() {
  local name=$1 cwd=$2 port=$3 pid
  pid=$(pid_of "$name" "$cwd" 2>/dev/null)
  if [[ -n $pid ]]; then
    printf '%-9s running  port %-5s pid %s\n' "$name" "$port" "$pid"
  else
    printf '%-9s stopped  port %-5s pid -\n' "$name" "$port"
  fi
}

cmd_status() {
  status_line postgres "$PGDATA" "$PG_PORT"
  status_line redis "$REDIS_DIR" "$REDIS_PORT"
  status_line kafka "$KAFKA_STATE" "$KAFKA_PORT"
  status_line minio "$MINIO_STATE" "$MINIO_PORT"
}

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    install) lock; cmd_install ;;
    up) lock; cmd_up ;;
    down) lock; cmd_down ;;
    status) ensure_dirs; cmd_status ;;
    db) lock; cmd_db "$@" ;;
    env) cmd_env "$@" ;;
    start-kafka) lock; start_kafka ;;
    stop-kafka) lock; stop_kafka ;;
    start-redis) lock; start_redis ;;
    stop-redis) lock; stop_redis ;;
    kafka-topics)
      [[ -f $KAFKA_STATE/tools-log4j.properties ]] || die "kafka was never started (run: infra.sh up)"
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" "$@"
      ;;
    -h | --help | help | '') usage ;;
    *) printf 'infra.sh: unknown command %s\n' "$cmd" >&2; usage ;;
  esac
}

main "$@"

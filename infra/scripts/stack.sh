#!/usr/bin/env bash
# Local stack for development, the demo and the tests. Idempotent: `up` starts only what is not running.
#   stack.sh up | down | status
# Kafka (KRaft, single node) is assembled once from Maven Central into .cache/kafka and listens on
# 127.0.0.1:${VOC_KAFKA_PORT:-9092} with SASL/SCRAM-SHA-512 only and the StandardAuthorizer (its
# controller listener, on loopback, with SASL PLAIN as the super user); this
# script creates its SCRAM users, `voc setup` their ACLs. TLS (SASL_SSL) when VOC_KAFKA_TLS_KEYSTORE
# (PKCS12 with the broker's key) and VOC_KAFKA_TLS_TRUSTSTORE (PKCS12 with its CA) are set, with
# VOC_KAFKA_TLS_KEYSTORE_PASSWORD / VOC_KAFKA_TLS_TRUSTSTORE_PASSWORD (or *_FILE); clients then set
# VOC_KAFKA_SECURITY=sasl_ssl and VOC_KAFKA_CA_FILE. Switching TLS on or off: `down`, then `up`.
# The project's Redis runs on 127.0.0.1:${VOC_REDIS_PORT:-6380} with an ACL file (default user off, one
# password user for BullMQ). PostgreSQL (5432) is the machine's own: started if stopped, never stopped
# by `down`; the machine's Redis (6379) and Mosquitto (1883) are never touched. There is no project MQTT
# broker: devices connect to the gateway itself (services/gateway, VOC_MQTT_PORT), which checks their
# passwords against the device registry.
# Ownership: a port that is already open counts as this checkout's only when the process listening on
# it is the one whose pid file is in this checkout's .cache; otherwise `up` stops and says who holds it
# (e.g. another clone's Kafka), instead of silently using a service it cannot control.
# Secrets: the same variables (and *_FILE variants) as the services read (packages/config); unset, the
# public development defaults below, which the services refuse under VOC_ENV=production.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache"
KAFKA_PORT="${VOC_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${VOC_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${VOC_KAFKA_HEAP:-512m}"
MQTT_PORT="${VOC_MQTT_PORT:-1884}"
PGHOST_="${PGHOST:-127.0.0.1}"
PGPORT_="${PGPORT:-5432}"
REDIS_PORT="${VOC_REDIS_PORT:-6380}"

# secret NAME DEFAULT: the value of $NAME, else the content of the file $NAME_FILE, else DEFAULT.
secret() {
  local name="$1" file_var="${1}_FILE"
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"
  elif [ -n "${!file_var:-}" ]; then local v; v="$(cat "${!file_var}")"; printf '%s' "$v"
  else printf '%s' "$2"; fi
}
# Kafka principals: "<name> <user> <password>" lines (packages/config KAFKA_PRINCIPALS and SECRET_DEFAULTS).
kafka_principals() {
  local p up
  for p in admin gateway writer deadletters hotspot api hj212; do
    up="$(printf '%s' "$p" | tr '[:lower:]' '[:upper:]')"
    local uvar="VOC_KAFKA_${up}_USERNAME"
    printf '%s %s %s\n' "$p" "${!uvar:-voc-$p}" "$(secret "VOC_KAFKA_${up}_PASSWORD" "voc-dev-kafka-$p")"
  done
}

log() { printf '[stack] %s\n' "$*" >&2; }
# own_pid PIDFILE CONFIG: prints the pid in PIDFILE if that process is running with CONFIG (this
# checkout's own config file) on its command line. A pid file copied from another checkout, or a pid
# reused by an unrelated process, is never signalled.
own_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1")"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  printf '%s' "$pid"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# listener_pid <port>: pid of the process listening on 127.0.0.1:<port> (empty when unknown).
listener_pid() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; }
# owned <port> <pidfile> <name>: succeeds when the port is closed or held by the pid in <pidfile>;
# fails with a clear message when someone else listens there.
owned() {
  local port="$1" pidf="$2" name="$3" pid mine=""
  port_open "$port" || return 0
  pid="$(listener_pid "$port")"
  [ -f "$pidf" ] && mine="$(cat "$pidf")"
  if [ -n "$pid" ] && [ -n "$mine" ] && { [ "$pid" = "$mine" ] || [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$mine" ]; }; then return 0; fi
  log "port $port ($name) is held by ${pid:+pid $pid }$( [ -n "$pid" ] && ps -o args= -p "$pid" | cut -c1-120 ), which is not this checkout's $name ($pidf)."
  log "Another checkout or program uses it: stop that one, or give this checkout its own port (README, section Operations: two checkouts on one machine)."
  return 1
}
wait_port() { # port seconds name
  local i
  for ((i = 0; i < $2 * 4; i++)); do port_open "$1" && return 0; sleep 0.25; done
  log "$3 did not open port $1 within $2 s"; return 1
}

postgres_up() {
  if ! pg_isready -q -h "$PGHOST_" -p "$PGPORT_"; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 1 60); do pg_isready -q -h "$PGHOST_" -p "$PGPORT_" && break; sleep 0.5; done
  fi
  local db="${PGDATABASE:-voc}"
  if ! psql -h "$PGHOST_" -p "$PGPORT_" -U "${PGUSER:-postgres}" -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    log "creating database $db"
    psql -h "$PGHOST_" -p "$PGPORT_" -U "${PGUSER:-postgres}" -d postgres -qc "create database \"$db\""
  fi
}

# The project's own Redis on $REDIS_PORT: the default user is off; BullMQ (and the API's rate limiter
# later) authenticate as VOC_REDIS_USERNAME with VOC_REDIS_PASSWORD, limited to BullMQ's keys (bull:*) and the API's (voc-api:*)
# and to commands outside @dangerous (plus INFO and CLIENT SETNAME/GETNAME, which BullMQ uses).
redis_up() {
  if [ "$REDIS_PORT" = 6379 ]; then log "VOC_REDIS_PORT=6379 is the machine's shared Redis; choose another port"; exit 1; fi
  local dir="$CACHE/redis" user="${VOC_REDIS_USERNAME:-voc-bullmq}" pw
  pw="$(secret VOC_REDIS_PASSWORD voc-dev-redis-bullmq)"
  case "$user$pw" in *[[:space:]]* | '') log "VOC_REDIS_USERNAME and VOC_REDIS_PASSWORD must be non-empty and hold no whitespace"; exit 1 ;; esac
  mkdir -p "$dir/data"
  (
    umask 077
    printf 'user default off\nuser %s on >%s resetkeys ~bull:* ~voc-api:* resetchannels &bull:* +@all -@dangerous +info +client|setname +client|getname +client|id -script|flush -script|kill -function\n' \
      "$user" "$pw" >"$dir/users.acl.new"
    cat >"$dir/redis.conf" <<CONF
# Generated by infra/scripts/stack.sh.
bind 127.0.0.1 -::1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir/data
save ""
appendonly no
maxmemory-policy noeviction
aclfile $dir/users.acl
CONF
  )
  owned "$REDIS_PORT" "$dir/redis.pid" "Redis (VOC_REDIS_PORT)" || exit 1
  if ! port_open "$REDIS_PORT"; then
    mv "$dir/users.acl.new" "$dir/users.acl"
    log "starting project Redis on $REDIS_PORT"
    redis-server "$dir/redis.conf"
    wait_port "$REDIS_PORT" 20 Redis
  elif ! cmp -s "$dir/users.acl.new" "$dir/users.acl" && [ -f "$dir/redis.pid" ]; then
    # Running with other credentials: reload the ACL file (ACL LOAD needs a user the new file knows).
    mv "$dir/users.acl.new" "$dir/users.acl"
    log "project Redis: credentials changed; restarting"
    redis_down; redis-server "$dir/redis.conf"; wait_port "$REDIS_PORT" 20 Redis
  else
    rm -f "$dir/users.acl.new"
  fi
}

redis_down() {
  local pid
  if pid="$(own_pid "$CACHE/redis/redis.pid" "127.0.0.1:$REDIS_PORT")"; then
    log "stopping project Redis"; kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
}

kafka_fetch() {
  local libs="$CACHE/kafka/libs"
  if [ ! -f "$libs/.complete" ]; then
    log "fetching Apache Kafka from Maven Central (first run only)"
    mkdir -p "$libs"
    mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime -Dstyle.color=never >"$CACHE/kafka/mvn.log" 2>&1 ||
      { cat "$CACHE/kafka/mvn.log" >&2; exit 1; }
    touch "$libs/.complete"
  fi
}

# Storage formatted by this script records the SCRAM users it was formatted with in $data/.voc-auth;
# a data dir without it predates authentication (a development cache) and is formatted afresh.
kafka_up() {
  local dir="$CACHE/kafka" data="$CACHE/kafka/data" admin_user admin_pw listener=SASL_PLAINTEXT
  read -r _ admin_user admin_pw < <(kafka_principals | head -n1)
  owned "$KAFKA_PORT" "$dir/kafka.pid" "Kafka (VOC_KAFKA_PORT)" || exit 1
  owned "$CONTROLLER_PORT" "$dir/kafka.pid" "Kafka controller (VOC_KAFKA_CONTROLLER_PORT)" || exit 1
  if port_open "$KAFKA_PORT"; then
    if [ -f "$dir/kafka.pid" ] && ! grep -q '^listener.name.controller.plain.sasl.jaas.config=' "$dir/server.properties" 2>/dev/null; then
      log "Kafka's controller listener is running without authentication: restarting it"; kafka_down
    elif [ -f "$data/.voc-auth" ] || [ ! -f "$dir/kafka.pid" ]; then kafka_users; return 0
    else log "Kafka is running without authentication: restarting it"; kafka_down; fi
  fi
  kafka_fetch
  local p u pw
  while read -r p u pw; do
    case "$u$pw" in *[\",=\[\]\ ]*) log "Kafka principal $p: user name and password must not contain spaces, quotes, commas, = or brackets"; exit 1 ;; esac
  done < <(kafka_principals)
  if [ -n "${VOC_KAFKA_TLS_KEYSTORE:-}" ]; then listener=SASL_SSL; fi
  mkdir -p "$data" "$dir/logs"
  (
    umask 077
    sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" -e "s#@DATA_DIR@#$data#g" \
      -e "s#@LISTENER@#$listener#g" -e "s#@BIND_HOST@#127.0.0.1#g" -e "s#@ADVERTISED_HOST@#127.0.0.1#g" -e "s#@ADMIN_USER@#$admin_user#g" "$ROOT/infra/kafka/server.properties.in" >"$dir/server.properties"
    local lname; lname="$(printf '%s' "$listener" | tr '[:upper:]' '[:lower:]')"
    printf 'listener.name.%s.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
      "$lname" "$admin_user" "$admin_pw" >>"$dir/server.properties"
    # The controller listener (loopback) authenticates the broker's own connections as the super user.
    printf 'listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s" user_%s="%s";\n' \
      "$admin_user" "$admin_pw" "$admin_user" "$admin_pw" >>"$dir/server.properties"
    if [ "$listener" = SASL_SSL ]; then
      # The broker's own inter-broker connection verifies its certificate too: it needs the truststore.
      printf 'ssl.keystore.type=PKCS12\nssl.keystore.location=%s\nssl.keystore.password=%s\nssl.truststore.type=PKCS12\nssl.truststore.location=%s\nssl.truststore.password=%s\n' \
        "$VOC_KAFKA_TLS_KEYSTORE" "$(secret VOC_KAFKA_TLS_KEYSTORE_PASSWORD '')" \
        "${VOC_KAFKA_TLS_TRUSTSTORE:?VOC_KAFKA_TLS_TRUSTSTORE (PKCS12 holding the CA) is needed with VOC_KAFKA_TLS_KEYSTORE}" \
        "$(secret VOC_KAFKA_TLS_TRUSTSTORE_PASSWORD '')" >>"$dir/server.properties"
    fi
    printf 'security.protocol=%s\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
      "$listener" "$admin_user" "$admin_pw" >"$dir/admin.properties"
    if [ "$listener" = SASL_SSL ]; then
      printf 'ssl.truststore.type=PKCS12\nssl.truststore.location=%s\nssl.truststore.password=%s\n' \
        "$VOC_KAFKA_TLS_TRUSTSTORE" "$(secret VOC_KAFKA_TLS_TRUSTSTORE_PASSWORD '')" >>"$dir/admin.properties"
    fi
  )
  local java_opts=(-Xms256m "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true
    "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.properties")
  if [ -f "$data/meta.properties" ] && { [ ! -f "$data/.voc-auth" ] || [ "$(head -n1 "$data/.voc-auth")" != "admin $admin_user $(printf '%s' "$admin_pw" | sha256sum | cut -c1-16)" ]; }; then
    log "Kafka storage was formatted without these SCRAM credentials: formatting the development cache afresh"
    rm -rf "$data"; mkdir -p "$data"
  fi
  if [ ! -f "$data/meta.properties" ]; then
    log "formatting Kafka storage (KRaft, standalone controller, SCRAM users)"
    local scram=()
    while read -r p u pw; do scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$pw]"); done < <(kafka_principals)
    java "${java_opts[@]}" -cp "$dir/libs/*" kafka.tools.StorageTool format --standalone "${scram[@]}" \
      -t "$(java -cp "$dir/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" -c "$dir/server.properties" >"$dir/logs/format.log" 2>&1 ||
      { cat "$dir/logs/format.log" >&2; exit 1; }
    (umask 077; kafka_users_digest >"$data/.voc-auth")
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (SCRAM-SHA-512, $listener)"
  nohup java "${java_opts[@]}" -cp "$dir/libs/*" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 &
  echo $! >"$dir/kafka.pid"
  wait_port "$KAFKA_PORT" 90 Kafka || { tail -n 40 "$dir/logs/stdout.log" >&2; exit 1; }
  kafka_users
}

# One line per principal with a digest of its password (never the password): what the broker holds.
kafka_users_digest() {
  local p u pw
  while read -r p u pw; do printf '%s %s %s\n' "$p" "$u" "$(printf '%s' "$pw" | sha256sum | cut -c1-16)"; done < <(kafka_principals)
}

# Creates or updates the SCRAM users whose credentials differ from what the broker was given
# (kafka.admin.ConfigCommand as the super user); idempotent, and a no-op when nothing changed.
kafka_users() {
  local dir="$CACHE/kafka" data="$CACHE/kafka/data" want p u pw
  [ -f "$data/.voc-auth" ] || return 0
  want="$(kafka_users_digest)"
  [ "$want" = "$(cat "$data/.voc-auth")" ] && return 0
  while read -r p u pw; do
    if ! grep -qxF "$(printf '%s %s %s' "$p" "$u" "$(printf '%s' "$pw" | sha256sum | cut -c1-16)")" "$data/.voc-auth"; then
      log "Kafka: setting SCRAM credentials of $u"
      # kafka-configs echoes its arguments (the new password) when it fails: never into the log or the terminal.
      if ! java -Xmx256m -cp "$dir/libs/*" "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.properties" kafka.admin.ConfigCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$dir/admin.properties" --alter \
        --add-config "SCRAM-SHA-512=[iterations=8192,password=$pw]" --entity-type users --entity-name "$u" 2>&1 |
        sed -e 's/password=[^]]*\]/password=[redacted]]/g' | (umask 077; cat >"$dir/logs/users.log"); then
        cat "$dir/logs/users.log" >&2; exit 1
      fi
    fi
  done < <(kafka_principals | tail -n +2)
  (umask 077; printf '%s\n' "$want" >"$data/.voc-auth")
}

kafka_down() {
  local pidf="$CACHE/kafka/kafka.pid" pid
  if pid="$(own_pid "$pidf" "$CACHE/kafka/server.properties")"; then
    log "stopping Kafka"; kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pidf"
}

status() {
  local s down=0
  for s in "PostgreSQL:$PGPORT_" "Redis(project):$REDIS_PORT" "Kafka:$KAFKA_PORT"; do
    if port_open "${s##*:}"; then printf '%-22s up   (127.0.0.1:%s)\n' "${s%%:*}" "${s##*:}"; else printf '%-22s DOWN (127.0.0.1:%s)\n' "${s%%:*}" "${s##*:}"; down=1; fi
  done
  owned "$REDIS_PORT" "$CACHE/redis/redis.pid" "Redis (VOC_REDIS_PORT)" 2>&1 | sed 's/^\[stack\] /  /' || down=1
  owned "$KAFKA_PORT" "$CACHE/kafka/kafka.pid" "Kafka (VOC_KAFKA_PORT)" 2>&1 | sed 's/^\[stack\] /  /' || down=1
  if port_open "$MQTT_PORT"; then printf '%-22s up   (127.0.0.1:%s, %s)\n' "Gateway MQTT endpoint" "$MQTT_PORT" "$(ps -o args= -p "$(listener_pid "$MQTT_PORT")" 2>/dev/null | cut -c1-60)"
  else printf '%-22s not running (127.0.0.1:%s; started by the demo, tests or `node services/gateway/dist/main.js`)\n' "Gateway MQTT endpoint" "$MQTT_PORT"; fi
  return "$down"
}

# Earlier releases ran a project Mosquitto from .cache/mosquitto and .cache/mosquitto-test (ports 1884
# and 1885, now the gateway's); stop such a leftover of this checkout so its ports are free.
legacy_mosquitto_down() {
  local d pid
  for d in "$CACHE/mosquitto" "$CACHE/mosquitto-test"; do
    [ -f "$d/mosquitto.conf" ] || continue
    for pid in $(pgrep -f -x "mosquitto -d -c $d/mosquitto.conf" || true); do
      log "stopping the project Mosquitto of an earlier release ($d)"; kill "$pid"
    done
  done
}

case "${1:-}" in
  up)
    legacy_mosquitto_down; postgres_up; redis_up
    kafka_up; log "stack is up" ;;
  down) kafka_down; redis_down; legacy_mosquitto_down ;;
  status) status ;;
  fetch) kafka_fetch ;;
  *) echo "usage: $0 up|down|status|fetch" >&2; exit 2 ;;
esac

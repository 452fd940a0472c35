#!/usr/bin/env bash
# Entry point of the `kafka` service of docker-compose.yml (apache/kafka image): the same broker as
# infra/scripts/stack.sh, from the same template: a SASL/SCRAM-SHA-512 listener on :9092 advertised as
# kafka:9092, the StandardAuthorizer, the controller on loopback (SASL PLAIN as the super user). The SCRAM users are written when the
# volume is first formatted (--add-scram); ACLs come from `voc setup` (the `setup` service). Later
# password changes: kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]' (SECURITY.md).
set -euo pipefail
DATA=/var/lib/kafka/data
CONF=/tmp/voc-kafka/server.properties
secret() { local f="${1}_FILE"; if [ -n "${!1:-}" ]; then printf '%s' "${!1}"; elif [ -n "${!f:-}" ]; then cat "${!f}"; else printf '%s' "$2"; fi; }
umask 077
mkdir -p /tmp/voc-kafka "$DATA"
admin_user="${VOC_KAFKA_ADMIN_USERNAME:-voc-admin}"
sed -e "s#@KAFKA_PORT@#9092#g" -e "s#@CONTROLLER_PORT@#9093#g" -e "s#@DATA_DIR@#$DATA#g" -e "s#@LISTENER@#SASL_PLAINTEXT#g" \
  -e "s#@BIND_HOST@#0.0.0.0#g" -e "s#@ADVERTISED_HOST@#kafka#g" -e "s#@ADMIN_USER@#$admin_user#g" /voc/server.properties.in >"$CONF"
printf 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
  "$admin_user" "$(secret VOC_KAFKA_ADMIN_PASSWORD voc-dev-kafka-admin)" >>"$CONF"
# The controller listener (loopback) authenticates the broker's own connections as the super user.
printf 'listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s" user_%s="%s";\n' \
  "$admin_user" "$(secret VOC_KAFKA_ADMIN_PASSWORD voc-dev-kafka-admin)" "$admin_user" "$(secret VOC_KAFKA_ADMIN_PASSWORD voc-dev-kafka-admin)" >>"$CONF"
if [ ! -f "$DATA/meta.properties" ]; then
  scram=()
  for p in admin gateway writer deadletters hotspot api hj212; do
    up="$(printf '%s' "$p" | tr '[:lower:]' '[:upper:]')"; uvar="VOC_KAFKA_${up}_USERNAME"
    scram+=(--add-scram "SCRAM-SHA-512=[name=${!uvar:-voc-$p},password=$(secret "VOC_KAFKA_${up}_PASSWORD" "voc-dev-kafka-$p")]")
  done
  /opt/kafka/bin/kafka-storage.sh format --standalone -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$CONF" "${scram[@]}"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"

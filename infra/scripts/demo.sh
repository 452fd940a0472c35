#!/usr/bin/env bash
# `npm run demo`: the main job end to end on real data, from a fresh clone.
# Installs, brings the local stack up, builds, creates the demo database `voc_demo` afresh, migrates,
# creates the Kafka topics (prefix "demo.") and their ACLs, then `voc-tools demo` (tools/): registers the demo devices, starts the
# gateway and the stream writer, replays the committed real-data slice (data/demo) over MQTT and prints
# what was published, stored and rejected (by reason) with publish-to-stored latency; then evaluates
# the hotspot grid over the replayed data and prints the hotspots and trace-to-source tasks; last, one
# SIMULATED Xicheng scenario scored against its truth (found / missed / false, the teams' tasks).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash infra/scripts/stack.sh up
npx tsc -b
export PGDATABASE="${VOC_DEMO_DATABASE:-voc_demo}"
export VOC_KAFKA_TOPIC_PREFIX="${VOC_KAFKA_TOPIC_PREFIX:-demo.}"
export VOC_KAFKA_GROUP_PREFIX="${VOC_KAFKA_GROUP_PREFIX:-demo.}"
export LOG_LEVEL="${LOG_LEVEL:-warn}"
PGOPTIONS="-c client_min_messages=warning" psql -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d postgres -qc "drop database if exists \"$PGDATABASE\" with (force)" -c "create database \"$PGDATABASE\""
# setup = migrate + service role logins + topics and ACLs for the demo prefix (the services run as their own principals).
node services/cli/dist/main.js setup >/dev/null
node tools/dist/main.js demo "$@"

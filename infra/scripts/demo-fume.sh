#!/usr/bin/env bash
# `npm run demo:fume`: simulated restaurant fume monitors over HJ 212, end to end, from a fresh clone.
# Brings the local stack up, builds, creates its own demo database afresh (VOC_DEMO_FUME_DATABASE,
# default voc_demo_fume: the main demo's voc_demo is left alone), migrates, then `voc-tools fume-demo`: registers a few SIMULATED restaurants in Xicheng,
# starts the HJ 212 gateway (VOC_HJ212_PORT) and the stream writer, plays one simulated hour of minute
# data over TCP, runs the compliance engine and prints the compliance events and enforcement tasks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash infra/scripts/stack.sh up
npx tsc -b
export PGDATABASE="${VOC_DEMO_FUME_DATABASE:-voc_demo_fume}"
export VOC_KAFKA_TOPIC_PREFIX="${VOC_KAFKA_TOPIC_PREFIX:-demo-fume.}"
export VOC_KAFKA_GROUP_PREFIX="${VOC_KAFKA_GROUP_PREFIX:-demo-fume.}"
export LOG_LEVEL="${LOG_LEVEL:-warn}"
PGOPTIONS="-c client_min_messages=warning" psql -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d postgres -qc "drop database if exists \"$PGDATABASE\" with (force)" -c "create database \"$PGDATABASE\""
node services/cli/dist/main.js setup >/dev/null
node tools/dist/main.js fume-demo "$@"

-- Core schema: device registry, readings (narrow: one row per device, metric and time), dead letters.
-- Runs on plain PostgreSQL >= 15. 001_core.timescale.sql adds the TimescaleDB features when the
-- extension is available.

create table devices (
  id              text primary key,
  kind            text not null check (kind in ('fixed', 'van', 'fume')),
  status          text not null default 'active' check (status in ('active', 'disabled')),
  name            text,
  sensor          text,
  lat             double precision check (lat between -90 and 90),
  lon             double precision check (lon between -180 and 180),
  metadata        jsonb not null default '{}'::jsonb,
  -- Mosquitto PBKDF2-SHA512 hash ("$7$iterations$salt$hash") of the device's MQTT password; never the password.
  credential_hash text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  disabled_at     timestamptz,
  check (kind = 'van' or (lat is not null and lon is not null))
);

-- value/unit: canonical unit of the metric (packages/domain metrics catalogue);
-- raw_value/raw_unit/ref_state: exactly as received. h3: res-12 H3 cell as bigint.
-- lat/lon/speed_kmh/gps_fix: per-reading position of survey vans (null for fixed devices, whose
-- position is in devices). received_at: gateway receive time; stored_at: database commit time.
create table readings (
  time        timestamptz not null,
  device_id   text not null,
  metric      text not null,
  value       double precision not null,
  unit        text not null,
  raw_value   double precision not null,
  raw_unit    text not null,
  ref_state   text not null,
  qa          text not null default 'valid',
  h3          bigint,
  lat         double precision,
  lon         double precision,
  speed_kmh   real,
  gps_fix     text,
  received_at timestamptz not null,
  stored_at   timestamptz not null default now(),
  primary key (device_id, metric, time)
);
create index readings_metric_time_idx on readings (metric, time desc);
create index readings_time_idx on readings (time desc);

-- Every rejected input, as consumed from the dead-letter topic. (dlq_partition, dlq_offset) is the
-- position on voc.deadletter.v1, which makes the store idempotent under redelivery.
create table dead_letters (
  id               bigserial primary key,
  received_at      timestamptz not null,
  stored_at        timestamptz not null default now(),
  stage            text not null,
  reason           text not null,
  code             text not null,
  detail           text not null,
  device_id        text,
  mqtt_topic       text,
  path             text,
  source_topic     text,
  source_partition int,
  source_offset    bigint,
  payload          bytea not null,
  dlq_partition    int not null,
  dlq_offset       bigint not null,
  unique (dlq_partition, dlq_offset)
);
create index dead_letters_reason_idx on dead_letters (reason, received_at desc);
create index dead_letters_device_idx on dead_letters (device_id, received_at desc);

-- Parent of an H3 cell stored as bigint, computed on the bits (H3 index layout, h3geo.org
-- "H3 Index Representations"): resolution in bits 52-55, one 3-bit digit per resolution 1..15,
-- unused digits set to 7.
create function h3_parent(cell bigint, res int) returns bigint
language sql immutable strict parallel safe as $$
  select ((cell & ~(15::bigint << 52)) | (res::bigint << 52)) | ((1::bigint << (3 * (15 - res))) - 1)
$$;

-- TimescaleDB features of the core schema; applied only where the timescaledb extension is available.
create extension if not exists timescaledb;
select create_hypertable('readings', by_range('time', interval '1 day'), migrate_data => true, if_not_exists => true);
alter table readings set (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'device_id, metric',
  timescaledb.compress_orderby = 'time desc'
);
select add_compression_policy('readings', interval '{{compress_after}}', if_not_exists => true);
select add_retention_policy('readings', interval '{{retention}}', if_not_exists => true);

-- One role per service with the least it needs (SECURITY.md). Roles are cluster-wide, so this migration
-- creates them only where they are missing (several databases share one cluster: tests, the demo,
-- side-by-side deployments) and grants per database. They are created NOLOGIN: `voc setup` gives each
-- LOGIN and its password from the configuration. Every object stays owned by the migration role that
-- runs this file; the service roles own nothing, so they cannot alter or drop tables. They connect
-- through PUBLIC's default CONNECT on the database; a deployment that revokes it from PUBLIC grants
-- CONNECT to these roles.
--   voc_gateway: reads the device registry
--   voc_writer:  inserts readings and dead letters (ON CONFLICT with a conflict target also needs SELECT
--                on the target's columns, and only on them)
--   voc_hotspot: its own tables (hotspot grid, tasks, alert outbox, schedule); reads readings, devices,
--                facilities and jurisdictions
--   voc_admin:   the CLI's admin commands: reads and writes every table, owns none
do $$
declare r text;
begin
  foreach r in array array['voc_gateway', 'voc_writer', 'voc_hotspot', 'voc_admin'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception when duplicate_object or unique_violation then
        null; -- created meanwhile by a migration of another database on this cluster
      end;
    end if;
  end loop;
end
$$;

grant usage on schema public to voc_gateway, voc_writer, voc_hotspot, voc_admin;

grant select on devices to voc_gateway;

grant insert on readings, dead_letters to voc_writer;
-- On a TimescaleDB hypertable a column grant cannot be propagated to the compressed chunks (their
-- columns differ), so there the writer may read readings as a whole.
do $$
declare hypertable boolean := false;
begin
  if exists (select 1 from pg_extension where extname = 'timescaledb') then
    execute $q$select exists (select 1 from timescaledb_information.hypertables where hypertable_name = 'readings')$q$ into hypertable;
  end if;
  if hypertable then
    grant select on readings to voc_writer;
  else
    grant select (device_id, metric, time) on readings to voc_writer;
  end if;
end
$$;
grant select (dlq_topic, dlq_partition, dlq_offset) on dead_letters to voc_writer;
grant usage on sequence dead_letters_id_seq to voc_writer;

grant select on readings, devices, facilities, jurisdictions to voc_hotspot;
grant select, insert, update, delete on
  hotspot_evaluations, hotspot_evaluation_runs, hotspot_cell_stats, hotspot_cell_states, hotspots,
  hotspot_evidence, tasks, task_events, alert_outbox, hotspot_schedule
  to voc_hotspot;
grant usage, select on sequence
  hotspot_evaluation_runs_id_seq, hotspots_id_seq, tasks_id_seq, task_events_id_seq, alert_outbox_id_seq
  to voc_hotspot;

grant select, insert, update, delete on all tables in schema public to voc_admin;
grant usage, select on all sequences in schema public to voc_admin;
-- Tables of later migrations (run by the same migration role) are the admin's too; service roles get
-- theirs explicitly in the migration that creates them.
alter default privileges in schema public grant select, insert, update, delete on tables to voc_admin;
alter default privileges in schema public grant usage, select on sequences to voc_admin;
-- The migration history is the migration role's alone.
revoke insert, update, delete on schema_migrations from voc_admin;

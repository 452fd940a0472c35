-- The HTTP API (services/api): API keys, task comments and assignment, webhooks and their delivery
-- log, the storage-order feed of readings, and the API's own PostgreSQL role.

-- Storage order of readings, for the `stored_after` feed (GET /v1/readings/feed). stored_at cannot be
-- a cursor: it is the commit-time clock of concurrent writer transactions, so a row may become visible
-- after rows with a later stored_at were already read. stored_xid is the inserting transaction
-- (pg_current_xact_id) and stored_seq its order inside it. The feed returns only rows whose transaction
-- is older than every transaction still running (pg_snapshot_xmin), so no row can appear later below
-- a cursor already handed out: each row, late data included, is read exactly once.
create sequence readings_stored_seq;
alter table readings add column stored_xid xid8, add column stored_seq bigint;
-- Defaults set after the columns exist: existing rows stay null (no table rewrite) and are not in the
-- feed; rows from the stream writer name both columns in its insert (packages/db readings.ts).
alter table readings alter column stored_xid set default pg_current_xact_id(),
                     alter column stored_seq set default nextval('readings_stored_seq');
create index readings_stored_order_idx on readings (stored_xid, stored_seq);

-- API keys: only the SHA-256 of the key is stored (the key is 32 random bytes, shown once), found by
-- its first characters (prefix, unique). street_offices: an enforcement key limited to these street
-- offices (null: all).
create table api_keys (
  id              bigserial primary key,
  prefix          text not null unique,
  hash            bytea not null,
  role            text not null check (role in ('admin', 'operator', 'enforcement', 'analyst')),
  label           text,
  team            text,
  street_offices  text[],
  created_at      timestamptz not null default now(),
  created_by      text not null,
  expires_at      timestamptz,
  revoked_at      timestamptz,
  last_used_at    timestamptz
);

-- Task comments and assignment join the audit trail of task_events.
alter table tasks add column assignee text;
alter table task_events drop constraint task_events_kind_check;
alter table task_events add constraint task_events_kind_check check (kind in ('opened', 'transition', 'evidence', 'hotspot_joined',
  'hotspot_cleared', 'hotspot_clear_revised', 'hotspot_withdrawn', 'hotspot_reinstated', 'comment', 'assignment'));

-- Webhook subscriptions (registered by an admin only) and the log of every delivery attempt. secret:
-- the HMAC-SHA256 key, needed in clear to sign; shown once at registration.
create table webhooks (
  id              bigserial primary key,
  url             text not null,
  secret          text not null,
  event_types     text[] not null,
  enabled         boolean not null default true,
  failures        int not null default 0,
  disabled_at     timestamptz,
  created_at      timestamptz not null default now(),
  created_by      text not null,
  -- outbox id of the last alert handed to this hook (delivered, or given up after the last retry)
  cursor          bigint not null default 0
);
create table webhook_deliveries (
  id              bigserial primary key,
  webhook_id      bigint not null references webhooks (id) on delete cascade,
  alert_outbox_id bigint not null,
  attempt         int not null,
  at              timestamptz not null default now(),
  status          int,
  error           text,
  ok              boolean not null,
  duration_ms     int
);
create index webhook_deliveries_hook_idx on webhook_deliveries (webhook_id, id desc);

-- The API's role (SECURITY.md): reads what analysts, enforcement teams and operators see; writes only
-- what its routes change (keys, task transitions, comments and assignment, webhooks, the device
-- registry, facilities and jurisdictions).
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'voc_api') then
    begin
      create role voc_api nologin;
    exception when duplicate_object or unique_violation then
      null;
    end;
  end if;
end
$$;
grant usage on schema public to voc_api;
grant select on readings, dead_letters, hotspot_evaluations, hotspot_cell_stats, hotspot_cell_states, hotspots, hotspot_evidence,
  alert_outbox to voc_api;
grant select, insert, update on devices, facilities, jurisdictions, tasks, task_events, api_keys, webhooks, webhook_deliveries to voc_api;
grant delete on jurisdictions, facilities to voc_api;
grant usage, select on sequence task_events_id_seq, api_keys_id_seq, webhooks_id_seq, webhook_deliveries_id_seq to voc_api;
-- The writer fills the feed columns.
grant usage on sequence readings_stored_seq to voc_writer;

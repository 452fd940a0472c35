-- HJ 212 data loggers (restaurant fume monitors, construction-site dust monitors) and the fume
-- compliance engine (issue 11).
--
-- hj212_devices: the registry entry a TCP data logger authenticates against (MN + PW). HJ 212 sends
-- PW in clear in every frame, so the password is only as secret as the link; the registry still keeps
-- only a salted scrypt hash (`scrypt$N$r$p$salt$hash`, base64; @voc/core devices/hj212-credentials.ts)
-- so a database leak does not hand out every logger's password.
-- compliance_states / compliance_events: the compliance engine's per device and rule state and what
-- it raised or cleared, with evidence. tasks gain a category: hotspot tasks as before, and
-- `fume_compliance` tasks (one active per device and rule), routed to a street office.

alter table devices drop constraint devices_kind_check;
alter table devices add constraint devices_kind_check check (kind in ('fixed', 'van', 'fume', 'dust'));

create table hj212_devices (
  device_id                text primary key references devices (id),
  mn                       text not null unique check (length(mn) between 1 and 24),
  pw_hash                  text not null,
  -- Factor-code profile name (@voc/hj212 profiles: hj212-fume, vendor-conc-fume, hj212-dust, hj212-air-quality).
  profile                  text not null,
  -- Codec tolerances of this logger (@voc/hj212 TOLERANCES), all off by default.
  tolerances               text[] not null default '{}',
  max_data_length          int not null default 1024 check (max_data_length between 1 and 9999),
  facility_id              text references facilities (id),
  -- Emission standard of the fume compliance rules: Beijing DB11/1488-2018 (default) or national GB 18483-2001.
  limit_standard           text not null default 'DB11/1488-2018' check (limit_standard in ('DB11/1488-2018', 'GB 18483-2001')),
  -- Declared opening hours, local time (China Standard Time): 'HH:MM-HH:MM[,HH:MM-HH:MM]'; an end
  -- before its start runs across midnight (17:00-02:00). Null: not declared (no offline rule).
  opening_hours            text,
  -- Rated purifier current (A); the purifier-current rule fires below a share of it. Null: rule off.
  purifier_rated_current_a double precision check (purifier_rated_current_a > 0),
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now()
);
create index hj212_devices_facility_idx on hj212_devices (facility_id);

-- Tasks of two categories. Compliance tasks have no hotspot; their cell is the device's cell.
alter table tasks add column category text not null default 'hotspot' check (category in ('hotspot', 'fume_compliance'));
alter table tasks add column device_id text;
alter table tasks add column rule text;
alter table tasks add column facility_id text;
alter table tasks alter column hotspot_id drop not null;
alter table tasks add constraint tasks_category_shape check (
  (category = 'hotspot' and hotspot_id is not null)
  or (category = 'fume_compliance' and device_id is not null and rule is not null)
);
drop index tasks_one_active_per_cell;
create unique index tasks_one_active_per_cell on tasks (metric, resolution, cell)
  where category = 'hotspot' and state in ('open', 'acknowledged', 'in_progress');
create unique index tasks_one_active_per_device_rule on tasks (device_id, rule)
  where category = 'fume_compliance' and state in ('open', 'acknowledged', 'in_progress');
create index tasks_category_idx on tasks (category, state, created_at desc);

alter table task_events drop constraint task_events_kind_check;
alter table task_events add constraint task_events_kind_check check (kind in (
  'opened', 'transition', 'evidence', 'hotspot_joined', 'hotspot_cleared', 'hotspot_clear_revised', 'hotspot_withdrawn',
  'hotspot_reinstated', 'comment', 'assignment', 'condition_cleared', 'condition_recurred'));

-- One row per device and rule: whether the condition holds now, since when, and its open task.
create table compliance_states (
  device_id       text not null references devices (id),
  rule            text not null,
  active          boolean not null,
  since           timestamptz not null,
  last_evaluated  timestamptz not null,
  task_id         bigint references tasks (id),
  -- Street office whose area holds the device (jurisdiction map), for compliance rates.
  street_office_id text,
  primary key (device_id, rule)
);

-- Every raise and clear of a rule for a device, with its evidence (values, window, limit and source).
create table compliance_events (
  id                bigserial primary key,
  device_id         text not null references devices (id),
  facility_id       text,
  street_office_id  text,
  rule              text not null,
  kind              text not null check (kind in ('raised', 'cleared')),
  window_start      timestamptz not null,
  window_end        timestamptz not null,
  evidence          jsonb not null,
  task_id           bigint references tasks (id),
  created_at        timestamptz not null default now(),
  unique (device_id, rule, kind, window_end)
);
create index compliance_events_time_idx on compliance_events (window_end desc);
create index compliance_events_device_idx on compliance_events (device_id, window_end desc);
create index compliance_events_office_idx on compliance_events (street_office_id, window_end desc);

-- Service roles (see 005_roles.sql): created NOLOGIN where missing; `voc setup` gives them LOGIN.
--   voc_hj212:      the HJ 212 gateway: reads the device registry and the logger registry, nothing else
--   voc_compliance: the compliance worker: reads readings and registries, writes its own tables and tasks
do $$
declare r text;
begin
  foreach r in array array['voc_hj212', 'voc_compliance'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end
$$;
grant usage on schema public to voc_hj212, voc_compliance;
grant select on devices, hj212_devices to voc_hj212;
grant select on readings, devices, hj212_devices, facilities, jurisdictions to voc_compliance;
grant select, insert, update on compliance_states, compliance_events, tasks, task_events to voc_compliance;
grant usage, select on sequence compliance_events_id_seq, tasks_id_seq, task_events_id_seq to voc_compliance;
grant select on compliance_states, compliance_events to voc_hotspot;

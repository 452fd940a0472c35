-- Hotspot grid and trace-to-source tasks (DOMAIN.md §6; method and settings in docs/hotspots.md).
-- Plain PostgreSQL >= 15, no PostGIS: cells are H3 indexes stored as bigint (see h3_parent in
-- 001_core.sql), polygons are GeoJSON in jsonb and point-in-polygon runs in the application.
--
-- A "series" is (metric, resolution, window_minutes): every table below is keyed by it, so a backfill
-- with another window length never mixes with the live grid.

-- The worker finds closed windows that received late readings by scanning readings stored since its
-- last look. stored_at grows with insertion order, so a BRIN index finds them cheaply and costs the
-- writer almost nothing.
create index readings_stored_at_brin on readings using brin (stored_at);
-- Van readings (the only rows with a per-reading position) of a metric and window, for the van-pass
-- part of the rollup: partial, so fixed-sensor rows neither pay for it nor are scanned by it.
create index readings_van_idx on readings (metric, time) where lat is not null;

-- One row per series and window: scheduled when the window closes (+ allowed lateness), done after
-- each committed evaluation. version counts committed evaluations (re-evaluations after late data
-- increment it). watermark: readings stored after it may not have been seen by the last evaluation
-- (evaluation start minus a margin for writer transactions still in flight).
create table hotspot_evaluations (
  metric          text not null,
  resolution      smallint not null check (resolution between 0 and 15),
  window_minutes  int not null check (window_minutes > 0),
  window_start    timestamptz not null,
  window_end      timestamptz not null,
  status          text not null default 'scheduled' check (status in ('scheduled', 'done')),
  version         int not null default 0,
  scheduled_at    timestamptz not null default now(),
  evaluated_at    timestamptz,
  watermark       timestamptz,
  job_id          text,
  cells           int,
  eligible        int,
  high            int,
  baseline        double precision,
  mad             double precision,
  scale           double precision,
  scale_kind      text,
  duration_ms     int,
  settings        jsonb,
  primary key (metric, resolution, window_minutes, window_start),
  check (window_end > window_start)
);
create index hotspot_evaluations_pending_idx on hotspot_evaluations (metric, resolution, window_minutes, window_start) where status = 'scheduled';

-- Every committed evaluation (audit and the exactly-once check: a job id commits at most once).
create table hotspot_evaluation_runs (
  id              bigserial primary key,
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  window_start    timestamptz not null,
  version         int not null,
  job_id          text,
  trigger         text not null check (trigger in ('schedule', 'late_data', 'backfill', 'manual')),
  started_at      timestamptz not null,
  finished_at     timestamptz not null default clock_timestamp(),
  cells           int not null,
  eligible        int not null,
  high            int not null,
  opened          int not null,
  cleared         int not null
);
create unique index hotspot_evaluation_runs_job_idx on hotspot_evaluation_runs (job_id) where job_id is not null;
create index hotspot_evaluation_runs_window_idx on hotspot_evaluation_runs (metric, resolution, window_minutes, window_start);

-- Cell rollup: statistics of usable readings per cell, metric and window, recomputed from raw rows at
-- every (re-)evaluation of the window, so late readings change exactly the windows they fall in.
-- median/p90: percentile_cont (linear interpolation). ratio/robust_z/gi_star are null for ineligible cells.
create table hotspot_cell_stats (
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  window_start    timestamptz not null,
  cell            bigint not null,
  n               int not null,
  n_fixed         int not null,
  devices         int not null,
  van_passes      int not null,
  max_pass_n      int not null,
  mean            double precision not null,
  median          double precision not null,
  p90             double precision not null,
  max             double precision not null,
  min             double precision not null,
  eligible        boolean not null,
  ratio           double precision,
  robust_z        double precision,
  gi_star         double precision,
  high            boolean not null,
  reasons         text[] not null default '{}',
  primary key (metric, resolution, window_minutes, window_start, cell)
);
create index hotspot_cell_stats_high_idx on hotspot_cell_stats (metric, resolution, window_minutes, window_start) where high;

-- Persistence state of a cell after a window (only cells that are open or were high-value in the last
-- open_n windows; every other cell is in the initial state). history: bit 0 = this window's flag.
-- opened_window identifies the open hotspot.
create table hotspot_cell_states (
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  window_start    timestamptz not null,
  cell            bigint not null,
  status          text not null check (status in ('none', 'open')),
  history         int not null,
  clean_streak    int not null,
  opened_window   timestamptz,
  primary key (metric, resolution, window_minutes, window_start, cell),
  check ((status = 'open') = (opened_window is not null))
);

-- Hotspots: one row per episode of a cell being open, identified by the window it opened in.
-- state: open, cleared (cleared_window set), or withdrawn (a re-evaluation after late data no longer
-- supports it; kept, with a note on its task, never deleted).
create table hotspots (
  id              bigserial primary key,
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  cell            bigint not null,
  opened_window   timestamptz not null,
  cleared_window  timestamptz,
  state           text not null default 'open' check (state in ('open', 'cleared', 'withdrawn')),
  last_window     timestamptz not null,
  task_id         bigint,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (metric, resolution, window_minutes, cell, opened_window),
  check ((state = 'cleared') = (cleared_window is not null))
);
create index hotspots_open_idx on hotspots (metric, resolution, window_minutes, cell) where state = 'open';

-- Per-window evidence of a hotspot: the lead-in windows that opened it, and every window while open.
-- details: top contributing devices, peak readings and wind of that window.
create table hotspot_evidence (
  hotspot_id      bigint not null references hotspots (id) on delete cascade,
  window_start    timestamptz not null,
  role            text not null check (role in ('lead_in', 'opened', 'continued', 'cleared')),
  high            boolean not null,
  n               int,
  devices         int,
  van_passes      int,
  mean            double precision,
  median          double precision,
  p90             double precision,
  max             double precision,
  baseline        double precision,
  ratio           double precision,
  robust_z        double precision,
  gi_star         double precision,
  reasons         text[] not null default '{}',
  details         jsonb not null default '{}'::jsonb,
  primary key (hotspot_id, window_start)
);

-- Candidate sources (DOMAIN.md §6). h3: resolution-12 cell of the position, as in readings.
create table facilities (
  id               text primary key,
  category         text not null check (category in ('restaurant', 'auto_repair', 'body_shop', 'printer', 'dry_cleaner', 'fuel_station', 'construction_site', 'other')),
  name             text not null,
  lat              double precision not null check (lat between -90 and 90),
  lon              double precision not null check (lon between -180 and 180),
  h3               bigint not null,
  fume_device_ids  text[] not null default '{}',
  address          text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);
create index facilities_h3_idx on facilities (h3);

-- Street offices (街道) and their areas: GeoJSON Polygon or MultiPolygon, WGS-84 [lon, lat].
create table jurisdictions (
  id          text primary key,
  name        text not null,
  geometry    jsonb not null check (geometry->>'type' in ('Polygon', 'MultiPolygon')),
  properties  jsonb not null default '{}'::jsonb,
  updated_at  timestamptz not null default now()
);

-- Trace-to-source tasks. One active task per metric, resolution and cell (partial unique index): a
-- new hotspot of a cell whose task is still active joins that task instead of opening a second one.
create table tasks (
  id                  bigserial primary key,
  metric              text not null,
  resolution          smallint not null,
  window_minutes      int not null,
  cell                bigint not null,
  hotspot_id          bigint not null references hotspots (id),
  state               text not null default 'open' check (state in ('open', 'acknowledged', 'in_progress', 'resolved', 'dismissed')),
  finding             text check (finding in ('source_found_and_handled', 'no_source_found', 'measurement_fault')),
  opened_window       timestamptz not null,
  last_window         timestamptz not null,
  lat                 double precision not null,
  lon                 double precision not null,
  cell_polygon        jsonb not null,
  street_office_id    text,
  street_office_name  text,
  statistics          jsonb not null,
  top_devices         jsonb not null default '[]'::jsonb,
  peak_readings       jsonb not null default '[]'::jsonb,
  wind                jsonb,
  candidates          jsonb not null default '[]'::jsonb,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  closed_at           timestamptz,
  check ((state = 'resolved') = (finding is not null))
);
create unique index tasks_one_active_per_cell on tasks (metric, resolution, cell) where state in ('open', 'acknowledged', 'in_progress');
create index tasks_state_idx on tasks (state, created_at desc);
alter table hotspots add constraint hotspots_task_fk foreign key (task_id) references tasks (id);

-- Everything that happened to a task: transitions (with actor and note), evidence of later windows,
-- and hotspot events (cleared, withdrawn, joined) that are noted, never acted on silently.
create table task_events (
  id            bigserial primary key,
  task_id       bigint not null references tasks (id),
  at            timestamptz not null default now(),
  kind          text not null check (kind in ('opened', 'transition', 'evidence', 'hotspot_joined', 'hotspot_cleared', 'hotspot_clear_revised', 'hotspot_withdrawn', 'hotspot_reinstated')),
  from_state    text,
  to_state      text,
  actor         text not null,
  note          text,
  window_start  timestamptz,
  details       jsonb not null default '{}'::jsonb
);
create index task_events_task_idx on task_events (task_id, id);
-- Evidence and hotspot notes are idempotent per task, window and kind (a retried evaluation adds nothing).
create unique index task_events_once_idx on task_events (task_id, kind, window_start) where kind in ('evidence', 'hotspot_joined', 'hotspot_cleared', 'hotspot_clear_revised', 'hotspot_withdrawn', 'hotspot_reinstated');

-- Transactional outbox of alerts: written in the evaluation's transaction, published to Kafka by a
-- dispatcher after commit. alert_id is deterministic, so a retried evaluation adds no duplicate.
create table alert_outbox (
  id            bigserial primary key,
  alert_id      text not null unique,
  kafka_key     text not null,
  payload       jsonb not null,
  created_at    timestamptz not null default now(),
  published_at  timestamptz
);
create index alert_outbox_pending_idx on alert_outbox (id) where published_at is null;

-- Scheduler bookkeeping per series: readings stored after late_cursor have not been checked for
-- late arrivals yet.
create table hotspot_schedule (
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  late_cursor     timestamptz not null,
  primary key (metric, resolution, window_minutes)
);

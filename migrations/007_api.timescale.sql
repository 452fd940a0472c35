-- TimescaleDB part of the HTTP API: it serves bucketed series of one hour and longer from the hourly
-- rollup (003_hotspots.timescale.sql).
grant select on cell_hourly to voc_api;

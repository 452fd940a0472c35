-- TimescaleDB: the hotspot worker reads the hourly cell aggregate (003_hotspots.timescale.sql).
grant select on cell_hourly to voc_hotspot, voc_admin;

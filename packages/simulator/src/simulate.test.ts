import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceInputSchema, readingMessageSchema, wireReadingSchema } from '@voc/domain';
import { areaOf, parseDistrictGeoJson, XICHENG_DEMO_DISTRICT } from './district.js';
import { scenario } from './scenarios.js';
import { simulate, type Simulation } from './simulate.js';
import { registrationDevices, toReadingMessage, toWirePayload } from './wire.js';

function digest(sim: Simulation): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(sim.truth));
  for (const c of sim.chunks()) h.update(JSON.stringify(c));
  return h.digest('hex');
}

describe('scenario simulator', () => {
  it('gives the same bytes for the same seed and other bytes for another seed', () => {
    const spec = scenario('sources-3', { durationHours: 3 });
    const a = digest(simulate(spec));
    expect(digest(simulate(spec))).toBe(a);
    expect(digest(simulate({ ...spec, seed: spec.seed + 1 }))).not.toBe(a);
  });

  it('places every fixed sensor, facility and van position inside the Xicheng extent', () => {
    const sim = simulate(scenario('sources-1', { durationHours: 3 }));
    const fixed = sim.devices.filter((d) => d.kind === 'fixed');
    expect(fixed.length).toBeGreaterThanOrEqual(151);
    expect(fixed.length).toBeLessThanOrEqual(301);
    for (const d of fixed) expect(areaOf(XICHENG_DEMO_DISTRICT, d), d.id).not.toBeNull();
    for (const f of sim.facilities) expect(areaOf(XICHENG_DEMO_DISTRICT, f), f.id).not.toBeNull();
    let vanReadings = 0;
    for (const c of sim.chunks())
      for (const r of c)
        if (r.gps) {
          vanReadings += 1;
          expect(areaOf(XICHENG_DEMO_DISTRICT, r.gps)).not.toBeNull();
        }
    // 3 h from 00:00 CST: no survey shift yet.
    expect(vanReadings).toBe(0);
  });

  it('drives 1 Hz van readings mostly at surveying speed, inside the district', () => {
    const spec = { ...scenario('van-only', { durationHours: 2 }), start: scenario('van-only').start + 9 * 3_600_000 };
    const sim = simulate(spec);
    const times = new Map<string, number[]>();
    let slow = 0;
    let all = 0;
    for (const c of sim.chunks())
      for (const r of c)
        if (r.gps) {
          all += 1;
          if (r.gps.speedKmh <= 30) slow += 1;
          expect(areaOf(XICHENG_DEMO_DISTRICT, r.gps)).not.toBeNull();
          (times.get(r.deviceId) ?? times.set(r.deviceId, []).get(r.deviceId)!).push(r.time);
        }
    expect(times.size).toBe(4);
    expect(all).toBeGreaterThan(4 * 7000 * 0.95);
    expect(slow / all).toBeGreaterThan(0.9);
    for (const ts of times.values()) expect(Math.min(...ts.slice(1).map((t, i) => t - ts[i]!))).toBe(1000);
  });

  it('labels everything simulated and emits shapes the ingest path accepts', () => {
    const sim = simulate(scenario('biased-sensor', { durationHours: 1 }));
    expect(sim.truth.simulated).toBe(true);
    expect(sim.truth.label).toMatch(/SIMULATED/);
    expect(sim.truth.description).toMatch(/^SIMULATED/);
    expect(sim.truth.faultySensors).toHaveLength(4);
    const reg = registrationDevices(sim.devices);
    for (const d of reg) {
      expect(deviceInputSchema.safeParse(d).success, d.id).toBe(true);
      expect(d.name).toMatch(/\(simulated\)$/);
      expect(d.metadata?.simulated).toBe(true);
    }
    const byId = new Map(sim.devices.map((d) => [d.id, d]));
    const first = sim.chunks().next().value ?? [];
    expect(first.length).toBeGreaterThan(150);
    for (const r of first) {
      const w = toWirePayload(r);
      expect(w.topic).toBe(`voc/v1/${r.kind}/${r.deviceId}/up`);
      expect(wireReadingSchema.safeParse(JSON.parse(JSON.stringify(w.payload))).success).toBe(true);
      expect(readingMessageSchema.safeParse(toReadingMessage(r, byId)).success).toBe(true);
    }
  });

  it('records the real December 2016 episode in the regional-episode truth', () => {
    const sim = simulate(scenario('regional-episode', { durationHours: 96 }));
    expect(sim.truth.episodes.length).toBeGreaterThan(0);
    expect(Math.max(...sim.truth.episodes.map((e) => e.peak))).toBeGreaterThan(300);
    expect(sim.truth.sources).toHaveLength(0);
  });

  it('refuses a span the station data do not cover', () => {
    expect(() => simulate(scenario('noise-only', { durationHours: 24 * 30 }))).toThrow(/station data/);
  });
});

describe('district', () => {
  it('equals the union of the demo street offices committed in data/demo', () => {
    const text = readFileSync(new URL('../../../data/demo/jurisdictions.geojson', import.meta.url), 'utf8');
    const d = parseDistrictGeoJson(text, 'demo', 'data/demo/jurisdictions.geojson');
    expect(d.areas.map((a) => a.id).sort()).toEqual(XICHENG_DEMO_DISTRICT.areas.map((a) => a.id).sort());
    for (const a of d.areas) expect(a.polygon).toEqual(XICHENG_DEMO_DISTRICT.areas.find((b) => b.id === a.id)!.polygon);
  });
});

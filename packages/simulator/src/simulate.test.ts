import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceInputSchema, readingMessageSchema, wireReadingSchema } from '@voc/domain';
import { buildBackground } from './background.js';
import { areaOf, parseDistrictGeoJson, streetGrid, XICHENG_DEMO_DISTRICT } from './district.js';
import { ConcentrationField } from './field.js';
import { loadDefaultStations } from './met.js';
import { DEFAULT_NETWORK, scenario } from './scenarios.js';
import { trueMetricValue } from './sensors.js';
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

  it('reproduces the readings of the simulator before meander byte for byte with meander off', () => {
    // sha256 of the chunks of this spec computed by the simulator as it was before plume meander
    // (steady plume; Node.js 20, V8: Math.exp etc. are not bit-specified, another engine may differ).
    const base = scenario('sources-3', { durationHours: 3 });
    const spec = { ...base, start: base.start + 9 * 3_600_000 };
    const chunksDigest = (sim: Simulation) => {
      const h = createHash('sha256');
      for (const c of sim.chunks()) h.update(JSON.stringify(c));
      return h.digest('hex');
    };
    expect(chunksDigest(simulate({ ...spec, meander: false }))).toBe('1889eabb08959fac515d4be5e9888ae9b15826dd77a2589512438b1b4d8320be');
    // Meander is on by default and changes them.
    expect(spec.meander).toBe(true);
    expect(chunksDigest(simulate(spec))).not.toBe('1889eabb08959fac515d4be5e9888ae9b15826dd77a2589512438b1b4d8320be');
  });

  it("gives truth window means that are the means of what the nearest sensor's readings carry", () => {
    // No lost readings, so every reading instant the truth samples is a reading; then the window mean
    // of (reading − background metric) differs from the truth's excess by the mean noise only.
    // 27 December 08:00-18:00 CST: the printer's and the body shop's plumes reach their nearest sensors.
    const base = scenario('sources-3', { durationHours: 10 });
    const spec = { ...base, start: base.start + 32 * 3_600_000, network: { ...DEFAULT_NETWORK, dropoutRate: 0 } };
    const sim = simulate(spec);
    const centre = streetGrid(XICHENG_DEMO_DISTRICT, spec.streetSpacingM).projection.origin;
    const bgField = new ConcentrationField(buildBackground(loadDefaultStations()), [], {
      terrain: spec.terrain,
      receptorHeightM: 3,
      centre,
    });
    const len = spec.windowMinutes * 60_000;
    const readings = new Map<string, { time: number; value: number }[]>();
    for (const c of sim.chunks())
      for (const r of c)
        for (const v of r.values) {
          const k = `${r.deviceId}|${v.metric}`;
          (readings.get(k) ?? readings.set(k, []).get(k)!).push({ time: r.time, value: v.value });
        }
    let strong = 0;
    for (const s of sim.truth.sources) {
      const d = s.detectability;
      const resolution = sim.devices.find((x) => x.id === d.sensorId)!.channels.find((c) => c.metric === d.metric)!.resolution;
      for (const w of d.windows) {
        const rs = (readings.get(`${d.sensorId}|${d.metric}`) ?? []).filter((r) => r.time >= w.start && r.time < w.start + len);
        expect(rs.length).toBe(60);
        const observed =
          rs.reduce((a, r) => {
            const wx = bgField.weather(r.time);
            return a + r.value - trueMetricValue(d.metric!, bgField.backgroundAt(wx), bgField.dayBackground(r.time))!;
          }, 0) / rs.length;
        // 4 σ of a 60-reading mean, plus half the output resolution (rounding).
        const tolerance = (4 * d.noise!) / Math.sqrt(60) + resolution / 2;
        expect(Math.abs(observed - w.excess), `${s.id} ${new Date(w.start).toISOString()}`).toBeLessThan(tolerance);
        if (w.excess >= 3 * d.noise!) strong += 1;
      }
    }
    // Not vacuous: some windows carry an excess well above the noise.
    expect(strong).toBeGreaterThan(0);
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

import { gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { scoreScenario } from './score.js';
import type { ScoredHotspot, ScoredTask, SystemOutputs } from './score-types.js';
import type { GroundTruth, TruthSource } from './truth.js';

const H = 3_600_000;
const T0 = Date.UTC(2016, 11, 26); // window-aligned (1 h windows since the epoch)
const SRC = { lat: 39.91, lon: 116.36 };
const CELL = latLngToCell(SRC.lat, SRC.lon, 8);
const NEIGHBOUR = gridDisk(CELL, 1).find((c) => c !== CELL)!;
const FAR = gridDisk(CELL, 3).find((c) => !gridDisk(CELL, 2).includes(c))!;
const SENSOR = { lat: 39.93, lon: 116.33 };
const SENSOR_CELL = latLngToCell(SENSOR.lat, SENSOR.lon, 8);

function source(over: Partial<TruthSource> = {}): TruthSource {
  return {
    id: 'sim-src-01',
    facilityId: 'sim-fac-001',
    category: 'printer',
    ...SRC,
    cell: CELL,
    heightM: 5,
    emissions: [{ species: 'toluene', rateGs: 0.05 }],
    metrics: ['toluene', 'tvoc'],
    schedule: 'usual',
    onPeriods: [{ start: T0 + 9 * H, end: T0 + 18 * H }],
    detectability: {
      sensorId: 'sim-fx-001',
      metric: 'tvoc',
      distanceM: 60,
      noise: 5,
      windows: [],
      windowsAbove: 4,
      detectable: true,
      bestSensor: null,
    },
    ...over,
  };
}

/** A one-week truth with one source, one biased sensor and one episode on the last day. */
function truth(over: Partial<GroundTruth> = {}): GroundTruth {
  return {
    simulated: true,
    label: 'SIMULATED',
    scenario: 'constructed',
    description: 'SIMULATED: constructed case',
    seed: 1,
    from: T0,
    to: T0 + 7 * 24 * H,
    windowMinutes: 60,
    resolution: 8,
    district: { name: 'test', source: 'test' },
    background: { stations: [], dataset: '', license: '', filledHours: {} },
    devices: [
      {
        id: 'sim-fx-009',
        kind: 'fixed',
        class: 'pid',
        sensor: 'pid',
        ...SENSOR,
        cell: SENSOR_CELL,
        area: null,
        uncertainty: { tvoc: 5 },
        cadenceS: 60,
        dropoutRate: 0,
        faults: [{ kind: 'bias', metric: 'tvoc', offset: 30, from: T0 + 6 * H }],
      },
    ],
    facilities: [],
    sources: [source()],
    episodes: [{ start: T0 + 6 * 24 * H, end: T0 + 7 * 24 * H, metric: 'pm25', peak: 300 }],
    faultySensors: ['sim-fx-009'],
    monitoredCells: Array.from({ length: 100 }, (_, i) => `cell${i}`),
    streetCells: [],
    ...over,
  };
}

function hotspot(
  id: string,
  cell: string,
  windowStart: number,
  metric = 'tvoc',
  candidates: ScoredHotspot['candidates'] = [],
): ScoredHotspot {
  return { id, metric, cell, window: { start: windowStart, end: windowStart + H }, candidates };
}

function task(id: string, cell: string, windowStart: number, over: Partial<ScoredTask> = {}): ScoredTask {
  return { id, kind: 'enforcement', metric: 'tvoc', cell, window: { start: windowStart, end: windowStart + H }, ...over };
}

const none: SystemOutputs = { hotspots: [], tasks: [], regionalEvents: [] };

describe('detection scoring', () => {
  it('finds a source from a neighbour cell within 2 windows and measures time, distance and top 3', () => {
    const cands = [
      { rank: 1, facilityId: 'sim-fac-007', lat: SRC.lat + 0.001, lon: SRC.lon },
      { rank: 2, facilityId: 'sim-fac-001', ...SRC },
    ];
    const r = scoreScenario(truth(), { ...none, hotspots: [hotspot('h1', NEIGHBOUR, T0 + 10 * H, 'toluene', cands)] });
    expect(r.simulated).toBe(true);
    expect(r.detectionRate).toBe(1);
    expect(r.detectableDetectionRate).toBe(1);
    const s = r.sources[0]!;
    expect(s.found).toBe(true);
    // Opened in the 10:00 window, known at its end (11:00); the source started at 09:00.
    expect(s.timeToDetectMin).toBe(120);
    // 0.001° of latitude = 111.2 m (R = 6371.0088 km).
    expect(s.localisationM).toBeCloseTo(111.2, 1);
    expect(s.inTop3).toBe(true);
    expect(r.top3Rate).toBe(1);
  });

  it('does not count a hotspot too late, too far, before the start or of an unrelated metric', () => {
    const late = hotspot('late', CELL, T0 + 12 * H);
    const far = hotspot('far', FAR, T0 + 10 * H);
    const early = hotspot('early', CELL, T0 + 8 * H);
    const pm = hotspot('pm', CELL, T0 + 10 * H, 'pm10');
    const r = scoreScenario(truth(), { ...none, hotspots: [late, far, early, pm] });
    expect(r.sources[0]!.found).toBe(false);
    expect(r.detectionRate).toBe(0);
    // The late one opened while the source was on (12:00, on 09:00-18:00).
    expect(r.detectionRateWhileOn).toBe(1);
    expect(r.top3Rate).toBeNull();
    expect(scoreScenario(truth(), { ...none, hotspots: [late] }, { withinWindows: 3 }).detectionRate).toBe(1);
  });

  it('counts false enforcement tasks per 100 cells per week and those during episodes', () => {
    const explained = task('t1', CELL, T0 + 10 * H);
    const wrongTime = task('t2', CELL, T0 + 30 * H); // next day 06:00, source off since 18:00 the day before
    const elsewhere = task('t3', FAR, T0 + 10 * H);
    const inEpisode = task('t4', FAR, T0 + 6 * 24 * H + 5 * H);
    const r = scoreScenario(truth(), { ...none, tasks: [explained, wrongTime, elsewhere, inEpisode] });
    expect(r.enforcementTasks).toBe(4);
    expect(r.falseTasks).toBe(3);
    expect(r.cells).toBe(100);
    expect(r.weeks).toBe(1);
    expect(r.falseTasksPer100CellsPerWeek).toBe(3);
    expect(r.tasksDuringEpisodes).toBe(1);
    expect(r.episodesRecorded).toBe(0);
    const withEvent = scoreScenario(truth(), {
      ...none,
      regionalEvents: [{ metric: 'tvoc', start: T0 + 6 * 24 * H, end: T0 + 6 * 24 * H + 3 * H }],
    });
    expect(withEvent.episodesRecorded).toBe(1);
  });

  it('explains a task elsewhere by its top-3 candidates', () => {
    const viaCandidates = task('t1', FAR, T0 + 10 * H, { candidates: [{ rank: 2, facilityId: 'sim-fac-001', ...SRC }] });
    expect(scoreScenario(truth(), { ...none, tasks: [viaCandidates] }).falseTasks).toBe(0);
  });

  it('counts a source found within 2 windows of its excess reaching 3 sigma at the sensor, each onset anew', () => {
    // On 09:00-18:00; the wind brings the plume to the sensor (noise 5) at 13:00-14:00 and again at 16:00.
    const ex = (h: number, excess: number) => ({ start: T0 + h * H, excess });
    const windows = [ex(9, 0), ex(10, 1), ex(11, 2), ex(12, 3), ex(13, 20), ex(14, 18), ex(15, 4), ex(16, 16), ex(17, 2)];
    const t = truth({ sources: [source({ detectability: { ...source().detectability, windows } })] });
    const at = (h: number) => scoreScenario(t, { ...none, hotspots: [hotspot('h', CELL, T0 + h * H)] }).sources[0]!;
    expect(at(14)).toMatchObject({ found: false, foundAfterOnset: true }); // 4 windows after the start, 1 after the onset
    expect(at(15).foundAfterOnset).toBe(true);
    expect(at(16).foundAfterOnset).toBe(true); // 3 after the 13:00 onset, but 16:00 is an onset of its own
    expect(at(18).foundAfterOnset).toBe(true);
    expect(at(19).foundAfterOnset).toBe(false); // 3 after the last onset
    expect(at(12).foundAfterOnset).toBe(false); // before the signal reached the sensor
    const r = scoreScenario(t, { ...none, hotspots: [hotspot('h', CELL, T0 + 14 * H)] });
    expect(r.detectableDetectionRate).toBe(0);
    expect(r.detectableOnsetDetectionRate).toBe(1);
  });

  it('credits a biased sensor raised as a sensor fault, and notes one taken for a source', () => {
    const check = task('c1', SENSOR_CELL, T0 + 20 * H, { kind: 'check_sensor', deviceIds: ['sim-fx-009'] });
    const beforeFault = task('c0', SENSOR_CELL, T0 + 2 * H, { kind: 'check_sensor', deviceIds: ['sim-fx-009'] });
    const healthy = task('c2', FAR, T0 + 20 * H, { kind: 'check_sensor', deviceIds: ['sim-fx-050'] });
    expect(scoreScenario(truth(), { ...none, tasks: [beforeFault] }).faultsRaisedAsFaults).toBe(0);
    const r = scoreScenario(truth(), { ...none, tasks: [check, healthy] });
    expect(r.faultsRaisedAsFaults).toBe(1);
    expect(r.falseSensorTasks).toBe(1);
    expect(r.faultsRaisedAsSources).toBe(0);
    const asSource = scoreScenario(truth(), { ...none, tasks: [task('e1', SENSOR_CELL, T0 + 20 * H)] });
    expect(asSource.faultsRaisedAsFaults).toBe(0);
    expect(asSource.faultsRaisedAsSources).toBe(1);
    expect(r.faultsRaisedOnlyAsFaults).toBe(1);
    const both = scoreScenario(truth(), { ...none, tasks: [task('e1', SENSOR_CELL, T0 + 10 * H), check] });
    expect(both).toMatchObject({ faultsRaisedAsFaults: 1, faultsRaisedAsSources: 1, faultsRaisedOnlyAsFaults: 0 });
  });

  it('counts tasks below the stated uncertainty only when tasks state both', () => {
    expect(scoreScenario(truth(), { ...none, tasks: [task('t', CELL, T0 + 10 * H)] }).tasksBelowUncertainty).toBeNull();
    const low = task('t', CELL, T0 + 10 * H, { excess: 0.9, uncertainty: 5 });
    const high = task('u', CELL, T0 + 11 * H, { excess: 20, uncertainty: 5 });
    expect(scoreScenario(truth(), { ...none, tasks: [low, high] }).tasksBelowUncertainty).toBe(1);
  });

  it('leaves rates without a denominator null and uses the street cells for van-only coverage', () => {
    const r = scoreScenario(truth({ sources: [], faultySensors: [], episodes: [], monitoredCells: [], streetCells: ['a', 'b'] }), none);
    expect(r.detectionRate).toBeNull();
    expect(r.faultsRaisedAsFaults).toBeNull();
    expect(r.episodesRecorded).toBeNull();
    expect(r.cells).toBe(2);
  });
});

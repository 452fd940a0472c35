import { describe, expect, it } from 'vitest';
import { SCENARIO_NAMES, scenario } from './scenarios.js';
import { scoreScenario } from './score.js';
import type { ScoredHotspot } from './score-types.js';
import { simulate } from './simulate.js';

describe('scenario catalogue', () => {
  it('builds every named scenario with its duration', () => {
    for (const name of SCENARIO_NAMES) {
      const spec = scenario(name, { durationHours: 2 });
      expect(spec.durationHours).toBe(2);
      expect(spec.description).toMatch(/^SIMULATED/);
    }
    expect(() => scenario('nope' as never)).toThrow(/unknown scenario/);
  });

  it('scores a small simulated scenario end to end: perfect hotspots find every source, none finds none', () => {
    const spec = { ...scenario('sources-3', { durationHours: 12 }), start: scenario('sources-3').start + 6 * 3_600_000 };
    const sim = simulate(spec);
    expect(sim.truth.sources).toHaveLength(3);
    const len = sim.truth.windowMinutes * 60_000;
    const hotspots: ScoredHotspot[] = sim.truth.sources.map((s, i) => {
      const start = Math.floor(s.onPeriods[0]!.start / len) * len + len;
      return {
        id: `h${i}`,
        metric: s.metrics[0]!,
        cell: s.cell,
        window: { start, end: start + len },
        candidates: [{ rank: 1, facilityId: s.facilityId, lat: s.lat, lon: s.lon }],
      };
    });
    const perfect = scoreScenario(sim.truth, { hotspots, tasks: [], regionalEvents: [] });
    expect(perfect.detectionRate).toBe(1);
    expect(perfect.top3Rate).toBe(1);
    expect(perfect.medianLocalisationM).toBe(0);
    const nothing = scoreScenario(sim.truth, { hotspots: [], tasks: [], regionalEvents: [] });
    expect(nothing.detectionRate).toBe(0);
    expect(nothing.falseTasksPer100CellsPerWeek).toBe(0);
  });
});

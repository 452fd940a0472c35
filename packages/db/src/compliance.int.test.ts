import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { evaluateCompliance } from '@voc/core';
import { DEFAULT_COMPLIANCE_SETTINGS } from '@voc/compliance';
import type { ReadingMessage } from '@voc/domain';
import { ComplianceRepository } from './compliance.js';
import { DeviceRepository } from './devices.js';
import { JurisdictionRepository } from './jurisdictions.js';
import { createPool, type Pool } from './pool.js';
import { ReadingRepository } from './readings.js';
import { TaskRepository } from './tasks.js';

// The compliance engine against the real test database: raise → task, recur, clear, re-raise after
// the task was closed, and the reads the API routes (list, history, street-office rate).

const RUN = randomUUID().slice(0, 8);
const log = createLogger('compliance-int-test', 'silent');
let pool: Pool;
const A = `cmp-${RUN}-a`;
const B = `cmp-${RUN}-b`;
const OFFICE = `so-${RUN}`;
const MIN = 60_000;
// A site of this test's own, far from Xicheng (other tests' fume devices and street offices share the test
// database; a device inside another test's office would change the office's compliance rate).
const LAT = 30.5;
const LON = 114.3;
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 3_600_000; // 10 h ago, on the hour

/** 60 minute values of oil fume around `v` (± 0.02, so never a flat line) for a device in the hour starting at `start`. */
function hour(deviceId: string, start: number, mean: number): ReadingMessage[] {
  return Array.from({ length: 60 }, (_, i) => ({
    deviceId,
    kind: 'fume' as const,
    time: new Date(start + i * MIN).toISOString(),
    receivedAt: new Date(start + i * MIN + 1000).toISOString(),
    lat: LAT,
    lon: LON,
    h3: null,
    values: [
      {
        metric: 'oil_fume',
        value: mean + ((i % 5) - 2) * 0.01,
        unit: 'mg/m³',
        rawValue: mean + ((i % 5) - 2) * 0.01,
        rawUnit: 'mg/m³',
        refState: 'standard' as const,
        qa: 'valid' as const,
      },
    ],
  }));
}

beforeAll(async () => {
  pool = createPool(loadConfig().pg, log, 'compliance-int-test');
  await new DeviceRepository(pool).upsert([
    { id: A, kind: 'fume', lat: LAT, lon: LON },
    { id: B, kind: 'fume', lat: LAT, lon: LON },
  ]);
  await new JurisdictionRepository(pool).upsertJurisdictions([
    {
      id: OFFICE,
      name: `Test office ${RUN}`,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [LON - 0.01, LAT - 0.01],
            [LON + 0.01, LAT - 0.01],
            [LON + 0.01, LAT + 0.01],
            [LON - 0.01, LAT + 0.01],
            [LON - 0.01, LAT - 0.01],
          ],
        ],
      },
      properties: {},
    },
  ]);
});

afterAll(async () => {
  await pool.query(`delete from jurisdictions where id = $1`, [OFFICE]);
  await pool?.end();
});

describe('compliance store', () => {
  it('opens one fume compliance task per device and rule, notes recurrence and clearing, and opens a new one after closing', async () => {
    const store = new ComplianceRepository(pool);
    const readings = new ReadingRepository(pool);
    const deps = { store, settings: DEFAULT_COMPLIANCE_SETTINGS, log };
    const mine = (r: { raised: { deviceId: string; rule: string; taskId: number }[] }) => r.raised.filter((x) => x.deviceId === A);
    await readings.insertBatch([...hour(A, T0, 1.8), ...hour(B, T0, 0.4)]);
    const t1 = await evaluateCompliance(deps, T0 + 60 * MIN);
    expect(mine(t1).map((x) => x.rule)).toEqual(['exceedance_oil_fume']);
    const taskId = mine(t1)[0]!.taskId;
    const task = await new TaskRepository(pool).get(taskId);
    expect(task).toMatchObject({
      category: 'fume_compliance',
      deviceId: A,
      rule: 'exceedance_oil_fume',
      metric: 'oil_fume',
      hotspotId: null,
      state: 'open',
    });
    expect(task?.streetOffice).toEqual({ id: OFFICE, name: `Test office ${RUN}` });

    // Same tick again: nothing new (idempotent).
    expect(mine(await evaluateCompliance(deps, T0 + 60 * MIN))).toEqual([]);

    // Next hour compliant: cleared, noted on the task, task left open for the inspector.
    await readings.insertBatch(hour(A, T0 + 60 * MIN, 0.5));
    const t2 = await evaluateCompliance(deps, T0 + 120 * MIN);
    expect(t2.cleared.filter((c) => c.deviceId === A).map((c) => c.rule)).toEqual(['exceedance_oil_fume']);
    // Exceeds again while the task is still open: the same task, with a recurrence event.
    await readings.insertBatch(hour(A, T0 + 120 * MIN, 2.5));
    const t3 = await evaluateCompliance(deps, T0 + 180 * MIN);
    expect(mine(t3)).toEqual([{ deviceId: A, rule: 'exceedance_oil_fume', taskId }]);
    const events = (await new TaskRepository(pool).get(taskId))!.events.map((e) => e.kind);
    expect(events).toEqual(['opened', 'condition_cleared', 'condition_recurred']);

    // The inspector resolves it; the next exceedance after a clear opens a new task.
    expect(
      await new TaskRepository(pool).transition(taskId, 'open', 'resolved', {
        actor: 'test',
        finding: 'source_found_and_handled',
        note: null,
      }),
    ).toBe(true);
    await readings.insertBatch(hour(A, T0 + 180 * MIN, 0.3));
    await evaluateCompliance(deps, T0 + 240 * MIN);
    await readings.insertBatch(hour(A, T0 + 240 * MIN, 3.0));
    const t5 = await evaluateCompliance(deps, T0 + 300 * MIN);
    expect(mine(t5)).toHaveLength(1);
    expect(mine(t5)[0]!.taskId).not.toBe(taskId);
  });

  it('serves events to the API: filter, a restaurant history, street-office compliance rate', async () => {
    const store = new ComplianceRepository(pool);
    const raised = await store.listEvents({ deviceId: A, kind: 'raised' });
    expect(raised.map((e) => e.rule)).toEqual(['exceedance_oil_fume', 'exceedance_oil_fume', 'exceedance_oil_fume']);
    expect(raised[0]!.evidence).toMatchObject({ metric: 'oil_fume', limit: 1.0, standard: 'DB11/1488-2018' });
    const history = await store.facilityHistory(A);
    expect(history.map((e) => e.kind)).toEqual(['raised', 'cleared', 'raised', 'cleared', 'raised']);
    const rates = await store.streetOfficeRates(T0, T0 + 400 * MIN);
    expect(rates.find((r) => r.streetOfficeId === OFFICE)).toEqual({
      streetOfficeId: OFFICE,
      devices: 2,
      devicesWithViolations: 1,
      rate: 0.5,
      eventsByRule: { exceedance_oil_fume: 3 },
    });
  });
});
